"""Every assessment measure, declared once: a numerator and (for rates) a denominator, each a
signed sum of fact columns (``facts.FACT_COLUMNS``), with its Chinese name and definition.

A measure knows nothing of SQL: the engine compiles the same declaration for the live tables
(SQLAlchemy) and for the DuckDB copy, and the drill-down lists the complaints whose row value
of the numerator (or denominator) is 1. Each signed sum is of 0/1 row values by construction
(a flag subtracted is a subset of the flag it is subtracted from, see facts.py), so the
complaints behind a figure number exactly the figure.

Sources: DESIGN.md (measures), shared/reference/indicators.md (GB/T 30428, CJ/T 292 practice and
published local schemes). Where cities differ the denominator has named variants, chosen per
evaluation (``evaluate(..., variants={"closure_rate": "excl_suspended"})``).

Rates are per cent, two decimals, half up (as ``reports.summary.Comparison.percent``); a rate
whose denominator is 0 has no value (None, shown "—"), never 0%.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from civicdesk.assessment.facts import FLAG_NAMES, OVERDUE_PENDING
from civicdesk.errors import InvalidInput

COLUMNS = frozenset(FLAG_NAMES) | {OVERDUE_PENDING}
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Linear:
    """A signed sum of fact columns: ``Linear((("filed", 1), ("voided", -1)))`` = 立案 − 作废."""

    terms: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        for column, coefficient in self.terms:
            if column not in COLUMNS:
                raise ValueError(f"unknown fact column {column!r}")
            if coefficient not in (1, -1):
                raise ValueError("coefficients are +1 or -1 (row values stay 0/1)")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.terms)

    def apply(self, sums: Mapping[str, int]) -> int:
        return sum(coefficient * int(sums.get(column, 0)) for column, coefficient in self.terms)

    def text(self) -> str:
        parts = []
        for index, (column, coefficient) in enumerate(self.terms):
            sign = "" if index == 0 and coefficient > 0 else (" + " if coefficient > 0 else " − ")
            parts.append(f"{sign}{column}")
        return "".join(parts).strip()


def col(*names: str) -> Linear:
    return Linear(tuple((n, 1) for n in names))


def minus(base: str, *less: str) -> Linear:
    return Linear(((base, 1), *((n, -1) for n in less)))


@dataclass(frozen=True)
class Measure:
    key: str
    name: str  # Chinese, as reports write it
    numerator: Linear
    denominator: Linear | None = None  # None: a count
    definition: str = ""
    # Alternative denominators where cities differ: variant name → denominator.
    variants: Mapping[str, Linear] = field(default_factory=dict)
    # Alternative numerators where cities count differently (派遣准确率: − 回退数 or − 返工数).
    numerator_variants: Mapping[str, Linear] = field(default_factory=dict)
    unit: str = "件"
    # True where a higher value is better (rankings and charts colour by it).
    higher_is_better: bool = False

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None

    def denominator_for(self, variant: str | None) -> Linear | None:
        if variant is None or variant == "standard" or variant in self.numerator_variants:
            return self.denominator
        if variant not in self.variants:
            known = "、".join(["standard", *self.variants, *self.numerator_variants])
            raise InvalidInput(
                f"指标“{self.name}”没有口径“{variant}”（可选：{known}）/ unknown variant",
                field="variants",
            )
        return self.variants[variant]

    def numerator_for(self, variant: str | None) -> Linear:
        """The numerator under ``variant`` (the standard one unless it names a numerator
        variant); an unknown variant is refused by ``denominator_for``."""
        if variant in self.numerator_variants:
            return self.numerator_variants[variant]  # type: ignore[index]
        self.denominator_for(variant)
        return self.numerator

    def under(self, variant: str | None) -> Measure:
        """This measure with the numerator of ``variant`` (denominators are chosen apart)."""
        numerator = self.numerator_for(variant)
        if numerator is self.numerator:
            return self
        return replace(self, numerator=numerator)

    def columns(self) -> frozenset[str]:
        used = set(self.numerator.columns)
        for linear in (
            self.denominator,
            *self.variants.values(),
            *self.numerator_variants.values(),
        ):
            if linear is not None:
                used.update(linear.columns)
        return frozenset(used)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator in per cent, 2 decimals half up; None without a denominator."""
    if denominator == 0:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        HUNDREDTH, rounding=ROUND_HALF_UP
    )


def _count(key: str, name: str, column: str, definition: str, **kw: object) -> Measure:
    return Measure(key, name, col(column), definition=definition, **kw)  # type: ignore[arg-type]


