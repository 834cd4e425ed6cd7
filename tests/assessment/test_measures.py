"""The declarations themselves: rounding, the 0/1 row rule, unique keys, definitions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicdesk.assessment.facts import FACT_COLUMNS, FACT_NAMES, FLAG_NAMES
from civicdesk.assessment.measures import MEASURE_LIST, MEASURES, Linear, col, minus, rate
from civicdesk.errors import InvalidInput
from civicdesk.reports.summary import Comparison


def test_rates_round_half_up_to_two_decimals() -> None:
    assert rate(911, 972) == Decimal("93.72")
    assert rate(737, 972) == Decimal("75.82")
    assert rate(1, 8) == Decimal("12.50")
    assert rate(1, 200) == Decimal("0.50")
    assert rate(1, 400) == Decimal("0.25")
    assert rate(1, 800) == Decimal("0.13")  # 0.125 → half up
    assert rate(2, 3) == Decimal("66.67")
    assert rate(0, 5) == Decimal("0.00")
    assert rate(0, 0) is None and rate(3, 0) is None
    # The same rounding as the summary report's relative change.
    assert rate(16676 - 32971, 32971) == Comparison(16676, 32971).percent


def test_linear_sums_are_of_known_columns_with_unit_coefficients() -> None:
    assert minus("filed", "voided").apply({"filed": 7, "voided": 1}) == 6
    assert col("satisfied", "basically").apply({"satisfied": 2}) == 2
    assert minus("due_close", "suspended").text() == "due_close − suspended"
    with pytest.raises(ValueError, match="unknown fact column"):
        col("nonsense")
    with pytest.raises(ValueError, match="coefficients"):
        Linear((("filed", 2),))


def test_every_measure_is_declared_completely() -> None:
    assert len(MEASURES) == len(MEASURE_LIST)
    for m in MEASURE_LIST:
        assert m.name and m.definition, m.key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in m.name), m.key
        # Subtracting is only allowed from the first term (a subset of it, see facts.py).
        for linear in (m.numerator, m.denominator, *m.variants.values()):
            if linear is not None:
                assert linear.terms[0][1] == 1
                assert all(c == -1 for _, c in linear.terms[1:]) or all(
                    c == 1 for _, c in linear.terms
                )


def test_the_fact_columns() -> None:
    assert FACT_NAMES[0] == "complaint_id" and len(set(FACT_NAMES)) == len(FACT_NAMES)
    assert "appeal_approved" in FLAG_NAMES and "case_primary" in FLAG_NAMES
    assert all(c.doc for c in FACT_COLUMNS)


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(InvalidInput, match="没有口径"):
        MEASURES["closure_rate"].denominator_for("nonsense")
    assert MEASURES["closure_rate"].denominator_for(None) == col("due_close")
