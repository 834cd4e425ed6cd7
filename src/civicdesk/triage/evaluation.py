"""Measuring the classifier: labelled files, per-class precision/recall/F1, macro-F1, accuracy,
the remit F1, and stratified cross-validation side by side with the baseline.

The remit F1 is the F1 of the decision "城管事项" (in remit) against "非城管事项", with in remit as
the positive class: a complaint the platform should act on must not be turned away. It exists
for the city task only, where labels are categories of the configured tree and so have an
``in_remit`` flag.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Classes with fewer examples than this are reported but left out of the "macro-F1 over the
# classes with enough examples": with 3 or 6 examples, one message changes F1 by 0.2 or more.
ENOUGH_EXAMPLES = 10


@dataclass(frozen=True)
class LabelledFile:
    titles: list[str]
    bodies: list[str]
    labels: list[str]
    ids: list[str]


def read_labelled(path: str | Path, *, label_column: str = "label_zh") -> LabelledFile:
    """A CSV with ``title``, ``detail`` (or ``text``) and the label column; UTF-8 (a BOM is
    fine). Rows without a label are skipped."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        body = "detail" if "detail" in columns else "text"
        missing = [c for c in ("title", body, label_column) if c not in columns]
        if missing:
            raise ValueError(
                f"{path.name}: missing column(s) {', '.join(missing)} "
                f"(has: {', '.join(sorted(columns))})"
            )
        rows = [r for r in reader if (r.get(label_column) or "").strip()]
    return LabelledFile(
        [r["title"] or "" for r in rows],
        [r[body] or "" for r in rows],
        [r[label_column].strip() for r in rows],
        [r.get("mid") or r.get("id") or str(i) for i, r in enumerate(rows)],
    )


def read_unlabelled(path: str | Path, *, exclude: set[str] = frozenset()) -> tuple[list, list]:  # type: ignore[assignment]
    """Titles and bodies of an unlabelled file, leaving out the ids in ``exclude`` (the
    labelled messages themselves: they must not leak into an evaluation's vocabulary)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if (r.get("mid") or r.get("id")) not in exclude]
    body = "detail" if rows and "detail" in rows[0] else "text"
    return [r.get("title") or "" for r in rows], [r.get(body) or "" for r in rows]


def report(
    truth: Sequence[str], predicted: Sequence[str], *, remit: dict[str, bool] | None = None
) -> dict[str, Any]:
    """The figures of ``civicdesk triage evaluate --json``."""
    y, p = np.asarray(truth, dtype=str), np.asarray(predicted, dtype=str)
    labels = sorted(set(y.tolist()) | set(p.tolist()))
    per_class: dict[str, dict[str, float | int]] = {}
    for label in labels:
        precision, recall, f1 = _prf(y == label, p == label)
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int((y == label).sum()),
        }
    present = [label for label in labels if per_class[label]["support"] > 0]
    enough = [label for label in present if per_class[label]["support"] >= ENOUGH_EXAMPLES]
    result: dict[str, Any] = {
        "per_class": per_class,
        "macro_f1": round(float(np.mean([per_class[c]["f1"] for c in present])), 4),
        "macro_f1_enough": round(float(np.mean([per_class[c]["f1"] for c in enough])), 4)
        if enough
        else None,
        "enough_examples": ENOUGH_EXAMPLES,
        "accuracy": round(float((y == p).mean()), 4) if len(y) else 0.0,
        "remit_f1": None,
        "n": len(y),
    }
    if remit is not None and all(label in remit for label in labels):
        in_truth = np.asarray([remit[label] for label in y])
        in_pred = np.asarray([remit[label] for label in p])
        in_f1 = _prf(in_truth, in_pred)[2]
        out_f1 = _prf(~in_truth, ~in_pred)[2]
        result["remit_f1"] = round(in_f1, 4)
        result["remit"] = {"in_remit_f1": round(in_f1, 4), "not_in_remit_f1": round(out_f1, 4)}
    return result


def _prf(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float((truth & predicted).sum())
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# ---- cross-validation ------------------------------------------------------------------------

Fitter = Callable[[LabelledFile], Callable[[LabelledFile], list[str]]]


def cross_validate(
    data: LabelledFile, fitters: dict[str, Fitter], *, folds: int = 5, seed: int = 0
) -> dict[str, list[str]]:
    """Out-of-fold predictions of every method on the same stratified folds. A class with fewer
    examples than folds is spread over as many folds as it has examples."""
    y = np.asarray(data.labels, dtype=str)
    fold_of = _stratified_folds(y, folds, seed)
    predicted = {name: [""] * len(y) for name in fitters}
    for fold in range(folds):
        test = np.flatnonzero(fold_of == fold)
        if not len(test):
            continue
        train = _subset(data, np.flatnonzero(fold_of != fold))
        held = _subset(data, test)
        for name, fit in fitters.items():
            for index, label in zip(test, fit(train)(held), strict=True):
                predicted[name][index] = label
    return predicted


def _stratified_folds(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), dtype=int)
    offset = 0
    for label in sorted(set(y.tolist())):
        index = np.flatnonzero(y == label)
        rng.shuffle(index)
        fold_of[index] = (np.arange(len(index)) + offset) % folds
        offset += len(index)  # so that small classes do not all land in fold 0
    return fold_of


def _subset(data: LabelledFile, index: np.ndarray) -> LabelledFile:
    return LabelledFile(
        [data.titles[i] for i in index],
        [data.bodies[i] for i in index],
        [data.labels[i] for i in index],
        [data.ids[i] for i in index],
    )


def baseline_fitter(data: LabelledFile) -> Callable[[LabelledFile], list[str]]:
    """The issue's baseline: character 1–2-gram TF-IDF of title + body, linear SVM (scikit-learn
    defaults, class-balanced)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2)), LinearSVC(class_weight="balanced")
    )
    pipeline.fit([f"{t} {b}" for t, b in zip(data.titles, data.bodies, strict=True)], data.labels)

    def predict(held: LabelledFile) -> list[str]:
        texts = [f"{t} {b}" for t, b in zip(held.titles, held.bodies, strict=True)]
        return [str(label) for label in pipeline.predict(texts)]

    return predict
