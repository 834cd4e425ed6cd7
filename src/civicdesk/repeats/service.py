"""The online repeat check at intake, and the operator's decisions on links.

``check_intake`` runs inside ``intake.service.record_complaint`` before the complaint is
written (so that a repeat can join the open case instead of opening a needless one);
``record_intake`` writes the complaint's blocking keys and its link after it is written.

Auto-attach (``repeats.auto_attach``, off in the shipped configuration): a complaint joins the
open case of its issue by itself only when that is switched on, the link is confirmed by score
(≥ ``repeats.confirm``) and the operator named no case. Otherwise it opens its own case, the
link is recorded and counted, and the intake form's check shows the operator the open case to
attach it to (one click fills 并入案件编号): a wrong join would hide a new problem inside an
old case, which is worse than one case too many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from operator import attrgetter

from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases import history
from civicdesk.cases.models import Case
from civicdesk.cases.numbering import next_case_number
from civicdesk.core.workflow import OPEN_STATUSES, CaseAction, CaseStatus
from civicdesk.errors import InvalidInput, NotFound, PermissionDenied
from civicdesk.intake.models import Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.service import Placement
from civicdesk.repeats import batch, engine, repository
from civicdesk.repeats.context import RepeatContext, load_context
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import (
    KINDS,
    CaseState,
    Decision,
    Facts,
    KeyMemo,
    Match,
    block_keys,
    decide,
    keys_of,
    query_keys,
    score_pair,
)
from civicdesk.taxonomy.models import Category

NEW_ID = 2**62  # the complaint being recorded comes after every complaint on record
DECIDERS = frozenset({Role.operator, Role.dispatcher, Role.admin})


@dataclass
class IntakeCheck:
    facts: Facts
    decision: Decision | None
    join_case: Case | None
    context: RepeatContext
    reopened: bool = False


@dataclass
class Neighbourhood:
    """Earlier complaints near one complaint, with their cases and the people on them."""

    candidates: list[Facts]
    cases: dict[int, CaseState]
    people: dict[int, list[Facts]]


def neighbourhood(session: Session, x: Facts, ctx: RepeatContext) -> Neighbourhood:
    lo, hi = engine.window(x, ctx.taxonomy, ctx.rules)
    ids = repository.candidate_ids(session, query_keys(x, ctx.taxonomy), lo, hi, ctx.rules.per_key)
    return around(session, [i for i in ids if i != x.id], ctx)


def around(session: Session, ids: list[int], ctx: RepeatContext) -> Neighbourhood:
    """The complaints ``ids`` as facts, their cases, and every complaint on those cases."""
    if not ids:
        return Neighbourhood([], {}, {})
    # One query for the candidates, every complaint on their cases, and those cases' state.
    cases: dict[int, CaseState] = {}
    people: dict[int, list[Facts]] = {}
    candidates: list[Facts] = []
    not_filed: list[int] = []
    wanted = set(ids)
    for row in repository.neighbourhood_rows(session, ids, batch.ORM_COLUMNS):
        f = batch.facts_of_row(ctx, row[:-3])
        status, closed_at, unit_id = row[-3:]
        if f.case_id is not None and f.case_id not in cases:
            ended = closed_at.timestamp() if status == "closed" and closed_at else None
            how = "closed" if ended else (status if status in ("not_filed", "merged") else None)
            cases[f.case_id] = CaseState(f.case_id, ended, how, unit_id)
            if how in ("not_filed", "merged"):
                not_filed.append(f.case_id)
        people.setdefault(f.case_id or -1, []).append(f)
        if f.id in wanted:
            candidates.append(f)
    for case_id, at in repository.not_filed_times(session, not_filed).items():
        state = cases[case_id]
        cases[case_id] = CaseState(case_id, at, state.ended_how, state.unit_id)
    return Neighbourhood(candidates, cases, people)


def check_new(
    session: Session,
    data: ComplaintCreate,
    *,
    channel_id: int,
    category: Category | None,
    place: Placement,
    received_at: datetime,
    actor: User | None,
    now: datetime,
) -> IntakeCheck:
    """The repeat check of a complaint about to be recorded (``intake.service``)."""
    ctx = load_context(session)
    facts = intake_facts(
        ctx, data, id=NEW_ID, created=now, received=received_at, channel_id=channel_id,
        category_id=category.id if category else None, place=place, case_id=None,
    )  # fmt: skip
    return check_intake(
        session, facts, actor=actor, now=now, operator_named_case=bool(data.case_number)
    )


def intake_facts(
    ctx: RepeatContext,
    data: ComplaintCreate,
    *,
    id: int,
    created: datetime,
    received: datetime,
    channel_id: int,
    category_id: int | None,
    place: Placement,
    case_id: int | None,
) -> Facts:
    """What the scorer knows of a complaint being recorded (online one by one, or a batch)."""
    return ctx.facts(
        id=id,
        created=created,
        received=received,
        channel_id=channel_id,
        phone=data.complainant_phone,
        name=data.complainant_name,
        title=data.title,
        text=data.text,
        address=data.address,
        lon=data.longitude,
        lat=data.latitude,
        category=category_id,
        area=place.area_id,
        case_id=case_id,
        district=place.district_id,
    )


def check_intake(
    session: Session,
    facts: Facts,
    *,
    actor: User | None,
    now: datetime,
    operator_named_case: bool,
) -> IntakeCheck:
    """Decide the new complaint's link before it is written, and which open case it joins."""
    ctx = load_context(session)
    near = neighbourhood(session, facts, ctx)
    decision = decide(facts, near.candidates, near.cases, near.people, ctx.taxonomy, ctx.rules)
    check = IntakeCheck(facts, decision, None, ctx)
    if decision is None or operator_named_case or not decision.confirmed or not ctx.auto_attach:
        return check
    if decision.join_case is not None:
        case = session.get(Case, decision.join_case)
        if case is not None and case.status in OPEN_STATUSES:
            check.join_case = case
    elif decision.kind == "recurrence" and ctx.recurrence == "reopen":
        check.join_case, check.reopened = _reopen(session, decision, actor, now)
    return check


