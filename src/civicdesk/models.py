"""Import every domain's models so the metadata is complete (Alembic, create_all)."""

from civicdesk.accounts.models import LoginSession, Role, User
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.config.models import CalendarOverride, Setting
from civicdesk.demo.models import PlantedRepeat
from civicdesk.intake.models import Channel, Complaint, ImportBatch
from civicdesk.org.models import Area, Unit, unit_areas
from civicdesk.taxonomy.models import Category

__all__ = [
    "Area",
    "CalendarOverride",
    "Case",
    "CaseEvent",
    "Category",
    "Channel",
    "Complaint",
    "ImportBatch",
    "LoginSession",
    "PlantedRepeat",
    "Role",
    "Setting",
    "Unit",
    "User",
    "unit_areas",
]
