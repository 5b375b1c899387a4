"""Multi-label metrics on 0/1 indicator matrices (items x tags), each with a bootstrap 95% CI.

The point values are scikit-learn's on indicator matrices: ``f1_score(average="micro")`` and
``average="macro"``, ``accuracy_score`` (subset accuracy: every tag of an item right),
``hamming_loss`` (the share of wrong item-tag cells), and per tag precision, recall and F1
(``zero_division=0``). One bootstrap (items resampled with replacement, seeded) gives every
number its percentile interval, all numbers computed on the same resamples.

>>> y = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
>>> m = multilabel_metrics(y, np.array([[1, 0], [1, 0], [0, 1], [0, 1]]), ["card", "tariff"], n_boot=0)
>>> m["micro_f1"], m["subset_accuracy"], m["hamming_loss"], m["per_tag"]["tariff"]["recall"]
(0.75, 0.5, 0.25, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["multilabel_metrics"]


def _counts(w: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """(B, T) true positives, false positives and false negatives, (B,) exact rows and wrong cells,
    of the items weighted by ``w`` (B, n): how often each item is in each resample."""
    t, p = y_true.astype(float), y_pred.astype(float)
    return {"tp": w @ (t * p), "fp": w @ ((1 - t) * p), "fn": w @ (t * (1 - p)),
            "exact": w @ (y_true == y_pred).all(axis=1).astype(float),
            "wrong": w @ (y_true != y_pred).sum(axis=1).astype(float), "n": w.sum(axis=1)}


def _scores(c: dict[str, np.ndarray], n_tags: int) -> dict[str, np.ndarray]:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        TP, FP, FN = tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)
        micro = np.where(2 * TP + FP + FN > 0, 2 * TP / (2 * TP + FP + FN), 0.0)
        n = np.maximum(c["n"], 1)
    return {"micro_f1": micro, "macro_f1": f1.mean(axis=1), "subset_accuracy": c["exact"] / n,
            "hamming_loss": c["wrong"] / (n * n_tags), "precision": precision, "recall": recall, "f1": f1}


def _check(y_true: np.ndarray, y_pred: np.ndarray, tags: Sequence[str]) -> None:
    if y_true.shape != y_pred.shape or y_true.ndim != 2 or y_true.shape[1] != len(tags):
        raise ValueError(f"y_true and y_pred must both be (items, {len(tags)} tags) matrices; "
                         f"got {y_true.shape} and {y_pred.shape}")


def multilabel_metrics(y_true: np.ndarray, y_pred: np.ndarray, tags: Sequence[str], *, n_boot: int = 1000,
                       seed: int | Sequence[int] = 0) -> dict[str, Any]:
    """``{n, micro_f1, macro_f1, subset_accuracy, hamming_loss, per_tag: {tag: {precision, recall,
    f1, support}}, ci: {...}}`` of 0/1 matrices ``y_true``, ``y_pred`` (items, tags); ``ci`` holds
    [lo, hi] of every number but ``n`` and ``support`` (empty with ``n_boot=0`` or no items)."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int8), np.asarray(y_pred, dtype=np.int8)
    _check(y_true, y_pred, tags)
    n, T = y_true.shape
    point = _scores(_counts(np.ones((1, n)), y_true, y_pred), T)
    out: dict[str, Any] = {"n": int(n), **{k: float(point[k][0]) for k in ("micro_f1", "macro_f1", "subset_accuracy",
                                                                           "hamming_loss")}}
    out["per_tag"] = {tag: {"precision": float(point["precision"][0, j]), "recall": float(point["recall"][0, j]),
                            "f1": float(point["f1"][0, j]), "support": int(y_true[:, j].sum())}
                      for j, tag in enumerate(tags)}
    out["ci"] = {}
    if not n_boot or not n:
        return out
    rng = np.random.default_rng(seed)
    reps = []
    for b in [200] * (n_boot // 200) + [n_boot % 200]:
        if b:
            idx = rng.integers(0, n, (b, n))
            w = np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)
            reps.append(_scores(_counts(w, y_true, y_pred), T))
    rep = {k: np.concatenate([r[k] for r in reps]) for k in reps[0]}

    def ci(values: np.ndarray) -> list[float]:
        return [float(x) for x in np.percentile(values, [2.5, 97.5])]

    out["ci"] = {**{k: ci(rep[k]) for k in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")},
                 "per_tag": {tag: {k: ci(rep[k][:, j]) for k in ("precision", "recall", "f1")}
                             for j, tag in enumerate(tags)}}
    return out
