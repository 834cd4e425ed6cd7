"""Complaint texts → sparse TF-IDF vectors of character 1–2-grams, title and body apart.

Characters, not words: Chinese has no spaces, and a word segmenter (jieba) both costs most of
the time budget (it reads a few hundred thousand characters a second) and did not classify
better on the dev data (docs/triage.md). Title and body are separate namespaces, each
L2-normalised, the title scaled by ``title_weight``: the title usually names the problem, the
body the circumstances.

Everything is vectorised over a whole batch with numpy: the texts are joined with a separator,
turned into one array of code points, and each n-gram is a 64-bit key
``namespace << 42 | first << 21 | second`` (code points fit in 21 bits), looked up in the sorted
vocabulary with ``searchsorted``. This is what makes batch triage fast in Python
(docs/benchmarks.md); the same function serves training and prediction, so the two can never
disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SEPARATOR = "\x00"
NAMESPACES = ("title", "body")


# A key is at most 43 bits (namespace bit 42, two code points of 21 bits); the 20 bits below
# it carry the document's index within a batch, so one sort of packed integers both groups
# each document's n-grams and orders the keys for the vocabulary look-up.
DOC_BITS = 20
MAX_BATCH = 1 << DOC_BITS
# Complaints featurised together (``Vocabulary.triplets``).
CHUNK = 1000


def _points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of every text, the separator after each, and each point's document index."""
    joined = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in texts) + SEPARATOR
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    ends = points == 0
    docs = np.cumsum(ends) - ends
    return points, docs


def packed_ngrams(texts: Sequence[str], split: int) -> np.ndarray:
    """Every character unigram and bigram of ``texts`` as ``key << 20 | document``, sorted;
    texts before ``split`` are titles (namespace 0), the others bodies (namespace 1)."""
    if len(texts) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} texts at a time")
    points, docs = _points(texts)
    real = points != 0
    keyed = (points << 21) | ((docs >= split).astype(np.int64) << 42)
    uni = (keyed[real] << DOC_BITS) | docs[real]
    pair = real[:-1] & real[1:]
    bi = ((keyed[:-1][pair] | points[1:][pair]) << DOC_BITS) | docs[:-1][pair]
    packed = np.concatenate([uni, bi])
    packed.sort()
    return packed


def _counted(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (key, document) pairs of a sorted packed array, with how often each occurs."""
    if not len(packed):
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(np.concatenate([[True], packed[1:] != packed[:-1]]))
    counts = np.diff(np.append(starts, len(packed)))
    distinct = packed[starts]
    return distinct >> DOC_BITS, distinct & (MAX_BATCH - 1), counts


@dataclass(frozen=True)
class Vocabulary:
    """The n-gram keys seen in training (sorted) and their inverse document frequencies."""

    keys: np.ndarray  # int64, sorted
    idf: np.ndarray  # float32, one per key
    title_weight: float = 1.0

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])

    @classmethod
    def fit(
        cls,
        titles: Sequence[str],
        bodies: Sequence[str],
        *,
        title_weight: float = 1.0,
        min_df: int = 1,
    ) -> Vocabulary:
        """Document frequencies over the given texts (the labelled ones, and unlabelled ones
        when there are: the IDF of words nobody labelled is still informative)."""
        n = len(titles)
        all_keys = []
        for namespace, texts in enumerate((titles, bodies)):
            for start in range(0, n, MAX_BATCH):
                chunk = texts[start : start + MAX_BATCH]
                split = len(chunk) if namespace == 0 else 0
                all_keys.append(_counted(packed_ngrams(chunk, split))[0])
        keys, df = np.unique(np.concatenate(all_keys), return_counts=True)
        keep = df >= min_df
        keys, df = keys[keep], df[keep]
        idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        return cls(keys, idf, title_weight)

    def triplets(
        self, titles: Sequence[str], bodies: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of every non-zero: sublinear TF × IDF, title and body each
        L2-normalised, the title scaled by ``title_weight``. A large batch goes through in
        chunks of ``CHUNK`` complaints: a chunk's keys fit in the processor's cache, and the
        sorts are faster (about 15% for 5,000 messages)."""
        n = len(titles)
        if n <= CHUNK:
            return self._triplets(titles, bodies)
        parts = []
        for start in range(0, n, CHUNK):
            rows, cols, values = self._triplets(
                titles[start : start + CHUNK], bodies[start : start + CHUNK]
            )
            parts.append((rows + start, cols, values))
        return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]

    def _triplets(
        self, titles: Sequence[str], bodies: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``triplets`` of one chunk: titles and bodies through one sort and one look-up."""
        n = len(titles)
        keys, doc, counts = _counted(packed_ngrams([*titles, *bodies], n))
        # Keys come sorted, so numpy's binary search resumes where the last one ended.
        index = np.searchsorted(self.keys, keys)
        index[index >= self.size] = 0
        hit = self.keys[index] == keys if self.size else np.zeros(len(keys), bool)
        doc, col, counts = doc[hit], index[hit], counts[hit]
        value = (1 + np.log(counts)) * self.idf[col]
        norms = np.sqrt(np.bincount(doc, weights=value * value, minlength=2 * n))
        scale = np.where(np.arange(2 * n) < n, self.title_weight, 1.0) / np.where(
            norms > 0, norms, 1
        )
        return np.where(doc < n, doc, doc - n), col, value * scale[doc]

    def transform(self, titles: Sequence[str], bodies: Sequence[str]) -> sp.csr_matrix:
        """One row per complaint (see ``triplets``)."""
        rows, cols, values = self.triplets(titles, bodies)
        return sp.csr_matrix(
            (values, (rows, cols)), shape=(len(titles), self.size), dtype=np.float32
        )
