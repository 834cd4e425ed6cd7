"""The triage hook of citizen submissions.

Issue 3 (triage: classifier, locator, router) was not built when the portal was (its package,
``civicdesk.triage``, was still being written alongside). Until it is wired here,
``triage_hook`` only places the complaint: the street the citizen picked, else a street or
community named in the address (``org.gazetteer``), else the configured boundaries around the
map point. The category stays what the citizen chose (or none: the operator classifies it).
When issue 3 lands, its classifier and locator plug in here, and every citizen channel (portal,
Open311) goes through them, as the operator's channels will through intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicdesk.org.gazetteer import locate
from civicdesk.portal.geo import area_code_at, load_boundaries
from civicdesk.portal.schemas import CitizenComplaint


@dataclass(frozen=True)
class Triage:
    area: str | None  # area code
    category: str | None  # category code
    how: str  # "picked", "address", "map", "none": how the area was found


def triage_hook(
    session: Session, complaint: CitizenComplaint, *, boundaries: Path | None = None
) -> Triage:
    if complaint.area:
        return Triage(complaint.area, complaint.category, "picked")
    place = locate(session, complaint.address) or locate(session, complaint.text)
    if place is not None:
        return Triage(place.code, complaint.category, "address")
    if (
        boundaries is not None
        and complaint.longitude is not None
        and complaint.latitude is not None
    ):
        code = area_code_at(load_boundaries(boundaries), complaint.longitude, complaint.latitude)
        if code is not None:
            return Triage(code, complaint.category, "map")
    return Triage(None, complaint.category, "none")
