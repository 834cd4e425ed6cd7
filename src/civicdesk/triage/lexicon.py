"""The configured keywords of each category (``categories.yaml``): features for the model, and
the classifier of the cold start, before any model has been trained.

Keywords are matched with an Aho–Corasick automaton (``pyahocorasick``): one pass over the text
finds every keyword of every category, whatever their number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ahocorasick
import numpy as np
import scipy.sparse as sp

# A keyword in the title counts this much more than one in the body (the title names the
# problem; the body also tells its surroundings).
TITLE_BONUS = 2.0
# The cold start never claims more than this: it is a word count, not a trained model, and
# everything it suggests must be looked at by a person.
COLD_START_MAX_CONFIDENCE = 0.6
MEMO_SIZE = 10_000


@dataclass(frozen=True)
class Lexicon:
    """Category code → its keywords (normalised text)."""

    words: dict[str, tuple[str, ...]]
    _automaton: ahocorasick.Automaton = field(repr=False, compare=False, hash=False)
    codes: tuple[str, ...] = ()
    _memo: dict[tuple[str, str], dict[int, float]] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    @classmethod
    def build(cls, words: dict[str, Iterable[str]]) -> Lexicon:
        from civicdesk.triage.text import normalise

        cleaned = {
            code: tuple(sorted({normalise(w) for w in ws if normalise(w)}))
            for code, ws in words.items()
        }
        cleaned = {code: ws for code, ws in cleaned.items() if ws}
        codes = tuple(cleaned)
        automaton = ahocorasick.Automaton()
        by_word: dict[str, list[int]] = {}
        for index, code in enumerate(codes):
            for word in cleaned[code]:
                by_word.setdefault(word, []).append(index)
        for word, indices in by_word.items():
            automaton.add_word(word, (word, tuple(indices)))
        if by_word:
            automaton.make_automaton()
        return cls(cleaned, automaton, codes)

    @property
    def size(self) -> int:
        return len(self.codes)

    def hits(self, text: str) -> dict[int, set[str]]:
        """Category index → the distinct keywords found in ``text`` (normalised)."""
        found: dict[int, set[str]] = {}
        if not text or not self.codes:
            return found
        for _, (word, indices) in self._automaton.iter(text):
            for index in indices:
                found.setdefault(index, set()).add(word)
        return found

    def scores(self, title: str, body: str) -> dict[int, float]:
        """Category index → evidence: distinct keywords, those of the title counting double.
        Remembered for the last few thousand texts: the model's features and the narrowing of a
        catch-all label ask about the same text one after the other."""
        key = (title, body)
        memo = self._memo
        if key in memo:
            return memo[key]
        if len(memo) > MEMO_SIZE:
            memo.clear()
        memo[key] = found = self._scores(title, body)
        return found

    def _scores(self, title: str, body: str) -> dict[int, float]:
        """One pass over title and body together (a separator no keyword contains between
        them); each distinct keyword counts once in the title and once in the body."""
        scores: dict[int, float] = {}
        if not self.codes or not (title or body):
            return scores
        seen: set[tuple[bool, str]] = set()
        cut = len(title)
        for end, (word, indices) in self._automaton.iter(f"{title}\x00{body}"):
            where = (end < cut, word)
            if where in seen:
                continue
            seen.add(where)
            weight = TITLE_BONUS if end < cut else 1.0
            for index in indices:
                scores[index] = scores.get(index, 0.0) + weight
        return scores

    def triplets(
        self, titles: Sequence[str], bodies: Sequence[str]
    ) -> tuple[list[int], list[int], list[float]]:
        """(row, category index, log(1 + evidence)): how strongly the configured words point
        at each category."""
        rows, cols, values = [], [], []
        for row, (title, body) in enumerate(zip(titles, bodies, strict=True)):
            for index, score in self.scores(title, body).items():
                rows.append(row)
                cols.append(index)
                values.append(math.log1p(score))
        return rows, cols, values

    def features(self, titles: Sequence[str], bodies: Sequence[str]) -> sp.csr_matrix:
        rows, cols, values = self.triplets(titles, bodies)
        return sp.csr_matrix(
            (np.asarray(values, np.float32), (rows, cols)),
            shape=(len(titles), self.size),
            dtype=np.float32,
        )

    def classify(self, title: str, body: str) -> list[tuple[str, float]]:
        """The cold start: categories by keyword evidence, with a modest confidence (their share
        of the evidence, at most ``COLD_START_MAX_CONFIDENCE``). Empty when no keyword occurs."""
        scores = self.scores(title, body)
        total = sum(scores.values())
        if not total:
            return []
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [
            (self.codes[index], round(COLD_START_MAX_CONFIDENCE * score / total, 4))
            for index, score in ranked
        ]