def check_many(
    session: Session, xs: list[Facts], *, now: datetime
) -> tuple[list[Decision | None], RepeatContext]:
    """The online check of several complaints just written (the inbox drain's batch), each
    deciding as ``check_intake`` would had the batch been recorded one complaint at a time:
    it sees the complaints on record and the batch's earlier ones. ``xs`` are in
    ``Facts.order`` with their ids and cases. Only for intake that never joins an open case
    by itself (auto-attach off): a join would change the cases the later ones see.

    Two queries for the batch instead of two per complaint: the stored keys' most recent
    complaints for every key the batch looks up (``recent_by_key``, twice ``per_key`` each),
    then those complaints with their cases. A complaint for which the head read for a key
    does not reach back far enough (more than ``per_key`` stored under it later than its own
    window) asks for that key on its own, as the online check does."""
    ctx = load_context(session)
    taxonomy, rules = ctx.taxonomy, ctx.rules
    memo: KeyMemo = {}
    plans = []
    wanted: dict[int, tuple[float, float]] = {}
    for x in xs:
        filed, looked = keys_of(x, taxonomy, memo)
        lo, hi = engine.window(x, taxonomy, rules)
        plans.append((x, filed, looked, lo, hi))
        for key in looked:
            have = wanted.get(key)
            wanted[key] = (lo, hi) if have is None else (min(have[0], lo), max(have[1], hi))
    head = 2 * rules.per_key
    stored = repository.recent_by_key(session, wanted, head) if wanted else {}
    mine = {x.id for x in xs}
    near = around(session, sorted({i for rows in stored.values() for _, i in rows} - mine), ctx)
    known = {f.id: f for f in near.candidates}
    cases, people = dict(near.cases), {k: list(v) for k, v in near.people.items()}
    blocks: dict[int, list[Facts]] = {}  # the batch's complaints by the keys they are filed under
    decisions: list[Decision | None] = []
    for x, filed, looked, lo, hi in plans:
        seen: dict[int, Facts] = {}
        for key in looked:
            rows = stored.get(key, [])
            found = [known[i] for received, i in rows if lo <= received <= hi and i in known]
            if len(rows) == head and len(found) < rules.per_key and rows[-1][0] >= lo:
                found = _one_key(session, key, lo, hi, ctx, known, cases, people)
            found += [y for y in blocks.get(key, ()) if lo <= y.received <= hi]
            found.sort(key=_RECENT, reverse=True)
            for y in found[: rules.per_key]:
                seen[y.id] = y
        decision = decide(x, seen.values(), cases, people, taxonomy, rules) if seen else None
        decisions.append(decision)
        for key in filed:
            blocks.setdefault(key, []).append(x)
        if x.case_id is not None:
            cases[x.case_id] = CaseState(x.case_id, None, None, None)
            people.setdefault(x.case_id, []).append(x)
    return decisions, ctx


