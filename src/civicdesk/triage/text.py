"""Normalising what citizens type before anything reads it.

Full-width digits and letters fold to half-width (１２３号 → 123号, ＡＢＣ → abc) and the
ideographic space to a space; traditional characters become simplified ones, character by character
(違法停車 → 违法停车), from zhconv's MediaWiki table — every place name and keyword of the
configuration is written in simplified characters, so a character-level fold is what matching
needs. Latin letters are lower-cased; whitespace collapses to one space.

Speed matters here (every text of a batch passes through): full NFKC costs 100 µs on a
500-character Chinese text, because Chinese punctuation is full-width and so always needs
work; the full-width range alone is the part that matters for matching, and a regular
expression over that one range costs a few microseconds. Traditional characters are looked for
with a numpy mask over the code points of the whole batch at once.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# A complaint longer than this is cut before classification and location: the first part says
# what and where; what follows (history, quotations of earlier replies) only dilutes it, and an
# unbounded text must not make one request slow.
MAX_CHARS = 2000
# Full-width digits, letters and the signs of addresses (１２号, Ａ座, ３－２, ＃) and the
# ideographic space. Full-width punctuation (，。！) is left as it is: it means the same in
# training and in use, and folding it would cost a substitution per comma.
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff03\uff0d\u3000]")
_FOLD_WIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_PLANES = 0x30000  # traditional characters all lie below (BMP and the CJK extensions)
SHORT = 100


@lru_cache(maxsize=1)
def _fold_table() -> tuple[np.ndarray, dict[int, str]]:
    """A mask of the traditional characters, and the table folding each into simplified."""
    # zhconv's own loader leaves its file open (a ResourceWarning): read the table directly.
    source = importlib.resources.files("zhconv").joinpath("zhcdict.json")
    with source.open("rb") as handle:
        pairs = json.load(handle)["zh2Hans"]
    table = {ord(k): v for k, v in pairs.items() if len(k) == 1 and len(v) == 1 and k != v}
    mask = np.zeros(_PLANES, dtype=bool)
    mask[[k for k in table if k < _PLANES]] = True
    return mask, table


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    return frozenset(chr(k) for k in _fold_table()[1])


def _has_traditional(text: str) -> bool:
    # A short text (an address) is checked character by character; a long one through numpy,
    # whose fixed cost per call is more than a short text's whole check.
    if len(text) < SHORT:
        return not _traditional().isdisjoint(text)
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    mask = _fold_table()[0]
    return bool(mask[np.minimum(points, _PLANES - 1)].any())


def simplify(text: str) -> str:
    """Fold traditional characters into simplified ones (most texts have none)."""
    if not text or not _has_traditional(text):
        return text
    return text.translate(_fold_table()[1])


def _clean(text: str, limit: int) -> str:
    text = _FULL_WIDTH.sub(lambda m: _FOLD_WIDTH[m.group()], text)
    if not text.islower():
        text = text.lower()
    return " ".join(text.split())[:limit]


def normalise(text: str | None, *, limit: int = MAX_CHARS) -> str:
    """Simplified, half-width, single-spaced, lower-case Latin, at most ``limit`` characters."""
    if not text:
        return ""
    return _clean(simplify(text[: limit * 2]), limit)


def normalise_many(texts: Sequence[str | None], *, limit: int = MAX_CHARS) -> list[str]:
    """``normalise`` of each text; the search for traditional characters runs once over the
    whole batch, and only the texts that have some are folded."""
    cut = [(t or "")[: limit * 2].replace("\x00", " ") for t in texts]
    if not cut:
        return []
    points = np.frombuffer(("\x00".join(cut) + "\x00").encode("utf-32-le"), dtype=np.uint32)
    mask, table = _fold_table()
    found = mask[np.minimum(points, _PLANES - 1)]
    if found.any():
        ends = points == 0
        docs = np.cumsum(ends) - ends
        for doc in np.unique(docs[found]).tolist():
            cut[doc] = cut[doc].translate(table)
    return [_clean(t, limit) if t else "" for t in cut]
