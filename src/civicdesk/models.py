"""Import every domain's models so the metadata is complete (Alembic, create_all)."""

from civicdesk.accounts.models import LoginSession, Role, User
from civicdesk.assessment.hotspot_models import HotspotAlert
from civicdesk.assessment.scheme_models import (
    Appeal,
    AssessmentScheme,
    Inspection,
    Publication,
)
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.config.models import CalendarOverride, Policy, Setting
from civicdesk.demo.models import PlantedRepeat
from civicdesk.intake.models import Channel, Complaint, ImportBatch
from civicdesk.notifications.models import OutboxMessage
from civicdesk.open311.models import ApiKey
from civicdesk.org.cards.models import ServiceCard
from civicdesk.org.models import Area, Unit, unit_areas
from civicdesk.portal.models import Attachment, CitizenRating, InboxItem, Submission
from civicdesk.repeats.models import CallerReview, RepeatKey, RepeatLink
from civicdesk.supervision.models import CaseMarks, Notice
from civicdesk.taxonomy.models import Category
from civicdesk.triage.models import Suggestion, TriageModelRow

__all__ = [
    "ApiKey",
    "Appeal",
    "Area",
    "AssessmentScheme",
    "Attachment",
    "CalendarOverride",
    "CallerReview",
    "Case",
    "CaseEvent",
    "CaseMarks",
    "Category",
    "Channel",
    "CitizenRating",
    "Complaint",
    "HotspotAlert",
    "ImportBatch",
    "InboxItem",
    "Inspection",
    "LoginSession",
    "Notice",
    "OutboxMessage",
    "PlantedRepeat",
    "Policy",
    "Publication",
    "RepeatKey",
    "RepeatLink",
    "Role",
    "ServiceCard",
    "Setting",
    "Submission",
    "Suggestion",
    "TriageModelRow",
    "Unit",
    "User",
    "unit_areas",
]