_RECENT = attrgetter("received", "id")


def _one_key(
    session: Session,
    key: int,
    lo: float,
    hi: float,
    ctx: RepeatContext,
    known: dict[int, Facts],
    cases: dict[int, CaseState],
    people: dict[int, list[Facts]],
) -> list[Facts]:
    ids = repository.candidate_ids(session, {key}, lo, hi, ctx.rules.per_key)
    missing = [i for i in ids if i not in known]
    if missing:
        more = around(session, missing, ctx)
        known.update((f.id, f) for f in more.candidates)
        for case_id, state in more.cases.items():
            cases.setdefault(case_id, state)
        for case_id, on_case in more.people.items():
            have = {f.id for f in people.get(case_id, ())}
            people.setdefault(case_id, []).extend(f for f in on_case if f.id not in have)
    return [known[i] for i in ids if i in known]


def record_many(
    session: Session,
    xs: list[Facts],
    decisions: list[Decision | None],
    ctx: RepeatContext,
    *,
    now: datetime,
) -> list[Decision]:
    """``record_intake`` for a batch checked by ``check_many``: the keys, then the links."""
    repository.replace_keys(session, [(x.id, block_keys(x, ctx.taxonomy), x.received) for x in xs])
    made = [d for d in decisions if d is not None]
    if not made:
        return []
    earlier = {d.earlier.case_id for d in made if d.earlier.case_id is not None}
    state = batch.load_cases(session, earlier) if earlier else {}
    rows = repository.link_rows(
        session, made, facts={x.id: x for x in xs}, cases=state, source="online", now=now
    )
    repository.insert_links(session, rows)
    return made


def _reopen(
    session: Session, decision: Decision, actor: User | None, now: datetime
) -> tuple[Case | None, bool]:
    """Reopen the closed case for rework, when the recording user may reopen cases; otherwise
    the recurrence opens a new case linked to the old one (the link says so)."""
    from civicdesk.cases.service import perform
    from civicdesk.config.service import work_calendar

    case = session.get(Case, decision.earlier.case_id) if decision.earlier.case_id else None
    if case is None or case.status != CaseStatus.closed or actor is None:
        return None, False
    if actor.role not in (Role.dispatcher, Role.admin):
        decision.explanation["reopen"] = "配置为重新开启原案件，但当前用户无权重新开启，已新建案件"
        return None, False
    perform(
        session,
        case,
        CaseAction.reopen,
        actor=actor,
        now=now,
        calendar=work_calendar(session),
        note="问题复发：结案后再次被投诉（重复投诉自动识别）",
    )
    return case, True