_EXCL_SUSPENDED = minus("due_close", "suspended")

MEASURE_LIST: tuple[Measure, ...] = (
    # ---- complaint measures (DESIGN.md; the source's figures) ----
    _count("complaints", "投诉总量", "complaint", "受理的投诉件数（重复受理的同一投诉只计一次）。"),
    _count("hotspot", "热点问题投诉", "is_hotspot", "属于9类热点问题（或其下级类别）的投诉件数。"),
    _count(
        "repeats",
        "重复投诉量",
        "is_repeat",
        "有已确认重复关联的投诉（同一投诉人再诉、他人同诉、结案后复发），不含经认定为恶意来电者的投诉。",
    ),
    _count("repeats_same", "同一投诉人重复投诉", "repeat_same", "同一投诉人就同一问题再次投诉。"),
    _count("repeats_other", "他人重复投诉", "repeat_other", "其他投诉人就同一问题投诉。"),
    _count("recurrences", "结案后复发投诉", "recurrence", "问题结案后在回溯期内再次被投诉。"),
    # ---- case counts (indicators.md, 计数) ----
    _count(
        "cases",
        "受理数",
        "case_primary",
        "案件数：每个案件计一次，按其首件投诉的时间、区域、类别归属。",
    ),
    _count("filed", "立案数", "filed", "已立案的案件数。"),
    _count(
        "filed_on_time",
        "按时立案数",
        "filed_on_time",
        "在立案时限内（受理后，supervision.yaml 的 file 时限）立案的案件数。",
    ),
    _count("not_filed", "不予立案数", "not_filed", "不予立案的案件数。"),
    _count("voided", "作废数", "voided", "立案后作废（并入其他案件）的案件数。"),
    _count(
        "dispatched", "派遣数", "dispatched", "已派遣至承办单位的案件数（即应签收数、应处置数）。"
    ),
    _count(
        "dispatched_on_time",
        "按时派遣数",
        "dispatched_on_time",
        "在派遣时限内（立案后，supervision.yaml 的 dispatch 时限）派遣的应派遣案件数。",
    ),
    Measure(
        "dispatched_accurately",
        "准确派遣数",
        minus("dispatched", "returned"),
        definition="派遣数 − 回退数：派遣后未被承办单位退回（非本单位职责）的案件数；"
        "口径 rework：派遣数 − 返工数。",
        numerator_variants={"rework": minus("dispatched", "rework")},
    ),
    _count("handled", "处置数", "handled", "承办单位已答复处置结果的案件数。"),
    _count("handled_on_time", "按期处置数", "handled_on_time", "在处置时限内答复的案件数。"),
    _count("handled_late", "超期处置数", "handled_late", "超过处置时限才答复的案件数。"),
    _count(
        "overdue_pending",
        "超期未处置数",
        OVERDUE_PENDING,
        "统计时点仍待处置（已派遣或已签收）且已过处置时限的案件数。",
    ),
    _count("due_close", "应结案数", "due_close", "已立案且未作废的案件数。"),
    _count("closed", "结案数", "closed", "已结案的案件数。"),
    _count(
        "closed_on_time", "按期结案数", "closed_on_time", "已结案，且处置与答复均未超期的案件数。"
    ),
    _count("suspended", "挂账（缓办）数", "suspended", "统计时点处于挂账状态的案件数。"),
    _count("rework", "返工数", "rework", "至少返工一次的案件数。"),
    _count("returned", "回退数", "returned", "至少被承办单位退回一次的案件数。"),
    _count("extended", "延期数", "extended", "获准延期的案件数。"),
    _count("callbacks", "回访数", "callback", "已回访并记录满意度的案件数。"),
    # ---- rates (indicators.md, 比率) ----
    Measure(
        "filing_rate",
        "立案率",
        col("filed"),
        col("case_primary"),
        "立案数 ÷ 受理数。",
        variants={"judged": col("filed", "not_filed")},
        higher_is_better=True,
    ),
    Measure(
        "accurate_filing_rate",
        "准确立案率",
        minus("filed", "voided"),
        col("filed"),
        "（立案数 − 作废数）÷ 立案数。",
        higher_is_better=True,
    ),
    Measure(
        "dispatch_rate",
        "派遣率",
        col("dispatched"),
        col("due_close"),
        "派遣数 ÷ 应派遣数（已立案未作废）。",
        higher_is_better=True,
    ),
    Measure(
        "accept_on_time_rate",
        "按时签收率",
        col("accepted_on_time"),
        col("dispatched"),
        "按时签收数 ÷ 应签收数（派遣数）。",
        higher_is_better=True,
    ),
    Measure(
        "handling_rate",
        "处置率",
        col("handled"),
        col("dispatched"),
        "处置数 ÷ 应处置数（派遣数）。",
        higher_is_better=True,
    ),
    Measure(
        "handling_on_time_rate",
        "按期处置率",
        col("handled_on_time"),
        col("dispatched"),
        "按期处置数 ÷ 应处置数。",
        higher_is_better=True,
    ),
    Measure(
        "closure_rate",
        "结案率",
        col("closed"),
        col("due_close"),
        "结案数 ÷ 应结案数；金华口径 excl_suspended：÷（应结案数 − 缓办数）。",
        variants={"excl_suspended": _EXCL_SUSPENDED},
        higher_is_better=True,
    ),
    Measure(
        "closure_on_time_rate",
        "按期结案率",
        col("closed_on_time"),
        col("due_close"),
        "按期结案数 ÷ 应结案数；金华口径 excl_suspended：÷（应结案数 − 缓办数）。",
        variants={"excl_suspended": _EXCL_SUSPENDED},
        higher_is_better=True,
    ),
    Measure(
        "rework_rate",
        "返工率",
        col("rework"),
        col("due_close"),
        "返工数 ÷ 应结案数；口径 per_handled：÷ 处置数。",
        variants={"per_handled": col("handled")},
    ),
    Measure(
        "overdue_pending_rate",
        "超期待处置率",
        col(OVERDUE_PENDING),
        col("dispatched"),
        "超期未处置数 ÷ 应处置数（统计时点）。",
    ),
    Measure("extension_rate", "延期率", col("extended"), col("dispatched"), "延期数 ÷ 应处置数。"),
    Measure("return_rate", "回退率", col("returned"), col("dispatched"), "回退数 ÷ 派遣数。"),
    Measure(
        "filing_on_time_rate",
        "按时立案率",
        col("filed_on_time"),
        col("filed_timed"),
        "按时立案数 ÷ 立案数（受理时已存立案时限的案件；无时限的历史导入案件不计入分母）。",
        higher_is_better=True,
    ),
    Measure(
        "dispatch_on_time_rate",
        "按期派遣率",
        col("dispatched_on_time"),
        col("dispatch_timed"),
        "按时派遣数 ÷ 应派遣数（立案时已存派遣时限的案件；无时限的不计入分母）。",
        higher_is_better=True,
    ),
    Measure(
        "dispatch_accuracy_rate",
        "派遣准确率",
        minus("dispatched", "returned"),
        col("dispatched"),
        "准确派遣数 ÷ 派遣数，准确派遣数 = 派遣数 − 回退数（= 1 − 回退率）；"
        "口径 rework：准确派遣数 = 派遣数 − 返工数。",
        numerator_variants={"rework": minus("dispatched", "rework")},
        higher_is_better=True,
    ),
    Measure(
        "satisfaction_rate",
        "回访满意率",
        col("satisfied", "basically"),
        col("callback"),
        "（满意 + 基本满意）÷ 回访数。",
        higher_is_better=True,
    ),
    Measure(
        "dissatisfaction_rate",
        "不满意率",
        col("unsatisfied"),
        col("callback"),
        "不满意 ÷ 回访数。",
    ),
    Measure(
        "repeat_share",
        "重复投诉占比",
        col("is_repeat"),
        col("complaint"),
        "重复投诉量 ÷ 投诉总量。",
    ),
    Measure(
        "hotspot_share",
        "热点问题占比",
        col("is_hotspot"),
        col("complaint"),
        "热点问题投诉 ÷ 投诉总量。",
    ),
)
MEASURES: dict[str, Measure] = {m.key: m for m in MEASURE_LIST}
assert len(MEASURES) == len(MEASURE_LIST), "measure keys are unique"


def select_measures(keys: object | None) -> tuple[Measure, ...]:
    """The measures named by ``keys`` (all when None), refusing unknown keys clearly."""
    if keys is None:
        return MEASURE_LIST
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k.strip()]
    chosen = []
    for key in keys:  # type: ignore[attr-defined]
        key = str(key).strip()
        if key not in MEASURES:
            raise InvalidInput(
                f"未知指标“{key}”。可选：{'、'.join(MEASURES)} / unknown measure {key!r}",
                field="measures",
            )
        chosen.append(MEASURES[key])
    if not chosen:
        raise InvalidInput("请至少选择一个指标 / no measure chosen", field="measures")
    return tuple(chosen)
