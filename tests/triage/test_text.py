from __future__ import annotations

import pytest

from civicdesk.triage.text import MAX_CHARS, normalise, simplify


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("文三路１２３号", "文三路123号"),  # full-width digits
        ("ＡＢＣ小区", "abc小区"),  # full-width Latin, lower-cased
        ("違法停車　堵住消防通道", "违法停车 堵住消防通道"),  # traditional, ideographic space
        ("濱江區西興街道", "滨江区西兴街道"),
        ("楼下😡😡太吵了！！", "楼下😡😡太吵了！！"),  # emoji and Chinese punctuation kept
        ("line\n\tbreak", "line break"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_simplify_leaves_simplified_text_alone():
    text = "杭州市西湖区文三路"
    assert simplify(text) is text


def test_very_long_text_is_cut():
    assert len(normalise("噪音" * 10_000)) == MAX_CHARS