def record_intake(
    session: Session, complaint: Complaint, check: IntakeCheck, *, now: datetime
) -> Decision | None:
    """Write the complaint's blocking keys and its link (now that it has an id)."""
    x = replace(check.facts, id=complaint.id, case_id=complaint.case_id)
    repository.replace_keys(session, [(x.id, block_keys(x, check.context.taxonomy), x.received)])
    if check.decision is None:
        return None
    decision = replace(check.decision, complaint_id=complaint.id)
    if check.join_case is not None:
        decision.explanation["joined_case"] = check.join_case.number
    state = {}
    if decision.earlier.case_id is not None:
        state = batch.load_cases(session, {decision.earlier.case_id})
    rows = repository.link_rows(
        session, [decision], facts={x.id: x}, cases=state, source="online", now=now
    )
    repository.insert_links(session, rows)
    return decision


# ---- what the operator sees and decides --------------------------------------------------------


def candidates_for(session: Session, complaint: Complaint, *, limit: int = 5) -> list[Match]:
    """The earlier complaints that score as the same issue, best first (for the case page)."""
    ctx = load_context(session)
    x = batch.load_facts(session, ctx, ids=[complaint.id])[0]
    return preview(session, x, ctx, limit=limit)


def preview(session: Session, x: Facts, ctx: RepeatContext, *, limit: int = 5) -> list[Match]:
    near = neighbourhood(session, x, ctx)
    matches = [score_pair(x, y, ctx.taxonomy) for y in near.candidates if y.order < x.order]
    matches = [m for m in matches if m.score >= ctx.rules.suggest]
    matches.sort(key=lambda m: (m.score, m.earlier.order), reverse=True)
    return matches[:limit]


def _decider(actor: User) -> None:
    if actor.role not in DECIDERS:
        raise PermissionDenied("当前角色无权确认或撤销重复投诉关联")


def get_link(session: Session, link_id: int) -> RepeatLink:
    link = session.get(RepeatLink, link_id)
    if link is None:
        raise NotFound("重复投诉关联不存在")
    return link


def confirm_link(
    session: Session, link: RepeatLink, *, actor: User, now: datetime, kind: str | None = None
) -> RepeatLink:
    """A person confirms the link, possibly with another kind (the machine's is kept)."""
    _decider(actor)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"未知的重复类型：{kind}", field="kind")
    link.kind = kind or link.kind
    link.status = "confirmed"
    link.decided_by_id, link.decided_at = actor.id, now
    session.flush()
    return link


def reject_link(session: Session, link: RepeatLink, *, actor: User, now: datetime) -> RepeatLink:
    """Undo: not the same issue. A complaint the check had joined to the open case gets a case
    of its own again (recorded in both cases' history)."""
    _decider(actor)
    link.status = "rejected"
    link.decided_by_id, link.decided_at = actor.id, now
    complaint = session.get_one(Complaint, link.complaint_id)
    joined = link.explanation.get("joined_case") if link.explanation else None
    if joined and complaint.case_id == link.earlier_case_id:
        _detach(session, complaint, actor=actor, now=now)
    session.flush()
    return link


def _detach(session: Session, complaint: Complaint, *, actor: User, now: datetime) -> Case:
    old = session.get_one(Case, complaint.case_id)
    if old.complaint_count <= 1:
        return old
    from civicdesk.config.service import get_setting

    prefix = get_setting(session, "case_number_prefix", "HZ") or "HZ"
    case = Case(
        number=next_case_number(session, prefix=prefix, opened_at=complaint.received_at),
        status=CaseStatus.received.value,
        title=(complaint.title or complaint.text[:30])[:200],
        category_id=complaint.category_id,
        area_id=complaint.area_id,
        district_id=complaint.district_id,
        street_id=complaint.street_id,
        address=complaint.address,
        opened_at=complaint.received_at,
        complaint_count=1,
    )
    session.add(case)
    session.flush()
    complaint.case_id = case.id
    old.complaint_count -= 1
    note = f"撤销重复投诉关联：投诉 #{complaint.id} 移出，另立案件 {case.number}"
    history.record(
        session, old, CaseAction.note.value, actor=actor, at=now, from_status=old.status, note=note
    )
    history.record(
        session,
        case,
        CaseAction.receive.value,
        actor=actor,
        at=now,
        from_status=case.status,
        complaint_id=complaint.id,
        moved_from=old.number,
    )
    return case
