"""How right annotators are: scores against a gold (expert) label, majority vote, batch checks.

``pred`` and ``gold`` are integer category codes of the same items (``-1`` = no label). A
source is scored on the gold items it labelled; ``coverage`` says how many that was.

* accuracy: Wilson score interval (better than the normal interval near 0 and 1);
* Cohen's kappa against gold: as :func:`wslab.quality.agreement.cohen_kappa`;
* per class precision, recall, F1 and support; a precision for a class never predicted is
  None (undefined), not 0;
* confusion matrix: rows are the gold label, columns the source's label.

>>> r = score_against_gold(np.array([0, 1, 1, -1]), np.array([0, 1, 0, 0]), ["a", "b"])
>>> r["n"], r["accuracy"]["value"], r["confusion"]["matrix"]
(3, 0.6666666666666666, [[1, 1], [0, 1]])
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import polars as pl

from wslab.quality.agreement import cohen_kappa_from_table
from wslab.quality.bands import band


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion; None when ``n == 0``."""
    if n <= 0:
        return None
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def accuracy_dict(successes: int, n: int, *, confidence: float = 0.95) -> dict:
    if n == 0:
        return {"value": None, "ci": None, "n": 0, "ci_method": "Wilson score",
                "note": "no gold item labelled"}
    ci = wilson_interval(successes, n, confidence=confidence)
    return {"value": successes / n, "ci": list(ci), "n": int(n), "ci_method": "Wilson score"}


def score_against_gold(pred: np.ndarray, gold: np.ndarray, categories: list[str], *,
                       confidence: float = 0.95, scale: str = "landis-koch") -> dict:
    """Accuracy, kappa, per-class P/R/F1 and confusion matrix of ``pred`` against ``gold``."""
    pred = np.asarray(pred)
    gold = np.asarray(gold)
    k = len(categories)
    have = (pred >= 0) & (gold >= 0)
    n = int(have.sum())
    table = np.bincount(gold[have].astype(np.int64) * k + pred[have], minlength=k * k).reshape(k, k)
    correct = int(np.trace(table))
    kappa = cohen_kappa_from_table(table, confidence=confidence).to_dict()
    kappa["band"] = band(kappa["value"], scale)
    support = table.sum(1)
    predicted = table.sum(0)
    per_class = {}
    for j, name in enumerate(categories):  # loop over classes, not items
        tp = int(table[j, j])
        precision = tp / predicted[j] if predicted[j] else None
        recall = tp / support[j] if support[j] else None
        if precision is None or recall is None:
            f1 = None
        else:
            f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1,
                           "support": int(support[j]), "predicted": int(predicted[j])}
    f1s = [v["f1"] for v in per_class.values() if v["support"] and v["f1"] is not None]
    n_gold = int((gold >= 0).sum())
    return {
        "n": n,
        "n_gold": n_gold,
        "coverage": n / n_gold if n_gold else None,
        "accuracy": accuracy_dict(correct, n, confidence=confidence),
        "cohen_kappa": kappa,
        "macro_f1": float(np.mean(f1s)) if f1s else None,
        "per_class": per_class,
        "confusion": {"rows": "gold", "columns": "source", "labels": list(categories),
                      "matrix": table.tolist()},
    }


def majority_codes(counts: np.ndarray) -> np.ndarray:
    """Majority label per item from category counts; -1 for ties and unrated items.

    >>> majority_codes(np.array([[2, 1], [1, 1], [0, 0], [0, 3]])).tolist()
    [0, -1, -1, 1]
    """
    counts = np.asarray(counts)
    if counts.shape[1] == 0:
        return np.full(counts.shape[0], -1, dtype=np.int64)
    top = counts.max(1)
    winner = counts.argmax(1)
    tie = (counts == top[:, None]).sum(1) > 1
    return np.where((top > 0) & ~tie, winner, -1)


def batch_accuracy(ratings: pl.DataFrame, gold: pl.DataFrame, *, threshold: float = 0.8,
                   confidence: float = 0.95) -> list[dict]:
    """Accuracy of each annotator on the gold items of each batch; flags those below ``threshold``.

    ``ratings``: long frame with string columns ``id``, ``annotator``, ``label``, ``batch``;
    ``gold``: ``id``, ``label``. One row per (annotator, batch) with at least one gold item.
    """
    scored = (
        ratings.join(gold.select("id", pl.col("label").alias("_gold")), on="id", how="inner")
        .group_by("annotator", "batch")
        .agg(n=pl.len(), correct=(pl.col("label") == pl.col("_gold")).sum())
        .sort("annotator", "batch", nulls_last=True)
    )
    rows = []
    for annotator, batch, n, correct in scored.iter_rows():  # one row per (annotator, batch)
        acc = accuracy_dict(int(correct), int(n), confidence=confidence)
        rows.append({"annotator": annotator, "batch": batch, "n": int(n), "accuracy": acc,
                     "flagged": acc["value"] is not None and acc["value"] < threshold})
    return rows
