"""The complaint classifier: training, calibrated prediction, and the versioned model file.

Method (docs/triage.md has the measurements behind each choice):

- features: character 1–2-gram TF-IDF of the title and the start of the body apart
  (``features``; the body cut at ``BODY_CHARS``), plus the configured keywords of each category
  (``lexicon``) as extra features — the configuration's knowledge acts as a prior the model can
  weigh, never as a rule;
- the IDF may be fitted on unlabelled complaints too (``unlabelled=``): words nobody labelled
  still say how common they are;
- a linear SVM with class-balanced weights (the small categories matter as much as 非城管事项);
- optional self-training on the unlabelled complaints: the ones the first model is surest of
  join the training set with the label it gave them;
- calibration: a softmax of the SVM scores at a temperature fitted on out-of-fold scores, so
  that "0.8" means right about 8 times in 10 and low confidence can be flagged for a person.

A model file is a NumPy ``.npz`` archive of plain arrays and one JSON metadata string, read with
``allow_pickle=False``: opening a model file never runs code.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from civicdesk.triage.features import Vocabulary
from civicdesk.triage.lexicon import Lexicon
from civicdesk.triage.text import normalise_many

FORMAT = "civicdesk-triage-model/1"
# The body is cut here for classification: the title and the first sentences say what the
# problem is; what follows (circumstances, history, quotations) blurs it. Cross-validation on
# the dev data (same folds, docs/triage.md): macro-F1 (≥10) 0.72 at 600 characters, 0.74 at
# 200, 0.75 at 100–150, 0.72 at 60; remit F1 best at 150–250. Shorter is also faster.
BODY_CHARS = 150
# Models written before the cut was a parameter were trained on 600 characters.
LEGACY_BODY_CHARS = 600
# Up to this many complaints are scored without building a sparse matrix (``scores``).
SMALL_BATCH = 8


@dataclass(frozen=True)
class Params:
    title_weight: float = 1.0
    lexicon_weight: float = 0.6
    c: float = 0.5
    self_training: bool = False
    # Self-training: per class, at most this many unlabelled complaints, each with a margin
    # (best score minus the second best) of at least ``pseudo_margin``.
    pseudo_per_class: int = 100
    pseudo_margin: float = 0.3
    # Characters of the body the model reads (the file keeps it: training and use agree).
    body_chars: int = BODY_CHARS


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    # The next labels with their probabilities, best first (the operator's alternatives).
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass
class TriageModel:
    vocabulary: Vocabulary
    lexicon: Lexicon
    classes: np.ndarray  # str labels
    coef: np.ndarray  # float32, classes × features
    intercept: np.ndarray  # float32, one per class
    temperature: float
    params: Params
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    # ---- predicting -----------------------------------------------------------------------

    def matrix(self, titles: Sequence[str], bodies: Sequence[str]) -> sp.csr_matrix:
        return _matrix(self.vocabulary, self.lexicon, self.params, titles, bodies)

    def scores(self, titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
        if len(titles) > SMALL_BATCH:
            # Text and keyword features multiplied apart: stacking the two sparse matrices
            # first would copy every non-zero once more.
            size = self.vocabulary.size
            out = np.asarray(self.vocabulary.transform(titles, bodies) @ self.coef[:, :size].T)
            if self.lexicon.size and self.params.lexicon_weight:
                words = self.lexicon.features(titles, bodies)
                out += (words @ self.coef[:, size:].T) * self.params.lexicon_weight
            return out + self.intercept
        # A few complaints (one typed at the intake form): summing the weight columns of their
        # non-zeros directly skips building sparse matrices, most of the time for one text.
        rows, cols, values = self.vocabulary.triplets(titles, bodies)
        out = np.tile(self.intercept.astype(np.float64), (len(titles), 1))
        np.add.at(out, rows, (self.coef[:, cols] * values).T)
        if self.lexicon.size and self.params.lexicon_weight:
            lrows, lcols, lvalues = self.lexicon.triplets(titles, bodies)
            if lrows:
                offset = np.asarray(lcols) + self.vocabulary.size
                weighted = self.coef[:, offset] * (np.asarray(lvalues) * self.params.lexicon_weight)
                np.add.at(out, np.asarray(lrows), weighted.T)
        return out

    def probabilities(self, titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
        return softmax(self.scores(titles, bodies), self.temperature)

    def predict_many(
        self,
        titles: Sequence[str | None],
        bodies: Sequence[str | None],
        *,
        top: int = 3,
        normalised: bool = False,
    ) -> list[Prediction]:
        """``normalised``: the texts already went through ``text.normalise_many``."""
        if normalised:
            t = [x or "" for x in titles]
            b = [(x or "")[: self.params.body_chars] for x in bodies]
        else:
            t = normalise_many(titles)
            b = normalise_many(bodies, limit=self.params.body_chars)
        probs = self.probabilities(t, b)
        order = np.argsort(-probs, axis=1)[:, :top]
        # Gathered and rounded as arrays, then plain Python values: per-element numpy scalars
        # would cost more than the whole classification of a batch.
        best = np.round(np.take_along_axis(probs, order, axis=1), 4).tolist()
        names = self.classes.astype(str)[order].tolist()
        return [
            Prediction(n[0], p[0], tuple(zip(n[1:], p[1:], strict=True)))
            for n, p in zip(names, best, strict=True)
        ]

    def predict(self, title: str | None, body: str | None) -> Prediction:
        return self.predict_many([title], [body])[0]

    # ---- the file -------------------------------------------------------------------------

    def save(self, path: str | Path) -> str:
        """Write the model; returns its version (also recorded inside the file)."""
        arrays = {
            "vocabulary_keys": self.vocabulary.keys,
            "vocabulary_idf": self.vocabulary.idf,
            "classes": np.asarray(self.classes, dtype=str),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
        }
        digest = hashlib.sha256()
        for name in sorted(arrays):
            digest.update(np.ascontiguousarray(arrays[name]).tobytes())
        meta = {
            **self.metadata,
            "format": FORMAT,
            "params": self.params.__dict__,
            "temperature": self.temperature,
            "title_weight": self.vocabulary.title_weight,
            "lexicon": {code: list(words) for code, words in self.lexicon.words.items()},
        }
        meta.setdefault("trained_at", datetime.now(UTC).isoformat(timespec="seconds"))
        stamp = meta["trained_at"][:10].replace("-", "")
        meta["version"] = f"tm-{stamp}-{digest.hexdigest()[:10]}"
        self.metadata = meta
        buffer = io.BytesIO()
        np.savez_compressed(buffer, meta=np.asarray(json.dumps(meta, ensure_ascii=False)), **arrays)
        Path(path).write_bytes(buffer.getvalue())
        return meta["version"]

    @classmethod
    def load(cls, path: str | Path) -> TriageModel:
        try:
            archive = np.load(Path(path), allow_pickle=False)
            meta = json.loads(str(archive["meta"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{path}: not a civicdesk triage model ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
        params = Params(**{"body_chars": LEGACY_BODY_CHARS, **meta["params"]})
        vocabulary = Vocabulary(
            archive["vocabulary_keys"], archive["vocabulary_idf"], meta["title_weight"]
        )
        return cls(
            vocabulary=vocabulary,
            lexicon=Lexicon.build(meta["lexicon"]),
            classes=archive["classes"],
            coef=archive["coef"],
            intercept=archive["intercept"],
            temperature=float(meta["temperature"]),
            params=params,
            metadata=meta,
        )


# ---- training -------------------------------------------------------------------------------


def _matrix(
    vocabulary: Vocabulary,
    lexicon: Lexicon,
    params: Params,
    titles: Sequence[str],
    bodies: Sequence[str],
) -> sp.csr_matrix:
    text = vocabulary.transform(titles, bodies)
    if not lexicon.size or not params.lexicon_weight:
        return text
    words = lexicon.features(titles, bodies) * params.lexicon_weight
    return sp.hstack([text, words], format="csr")


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _svm(x: sp.csr_matrix, y: np.ndarray, params: Params) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=params.c, class_weight="balanced").fit(x, y)


def _scores(model: Any, x: sp.csr_matrix) -> np.ndarray:
    scores = model.decision_function(x)
    if scores.ndim == 1:  # two classes: sklearn gives one column
        scores = np.column_stack([-scores, scores])
    return scores


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the true labels (a grid search
    over one parameter: robust, and enough)."""
    best, best_nll = 1.0, np.inf
    rows = np.arange(len(truth))
    for t in np.geomspace(0.02, 5.0, 60):
        p = softmax(scores, float(t))
        nll = -np.mean(np.log(np.clip(p[rows, truth], 1e-12, None)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def train(
    titles: Sequence[str | None],
    bodies: Sequence[str | None],
    labels: Sequence[str],
    *,
    lexicon: Lexicon,
    params: Params | None = None,
    unlabelled: tuple[Sequence[str | None], Sequence[str | None]] | None = None,
    calibrate: bool = True,
    metadata: dict[str, Any] | None = None,
) -> TriageModel:
    params = params or Params()
    t = normalise_many(titles)
    b = normalise_many(bodies, limit=params.body_chars)
    y = np.asarray(labels, dtype=str)
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs at least two different labels")
    ut = normalise_many(unlabelled[0]) if unlabelled else []
    ub = normalise_many(unlabelled[1], limit=params.body_chars) if unlabelled else []
    vocabulary = Vocabulary.fit(t + ut, b + ub, title_weight=params.title_weight)
    x = _matrix(vocabulary, lexicon, params, t, b)
    svm = _svm(x, y, params)
    if params.self_training and ut:
        x, y = _with_pseudo_labels(svm, x, y, _matrix(vocabulary, lexicon, params, ut, ub), params)
        svm = _svm(x, y, params)
    classes = np.asarray(svm.classes_, dtype=str)
    temperature = _calibrate(x, y, classes, params) if calibrate else 1.0
    coef = svm.coef_ if len(classes) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
    intercept = (
        svm.intercept_ if len(classes) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
    )
    meta = {
        "trained_on": len(labels),
        "unlabelled": len(ut),
        "classes": {str(c): int((np.asarray(labels, dtype=str) == c).sum()) for c in classes},
        **(metadata or {}),
    }
    return TriageModel(
        vocabulary,
        lexicon,
        classes,
        np.asarray(coef, np.float32),
        np.asarray(intercept, np.float32),
        temperature,
        params,
        meta,
    )


def _with_pseudo_labels(
    svm: Any, x: sp.csr_matrix, y: np.ndarray, xu: sp.csr_matrix, params: Params
) -> tuple[sp.csr_matrix, np.ndarray]:
    scores = _scores(svm, xu)
    top2 = np.sort(scores, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    guess = np.asarray(svm.classes_)[scores.argmax(axis=1)]
    picked: list[int] = []
    for label in svm.classes_:
        candidates = np.flatnonzero((guess == label) & (margin >= params.pseudo_margin))
        picked.extend(candidates[np.argsort(-margin[candidates])][: params.pseudo_per_class])
    index = np.asarray(sorted(picked), dtype=int)
    return sp.vstack([x, xu[index]], format="csr"), np.concatenate([y, guess[index]])


def _calibrate(x: sp.csr_matrix, y: np.ndarray, classes: np.ndarray, params: Params) -> float:
    """Temperature from out-of-fold scores (3 folds; classes too small to split are left in
    every training fold and scored there — slightly optimistic for them, but they are few)."""
    from sklearn.model_selection import StratifiedKFold

    counts = {c: int((y == c).sum()) for c in classes}
    splittable = np.asarray([counts[c] >= 3 for c in y])
    index = np.flatnonzero(splittable)
    if len(index) < 6 or len({y[i] for i in index}) < 2:
        return 1.0
    out = np.zeros((len(y), len(classes)))
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    for train_part, test_part in folds.split(index, y[index]):
        fit_rows = np.concatenate([index[train_part], np.flatnonzero(~splittable)])
        svm = _svm(x[fit_rows], y[fit_rows], params)
        columns = [int(np.flatnonzero(classes == c)[0]) for c in svm.classes_]
        scored = _scores(svm, x[index[test_part]])
        out[np.ix_(index[test_part], columns)] = scored
        missing = [i for i in range(len(classes)) if i not in columns]
        out[np.ix_(index[test_part], missing)] = scored.min() - 1.0
    truth = np.asarray([int(np.flatnonzero(classes == label)[0]) for label in y[index]])
    return fit_temperature(out[index], truth)
