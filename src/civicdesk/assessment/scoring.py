"""The assessment arithmetic: plain functions on plain values, no database.

``score_units`` turns each unit's figures into indicator points, penalties, a total, a rank and a
grade, and says why every point was lost. Conventions (docs/assessment.md):

- rates are fractions (0.92); "per point" means per **percentage point** (92% → 90% is 2 points);
- each indicator's points are rounded to 2 decimals and the total is the sum of the rounded
  figures, so the table a unit reads adds up; the total never goes below 0;
- a unit below the minimum sample is listed as 样本不足 and neither ranked nor graded, and it is
  not a peer for the ``relative`` method (a unit with three cases cannot set the standard);
- ranks are competition ranks (1, 2, 2, 4) over scored units only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from civicdesk.assessment.schemes import Better, Grade, Indicator, Method, Penalty, Per, Scheme

SCORED, INSUFFICIENT, UNSCORED = "scored", "insufficient_sample", "unscored"
STATUS_LABELS = {SCORED: "已评分", INSUFFICIENT: "样本不足", UNSCORED: "无法评分"}
PER_LABELS = {Per.population: "每万人", Per.area_km2: "每平方公里"}


@dataclass(frozen=True)
class Figure:
    """One measure of one unit: numerator/denominator for a rate, value for both kinds."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    last_year: float | None = None
    previous: float | None = None

    @property
    def sample(self) -> float | None:
        """The size behind the figure: the denominator of a rate, else the count itself."""
        return self.denominator if self.denominator is not None else self.value


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    figures: dict[str, Figure] = field(default_factory=dict)
    inspection: float | None = None  # mean inspection score 0–100 in the period
    inspection_count: int = 0
    population: float | None = None
    area_km2: float | None = None
    penalty_counts: dict[str, int] = field(default_factory=dict)
    appeals_approved: int = 0
    problem: str | None = None  # e.g. no area configured: listed, not scored


@dataclass
class IndicatorScore:
    code: str
    name: str
    weight: float
    value: float | None
    points: float | None
    reason: str
    unit_label: str = ""  # "%", "件/万人", "分"

    @property
    def lost(self) -> float | None:
        return None if self.points is None else round(self.weight - self.points, 2)


@dataclass
class PenaltyScore:
    code: str
    name: str
    count: int
    points: float  # ≤ 0
    reason: str


@dataclass
class UnitScore:
    code: str
    name: str
    status: str
    status_reason: str
    indicators: list[IndicatorScore]
    penalties: list[PenaltyScore]
    sample: float | None
    appeals_approved: int
    total: float | None = None
    rank: int | None = None
    grade: str | None = None


# ---- one indicator ------------------------------------------------------------------------


def pct(value: float) -> str:
    return f"{value * 100:.2f}%"


def rate_points(value: float, weight: float, better: Better) -> tuple[float, str]:
    share = min(max(value, 0.0), 1.0)
    if better is Better.lower:
        points = round(weight * (1 - share), 2)
        return points, f"{weight:g} × (1 − {pct(share)}) = {points:.2f}分"
    points = round(weight * share, 2)
    return points, f"{weight:g} × {pct(share)} = {points:.2f}分"


def target_points(
    value: float, weight: float, target: float, per_point: float, better: Better
) -> tuple[float, str]:
    """Full points at or beyond the target; ``per_point`` off per percentage point short."""
    short = (target - value) if better is Better.higher else (value - target)
    word = "低于" if better is Better.higher else "高于"
    if short <= 1e-12:
        return round(weight, 2), f"{pct(value)} 达到目标 {pct(target)}，得满分 {weight:g}分"
    deduction = short * 100 * per_point
    points = round(max(weight - deduction, 0.0), 2)
    return points, (
        f"{pct(value)} {word}目标 {pct(target)} {short * 100:.2f}个百分点，"
        f"每点扣{per_point:g}分，扣{min(deduction, weight):.2f}分，得{points:.2f}分"
    )


