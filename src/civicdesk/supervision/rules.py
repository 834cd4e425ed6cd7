"""The supervision rules as plain functions on plain values: which notices a case is due, when to
look at it again, and the suggested supervision grade with its reasons. No database, no clock:
the sweep, the case page and the tests call them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import CaseStatus
from civicdesk.supervision.models import NoticeKind
from civicdesk.supervision.policy import Duration, Issue, Suggestion, SupervisionPolicy

S = CaseStatus
# The step whose clock due_at holds in each status (挂账: the review date).
STEP_OF_STATUS = {
    S.dispatched: "accept",
    S.accepted: "handle",
    S.handled: "reply",
    S.suspended: "review",
}
SUPERVISABLE = frozenset({S.dispatched, S.accepted, S.suspended})  # 督办 is allowed there
REPORTING = SUPERVISABLE
_ISSUE_KIND = {
    Issue.urge: NoticeKind.urge,
    Issue.supervise: NoticeKind.supervise,
    Issue.escalate: NoticeKind.escalate,
}


@dataclass(frozen=True)
class CaseClock:
    """What the rules read of a case."""

    status: str
    due_at: datetime | None
    opened_at: datetime
    warned_due_at: datetime | None = None
    overdue_due_at: datetime | None = None
    escalation_level: int = 0
    complaint_count: int = 1
    complaints_seen: int = 0
    leader_attention: bool = False
    leader_flagged_at: datetime | None = None
    grade: str | None = None
    next_report_at: datetime | None = None


@dataclass(frozen=True)
class Due:
    """A notice the rules say is due, once per (case, rule, occasion)."""

    kind: NoticeKind
    rule: str
    occasion_at: datetime
    name: str
    level: int = 0  # levels up the unit chain the notice goes (escalations)


@dataclass
class Evaluation:
    notices: list[Due] = field(default_factory=list)
    warned_due_at: datetime | None = None
    overdue_due_at: datetime | None = None
    escalation_level: int = 0
    complaints_seen: int = 0
    next_report_at: datetime | None = None
    next_check_at: datetime | None = None


def warning_bounds(
    policy: SupervisionPolicy, calendar: WorkCalendar, now: datetime
) -> dict[str, datetime]:
    """Per step: a step due at or before this instant is 临期 now (due within its lead)."""
    return {step: lead.after(calendar, now) for step, lead in policy.warning_before.items()}


def evaluate(
    case: CaseClock,
    *,
    now: datetime,
    policy: SupervisionPolicy,
    calendar: WorkCalendar,
    bounds: dict[str, datetime],
) -> Evaluation:
    """Every notice ``case`` is due at ``now`` and the marks to store. Notices already issued
    come out again; the unique (case, rule, occasion) key turns the repeat into a no-op."""
    result = Evaluation(
        warned_due_at=case.warned_due_at,
        overdue_due_at=case.overdue_due_at,
        escalation_level=case.escalation_level,
        complaints_seen=case.complaints_seen,
        next_report_at=case.next_report_at,
    )
    checks: list[datetime] = []
    step = STEP_OF_STATUS.get(S(case.status))
    if step is not None and case.due_at is not None:
        _clock(case, step, case.due_at, now, bounds.get(step, now), result)
        if step in ("accept", "handle"):
            checks += _lateness_rules(case, case.due_at, now, policy, calendar, result)
    if S(case.status) in SUPERVISABLE:
        _instant_rules(case, policy, result)
    checks += _reports(case, now, policy, calendar, result)
    result.next_check_at = min(checks) if checks else None
    return result


def _clock(
    case: CaseClock, step: str, due: datetime, now: datetime, bound: datetime, out: Evaluation
) -> None:
    """The marks hold the deadline they were set for: a new deadline starts unmarked."""
    if step == "review":
        if due <= now and case.overdue_due_at != due:
            out.notices.append(Due(NoticeKind.review, "review", due, "挂账复查到期"))
            out.overdue_due_at = due
        if due <= bound:
            out.warned_due_at = due  # no 临期 for a review date; marked so the sweep moves on
        return
    if due < now:
        if case.overdue_due_at != due:
            out.notices.append(Due(NoticeKind.overdue, "overdue", due, "超期"))
        # Found already late: no separate warning for a deadline that has passed.
        out.overdue_due_at = out.warned_due_at = due
    elif due <= bound and case.warned_due_at != due:  # due within the lead: 临期
        out.notices.append(Due(NoticeKind.due_soon, "due_soon", due, "临期提醒"))
        out.warned_due_at = due


def _lateness_rules(
    case: CaseClock,
    due: datetime,
    now: datetime,
    policy: SupervisionPolicy,
    calendar: WorkCalendar,
    out: Evaluation,
) -> list[datetime]:
    """Rules on lateness ("overdue by N"): due ones issue, later ones are when to look again."""
    step = STEP_OF_STATUS[S(case.status)]
    later: list[datetime] = []
    for rule in policy.rules:
        if rule.when.overdue_by is None or step not in rule.steps:
            continue
        threshold = Duration.parse(rule.when.overdue_by).after(calendar, due)
        if threshold > now:
            later.append(threshold)
            continue
        level = policy.levels[rule.to].up if rule.to else 0
        out.notices.append(Due(_ISSUE_KIND[rule.issue], rule.code, due, rule.name, level))
        if rule.issue == Issue.escalate:
            out.escalation_level = max(out.escalation_level, level)
    return later


def _instant_rules(case: CaseClock, policy: SupervisionPolicy, out: Evaluation) -> None:
    """Rules on counts and flags: once per case (counts) or per flag (a leader's flag)."""
    for rule in policy.rules:
        when = rule.when
        if (
            when.complaints_at_least is not None
            and case.complaint_count >= when.complaints_at_least
        ):
            occasion = case.opened_at
        elif when.leader_flag and case.leader_attention and case.leader_flagged_at is not None:
            occasion = case.leader_flagged_at
        else:
            continue
        out.notices.append(Due(_ISSUE_KIND[rule.issue], rule.code, occasion, rule.name))
    out.complaints_seen = case.complaint_count


def _reports(
    case: CaseClock,
    now: datetime,
    policy: SupervisionPolicy,
    calendar: WorkCalendar,
    out: Evaluation,
) -> list[datetime]:
    """A graded case's reporting cadence: one reminder per point reached (missed points while
    no sweep ran are not piled up), then the next point."""
    cadence = policy.report_every(case.grade)
    point = case.next_report_at
    if cadence is None or point is None or S(case.status) not in REPORTING:
        return []
    if point <= now:
        out.notices.append(Due(NoticeKind.report, "report", point, "进展报告提醒"))
        while point <= now:
            point = cadence.after(calendar, point)
        out.next_report_at = point
    return [point]


# ---- the grade suggestion -------------------------------------------------------------------


@dataclass(frozen=True)
class GradeFacts:
    complaints: int = 1
    complainants: int = 1
    repeats: int = 0  # complaints by someone already heard on the case
    media_attention: bool = False
    leader_attention: bool = False
    departments: int = 1
    long_standing: bool = False
    needs_demolition: bool = False


@dataclass(frozen=True)
class Reason:
    factor: str
    text: str
    points: float


@dataclass(frozen=True)
class GradeSuggestion:
    grade: str | None
    score: float
    reasons: tuple[Reason, ...]

    @property
    def explanation(self) -> str:
        return "；".join(r.text for r in self.reasons) or "无加分因素"


def _counts(facts: GradeFacts) -> dict[str, tuple[int, str]]:
    """Each factor's count and how a reason names it."""
    extra = max(0, facts.complaints - 1)
    people = max(0, facts.complainants - 1)
    departments = max(0, facts.departments - 1)
    return {
        "complaints": (extra, f"投诉{facts.complaints}件"),
        "complainants": (people, f"投诉人{facts.complainants}人"),
        "repeats": (facts.repeats, f"同一投诉人重复投诉{facts.repeats}次"),
        "media_attention": (int(facts.media_attention), "媒体关注"),
        "leader_attention": (int(facts.leader_attention), "领导批示"),
        "departments": (departments, f"涉及{facts.departments}个部门"),
        "long_standing": (int(facts.long_standing), "长期未解决问题"),
        "needs_demolition": (int(facts.needs_demolition), "需拆除"),
    }


def suggest_grade(
    facts: GradeFacts, suggestion: Suggestion, grade_order: list[str]
) -> GradeSuggestion:
    """Score public attention and difficulty with the configured points (each factor capped) and
    suggest the highest grade whose threshold the score reaches."""
    reasons: list[Reason] = []
    for factor, (count, text) in _counts(facts).items():
        weight = suggestion.factors.get(factor)
        if weight is None or count <= 0:
            continue
        points = count * weight.points
        if weight.cap is not None:
            points = min(points, weight.cap)
        if points > 0:
            reasons.append(Reason(factor, f"{text}（+{points:g}分）", points))
    score = sum(r.points for r in reasons)
    reached = [
        (threshold, grade_order.index(code), code)
        for code, threshold in suggestion.thresholds.items()
        if code in grade_order and score >= threshold
    ]
    grade = max(reached)[2] if reached else None
    return GradeSuggestion(grade, score, tuple(reasons))
