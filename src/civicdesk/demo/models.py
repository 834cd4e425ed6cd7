"""The demo generator's truth: which complaints were planted as repeats of which."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class PlantedRepeat(Base):
    __tablename__ = "demo_planted_repeats"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    # The earlier complaint on the same issue that this one repeats.
    original_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    # same_complainant | other_complainant | recurrence
    kind: Mapped[str] = mapped_column(String(24))