def change_of(current: float | None, last_year: float | None) -> float | None:
    """同比: (this period − same period last year) / same period last year; None without a base."""
    if current is None or last_year is None or last_year == 0:
        return None
    return (current - last_year) / last_year


def relative_points(value: float, best: float, weight: float, better: Better) -> tuple[float, str]:
    if better is Better.lower:
        if value <= 0 or value <= best:
            return round(weight, 2), f"{value:.2f} 为最优，得满分 {weight:g}分"
        points = round(weight * best / value, 2)
        return points, f"最优 {best:.2f} ÷ 本单位 {value:.2f} × {weight:g} = {points:.2f}分"
    if best <= 0:
        return 0.0, "各单位均为 0，无法比较，得 0分"
    points = round(weight * min(value / best, 1.0), 2)
    return points, f"本单位 {value:.2f} ÷ 最优 {best:.2f} × {weight:g} = {points:.2f}分"


def penalty_points(count: int, penalty: Penalty) -> PenaltyScore:
    raw = count * penalty.points
    capped = penalty.cap is not None and raw > penalty.cap
    points = -round(min(raw, penalty.cap) if capped and penalty.cap else raw, 2)
    reason = f"{count}处 × {penalty.points:g}分 = {raw:g}分" if count else "无"
    if capped:
        reason += f"，封顶 {penalty.cap:g}分"
    return PenaltyScore(penalty.code, penalty.name, count, points + 0.0, reason)


def grade_for(total: float, grades: Sequence[Grade]) -> str:
    """The first grade whose minimum the total reaches (A ≥ 90, B 75–90, … E < 40)."""
    for grade in grades:
        if total >= grade.min - 1e-9:
            return grade.code
    return grades[-1].code


def competition_ranks(totals: dict[str, float]) -> dict[str, int]:
    """1, 2, 2, 4: equal totals share a rank; the next rank skips."""
    ordered = sorted(totals.items(), key=lambda item: -item[1])
    ranks: dict[str, int] = {}
    for position, (code, total) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        same = previous is not None and abs(previous[1] - total) < 1e-9
        ranks[code] = ranks[previous[0]] if same and previous else position
    return ranks


def normalised(unit: UnitInput, raw: float, per: Per | None) -> tuple[float | None, str]:
    """A count per 10,000 residents or per km²; None with the reason when the data is missing."""
    if per is None:
        return raw, ""
    base = unit.population if per is Per.population else unit.area_km2
    if not base:
        what = "人口" if per is Per.population else "面积（平方公里）"
        return (
            None,
            f"缺少{what}数据，无法按{PER_LABELS[per]}折算"
            "（在 assessment.yaml 的 area_facts 中配置）",
        )
    factor = 10_000 if per is Per.population else 1
    return raw / base * factor, ""


# ---- a whole scheme ---------------------------------------------------------------------


def _value(indicator: Indicator, unit: UnitInput) -> tuple[float | None, str, str]:
    """(the indicator's value, unit label, why missing)."""
    if indicator.source == "inspection":
        if unit.inspection is None:
            return None, "分", "本期无街面保序检查记录"
        return unit.inspection / 100, "分", ""
    figure = unit.figures.get(indicator.measure or "")
    if figure is None or figure.value is None:
        return None, "", f"{indicator.name}无数据（分母为0或本期无数据）"
    if indicator.method is Method.change:
        change = change_of(figure.value, figure.last_year)
        if change is None:
            return None, "%", "上年同期无数据，无法计算同比"
        return change, "%", ""
    if indicator.method is Method.relative:
        value, why = normalised(unit, figure.value, indicator.per)
        label = f"件/{PER_LABELS[indicator.per][1:]}" if indicator.per else "件"
        return value, label, why
    return figure.value, "%", ""


