"""The assessment arithmetic on hand-computed fixtures (no database)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from civicdesk.assessment.schemes import (
    DEFAULT_GRADES,
    AssessmentFile,
    Better,
    Penalty,
    Scheme,
)
from civicdesk.assessment.scoring import (
    INSUFFICIENT,
    SCORED,
    UNSCORED,
    Figure,
    UnitInput,
    change_of,
    competition_ranks,
    grade_for,
    penalty_points,
    rate_points,
    relative_points,
    score_units,
    target_points,
)

JINNIU = {
    "code": "jinniu",
    "version": 1,
    "name": "金牛",
    "assess": {"by": "unit", "unit_kinds": ["squadron"]},
    "indicators": [
        {"code": "d", "name": "处置率", "measure": "handling_rate", "weight": 30},
        {"code": "o", "name": "按期处置率", "measure": "handling_on_time_rate", "weight": 20},
        {"code": "r", "name": "返工率", "measure": "rework_rate", "weight": 20, "better": "lower"},
        {
            "code": "p",
            "name": "超期待处置率",
            "measure": "overdue_pending_rate",
            "weight": 20,
            "better": "lower",
        },
        {
            "code": "e",
            "name": "延期率",
            "measure": "extension_rate",
            "weight": 10,
            "better": "lower",
        },
    ],
}


def rates(**values: float) -> dict[str, Figure]:
    return {k: Figure(v, numerator=v * 100, denominator=100) for k, v in values.items()}


def test_jinniu_department_score_by_hand():
    # 30×92% + 20×80% + 20×(1−5%) + 20×(1−10%) + 10×(1−20%) = 27.6+16+19+18+8 = 88.6 → B
    scheme = Scheme.model_validate(JINNIU)
    unit = UnitInput(
        "sq-1",
        "西溪中队",
        rates(
            handling_rate=0.92,
            handling_on_time_rate=0.80,
            rework_rate=0.05,
            overdue_pending_rate=0.10,
            extension_rate=0.20,
        ),
    )
    [result] = score_units(scheme, [unit])
    assert [i.points for i in result.indicators] == [27.6, 16.0, 19.0, 18.0, 8.0]
    assert result.total == 88.6
    assert (result.rank, result.grade, result.status) == (1, "B", SCORED)
    assert result.indicators[0].lost == 2.4
    assert "30 × 92.00% = 27.60分" in result.indicators[0].reason
    assert "20 × (1 − 5.00%) = 19.00分" in result.indicators[2].reason


@pytest.mark.parametrize(
    ("value", "weight", "target", "per_point", "expected"),
    [
        (0.65, 50, 0.70, 1, 45.0),  # 金华 按期结案率: 5 points short → −5
        (0.72, 50, 0.70, 1, 50.0),  # at or above the target: full points
        (0.855, 20, 0.90, 1, 15.5),  # 结案率 85.5%: 4.5 points short
        (0.60, 20, 0.90, 1, 0.0),  # 30 points short of a 20-point indicator: floor 0
        (0.93, 10, 0.95, 0.5, 9.0),  # urgent cases: −0.5 per point below 95%
    ],
)
def test_target_bands(value, weight, target, per_point, expected):
    points, reason = target_points(value, weight, target, per_point, Better.higher)
    assert points == expected
    assert ("达到目标" in reason) == (expected == weight)


def test_target_lower_is_better_and_reason():
    points, reason = target_points(0.13, 20, 0.10, 1, Better.lower)
    assert points == 17.0
    assert reason == "13.00% 高于目标 10.00% 3.00个百分点，每点扣1分，扣3.00分，得17.00分"


def test_change_against_last_year():
    # The source: 32,971 → 16,676 is −49.42%.
    assert round(change_of(16676, 32971) * 100, 2) == -49.42
    assert change_of(5, 0) is None and change_of(5, None) is None
    # +10% against a target of −10% (lower is better): 20 points over × 0.5 = −10 of 25.
    points, _ = target_points(change_of(110, 100), 25, -0.10, 0.5, Better.lower)
    assert points == 15.0


def test_rate_points_clip_and_relative():
    assert rate_points(1.2, 10, Better.higher)[0] == 10.0
    assert relative_points(20, 10, 30, Better.lower)[0] == 15.0
    assert relative_points(10, 10, 30, Better.lower)[0] == 30.0
    assert relative_points(8, 10, 30, Better.higher)[0] == 24.0


def test_penalty_cap():
    penalty = Penalty(code="s", name="点位", repeat_spots={"at_least": 5}, points=1, cap=20)
    assert penalty_points(7, penalty).points == -7.0
    capped = penalty_points(25, penalty)
    assert capped.points == -20.0 and "封顶 20分" in capped.reason
    assert penalty_points(0, penalty).points == 0.0


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (100, "A"),
        (90, "A"),
        (89.99, "B"),
        (75, "B"),
        (74.99, "C"),
        (60, "C"),
        (40, "D"),
        (39.99, "E"),
        (0, "E"),
    ],
)
def test_grades(total, grade):
    assert grade_for(total, DEFAULT_GRADES) == grade


def test_competition_ranks():
    assert competition_ranks({"a": 90, "b": 85, "c": 85, "d": 70}) == {
        "a": 1,
        "b": 2,
        "c": 2,
        "d": 4,
    }


def per_capita_scheme(**extra: object) -> Scheme:
    return Scheme.model_validate(
        {
            "code": "pc",
            "version": 1,
            "name": "按人口",
            "assess": {"by": "district"},
            "min_sample": {"measure": "complaints", "at_least": 30},
            "indicators": [
                {
                    "code": "v",
                    "name": "每万人投诉量",
                    "measure": "complaints",
                    "method": "relative",
                    "better": "lower",
                    "per": "population",
                    "weight": 30,
                },
                {"code": "s", "name": "满意率", "measure": "satisfaction_rate", "weight": 70},
            ],
            **extra,
        }
    )


def district(code: str, complaints: float, population: float | None, satisfied: float) -> UnitInput:
    figures = {"complaints": Figure(complaints), **rates(satisfaction_rate=satisfied)}
    return UnitInput(code, code, figures, population=population)


def test_relative_per_population_and_minimum_sample():
    # a: 500 / 250,000 = 20 per 10k; b: 300 / 300,000 = 10 per 10k (best); c has 3 complaints
    # (0.3 per 10k, the "best" by far) but is below the minimum sample: not a peer, not ranked.
    results = score_units(
        per_capita_scheme(),
        [
            district("a", 500, 250_000, 0.9),
            district("b", 300, 300_000, 0.8),
            district("c", 3, 100_000, 1.0),
        ],
    )
    by_code = {r.code: r for r in results}
    assert by_code["a"].indicators[0].value == 20.0
    assert by_code["a"].indicators[0].points == 15.0  # 30 × 10 / 20
    assert by_code["b"].indicators[0].points == 30.0
    assert by_code["a"].total == 15.0 + 63.0 and by_code["b"].total == 30.0 + 56.0
    assert [r.code for r in results] == ["b", "a", "c"]
    assert (by_code["c"].status, by_code["c"].rank, by_code["c"].grade) == (
        INSUFFICIENT,
        None,
        None,
    )
    assert by_code["c"].total is None
    assert "样本不足" in by_code["c"].status_reason and "30" in by_code["c"].status_reason


def test_missing_population_is_said_and_not_scored():
    results = score_units(
        per_capita_scheme(),
        [district("a", 500, 250_000, 0.9), district("x", 400, None, 0.9)],
    )
    x = next(r for r in results if r.code == "x")
    assert x.status == UNSCORED and x.total is None and x.rank is None
    assert "缺少人口数据" in x.status_reason


def test_unit_problem_and_penalties_in_total():
    scheme = per_capita_scheme(
        penalties=[
            {
                "code": "spots",
                "name": "点位",
                "repeat_spots": {"at_least": 5},
                "points": 1,
                "cap": 20,
            }
        ]
    )
    a = district("a", 500, 250_000, 0.9)
    a = UnitInput(a.code, a.name, a.figures, population=a.population, penalty_counts={"spots": 3})
    no_area = UnitInput("z", "无区域单位", problem="单位未配置责任区域，无法评分")
    results = {r.code: r for r in score_units(scheme, [a, no_area])}
    assert results["a"].total == 30.0 + 63.0 - 3.0
    assert results["z"].status == UNSCORED and results["z"].status_reason.startswith("单位未配置")


def test_when_missing_rules():
    base = dict(JINNIU)
    indicators = [dict(i) for i in JINNIU["indicators"]]
    indicators[4]["when_missing"] = "full"
    scheme = Scheme.model_validate(base | {"indicators": indicators})
    figures = rates(handling_rate=1, handling_on_time_rate=1, rework_rate=0, overdue_pending_rate=0)
    [result] = score_units(scheme, [UnitInput("u", "u", figures)])
    assert result.total == 100.0 and "按规则得10分" in result.indicators[4].reason
    # Without the rule the unit is not scored, and the reason names the indicator.
    [strict] = score_units(Scheme.model_validate(JINNIU), [UnitInput("u", "u", figures)])
    assert strict.status == UNSCORED and "延期率" in strict.status_reason


def test_weights_must_add_up_to_100():
    indicators = [dict(i) for i in JINNIU["indicators"]]
    indicators[0]["weight"] = 25
    with pytest.raises(ValidationError) as caught:
        Scheme.model_validate(JINNIU | {"indicators": indicators})
    assert "指标权重合计应为100，现为95" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "target"}, "needs 'target'"),
        ({"per": "population"}, "applies to method 'relative' only"),
        ({"source": "inspection"}, "takes no 'measure'"),
    ],
)
def test_indicator_consistency(change, message):
    indicators = [dict(i) for i in JINNIU["indicators"]]
    indicators[0] |= change
    with pytest.raises(ValidationError) as caught:
        Scheme.model_validate(JINNIU | {"indicators": indicators})
    assert message in str(caught.value)


def test_file_refuses_a_version_twice():
    with pytest.raises(ValidationError, match="jinniu v1"):
        AssessmentFile.model_validate({"schemes": [JINNIU, JINNIU]})
