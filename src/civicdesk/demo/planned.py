"""The history as planned in memory: reference values read once, issues, complaints, cases and
their events, before anything has an id or a text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from civicdesk.core.workflow import CaseStatus
from civicdesk.demo import texts
from civicdesk.supervision.policy import Duration

INHERIT = -1  # an event's unit is the case's unit at that moment (as cases.service records it)


@dataclass(eq=False, frozen=True)
class Chan:
    """A channel's values, read once (ORM attribute access is slow in the planning loop)."""

    id: int
    code: str
    kind: str
    forwarded: bool
    profile: str


@dataclass(eq=False, frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str


@dataclass(eq=False)
class Cat:
    id: int
    code: str
    name: str
    hot: bool
    in_remit: bool
    accept_hours: float
    handle_days: int
    propensity: float
    reply_days: int = 1  # working days to answer the citizen after the unit's result
    # The centre's own limits (supervision.yaml centre_limits): 立案 from opening, 派遣 from
    # filing; None when the configuration sets none (no deadline is stored then).
    file_limit: Duration | None = None
    dispatch_limit: Duration | None = None


@dataclass(eq=False)
class Locality:
    area_id: int
    street_id: int | None
    district_id: int
    street_key: int  # the street (or district) whose units handle it
    where: texts.Locality
    code: str


@dataclass(eq=False)
class Issue:
    category: Cat
    locality: Locality
    place: texts.Place
    template: int = 0
    complaints: list[PlannedComplaint] = field(default_factory=list)
    cases: list[PlannedCase] = field(default_factory=list)


@dataclass(eq=False)
class PlannedComplaint:
    issue: Issue
    ts: int
    created: int
    channel: Chan
    person: tuple[str | None, str | None]
    kind: str | None = None
    title: str = ""
    text: str = ""
    variant: int = 0
    case: PlannedCase | None = None
    id: int = 0
    upstream_ref: str | None = None


@dataclass(eq=False, slots=True)
class Ev:
    ts: int
    action: str
    before: str
    after: str
    actor: str | None  # a demo role, "unit" (the unit's own demo user, if any) or None
    unit_id: int | None
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    sets: dict[str, Any] | None = None
    inc: str | None = None
    complaint: PlannedComplaint | None = None


@dataclass(eq=False)
class PlannedCase:
    issue: Issue
    complaints: list[PlannedComplaint]
    events: list[Ev] = field(default_factory=list)
    extra: list[Ev] = field(default_factory=list)  # attach/urge/supervise, added later
    event_ts: list[int] = field(default_factory=list)
    close_ts: int | None = None
    filed: bool = False
    id: int = 0

    def status_at(self, ts: int) -> str:
        i = bisect.bisect_right(self.event_ts, ts) - 1
        return self.events[i].after if i >= 0 else CaseStatus.received.value


def receiver(channel: Chan) -> str | None:
    """Who records a complaint: the operator for calls, letters and visits and for forwarded
    tickets; nobody for what citizens and patrols submit themselves."""
    return "operator" if channel.kind in ("hotline", "letter", "visit") else None


def last_activity(issue: Issue) -> int:
    """The last moment the issue was alive: its last complaint or its case's closing."""
    close = issue.cases[-1].close_ts if issue.cases else None
    return max(issue.complaints[-1].ts, close or 0)
