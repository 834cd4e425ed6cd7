"""Text similarity of two complaints: character bigrams of the Chinese text (and words of Latin
text), with the place names and the framing every complaint shares taken out. Pure.

Why character bigrams rather than word segmentation (jieba): complaint texts are short, full of
place and shop names no dictionary knows, and two wordings of one problem share most of their
two-character runs ("占道经营", "油烟很大"). Bigrams need no dictionary, no model and no start-up
time, and they keep the online check within its few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Framing that says nothing about the problem: greetings, requests, repeat openings.
_BOILERPLATE = re.compile(
    r"尊敬的[\u4e00-\u9fff]{0,6}[：:，,]?|您好|你好|领导|谢谢|感谢|麻烦|请问|希望|恳请|请求|"
    r"有关部门|相关部门|城管部门|城管执法部门|执法部门|尽快|处理|解决|查处|要求|答复|反映|投诉|"
    r"举报|问题|情况|再次|又|已经|之前|上次|一下|一直|没有|还是|严重|影响|市民|居民|周边|"
    r"\d+天前|第[一二三四五六七八九十\d]+次"
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def features(text: str, *, drop: Iterable[str] = ()) -> frozenset[str]:
    """The bigram set of a text, without the given place strings and the shared framing."""
    for word in drop:
        if word and len(word) >= 2:
            text = text.replace(word, " ")
    return _grams(text)


@lru_cache(maxsize=1 << 14)
def _grams(text: str) -> frozenset[str]:
    # Cached: many complaints say the same thing once their place is taken out (a template,
    # a caller's repeated words), and the rebuild reads every complaint.
    text = _BOILERPLATE.sub(" ", text)
    grams: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            continue
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(w.upper() for w in _LATIN_WORD.findall(text))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Between Dice and containment: a short repeat ("又来了，还是那个摊") inside a long first
    complaint still scores, two long unrelated texts sharing a few common bigrams do not."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    if not common:
        return 0.0
    dice = 2 * common / (len(a) + len(b))
    contained = common / min(len(a), len(b))
    # Containment alone over-rates very short texts: it needs a few bigrams to count.
    weight = min(1.0, min(len(a), len(b)) / 12)
    value = 0.5 * dice + 0.5 * contained * weight + 0.5 * dice * (1 - weight)
    # A text of a few words ("HEAT/HOT WATER", a category name) says little beyond the
    # category: it cannot carry a link by itself.
    return round(value * min(1.0, min(len(a), len(b)) / 8), 3)