def _points(indicator: Indicator, value: float, best: float | None) -> tuple[float, str]:
    weight = indicator.weight
    if indicator.method is Method.rate:
        return rate_points(value, weight, indicator.better)
    if indicator.method is Method.target:
        assert indicator.target is not None
        return target_points(value, weight, indicator.target, indicator.per_point, indicator.better)
    if indicator.method is Method.change:
        assert indicator.target is not None
        points, reason = target_points(
            value, weight, indicator.target, indicator.per_point, indicator.better
        )
        return points, f"同比 {reason}"
    assert best is not None
    return relative_points(value, best, weight, indicator.better)


def _sample_status(scheme: Scheme, unit: UnitInput) -> tuple[str, str, float | None]:
    if unit.problem:
        return UNSCORED, unit.problem, None
    if scheme.min_sample is None:
        return SCORED, "", None
    figure = unit.figures.get(scheme.min_sample.measure)
    sample = figure.sample if figure else None
    if sample is None or sample < scheme.min_sample.at_least:
        shown = 0 if sample is None else sample
        return (
            INSUFFICIENT,
            f"样本不足：{scheme.min_sample.measure} = {shown:g}，"
            f"少于最小样本 {scheme.min_sample.at_least}，不参与排名",
            sample,
        )
    return SCORED, "", sample


def score_units(scheme: Scheme, units: Sequence[UnitInput]) -> list[UnitScore]:
    """Score every unit; ranked units first by rank, then the others in input order."""
    statuses = {u.code: _sample_status(scheme, u) for u in units}
    values = {(u.code, i.code): _value(i, u) for u in units for i in scheme.indicators}
    best: dict[str, float | None] = {}
    for indicator in scheme.indicators:
        if indicator.method is not Method.relative:
            continue
        peers = [
            values[(u.code, indicator.code)][0]
            for u in units
            if statuses[u.code][0] == SCORED and values[(u.code, indicator.code)][0] is not None
        ]
        pick = min if indicator.better is Better.lower else max
        best[indicator.code] = pick(p for p in peers if p is not None) if peers else None
    results = [_score_one(scheme, u, statuses[u.code], values, best) for u in units]
    ranks = competition_ranks({r.code: r.total for r in results if r.total is not None})
    for result in results:
        if result.total is not None:
            result.rank = ranks[result.code]
            result.grade = grade_for(result.total, scheme.grades)
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0))


def _score_one(
    scheme: Scheme,
    unit: UnitInput,
    status: tuple[str, str, float | None],
    values: dict[tuple[str, str], tuple[float | None, str, str]],
    best: dict[str, float | None],
) -> UnitScore:
    state, reason, sample = status
    indicators: list[IndicatorScore] = []
    missing: list[str] = []
    for indicator in scheme.indicators:
        value, label, why = values[(unit.code, indicator.code)]
        points: float | None
        if value is None:
            points = {"zero": 0.0, "full": indicator.weight}.get(indicator.when_missing)
            text = why + (f"，按规则得{points:g}分" if points is not None else "")
            if points is None:
                missing.append(f"{indicator.name}：{why}")
        elif indicator.method is Method.relative and best.get(indicator.code) is None:
            points, text = None, "无可比较的单位"
            missing.append(f"{indicator.name}：无可比较的单位")
        else:
            points, text = _points(indicator, value, best.get(indicator.code))
        indicators.append(
            IndicatorScore(
                indicator.code, indicator.name, indicator.weight, value, points, text, label
            )
        )
    penalties = [penalty_points(unit.penalty_counts.get(p.code, 0), p) for p in scheme.penalties]
    result = UnitScore(
        unit.code, unit.name, state, reason, indicators, penalties, sample, unit.appeals_approved
    )
    if state == SCORED and missing:
        result.status, result.status_reason = UNSCORED, "无法评分：" + "；".join(missing)
    if result.status == SCORED:
        gained = sum(i.points or 0.0 for i in indicators) + sum(p.points for p in penalties)
        result.total = round(max(gained, 0.0), 2)
    return result
