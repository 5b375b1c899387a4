"""Two labelers scored on the same gold items: each one's accuracy and macro F1, the paired
bootstrap CI of the difference, and McNemar's test (statsmodels) on the items one got right
and the other wrong.

A prediction of ``-1`` is an abstention: wrong for accuracy, and for F1 a prediction of no
class (it lowers the recall of the true class, no class's precision).

>>> y = np.array([0, 0, 1, 1, 0, 1])
>>> out = paired_comparison(y, np.array([0, 1, 1, 0, 0, -1]), np.array([0, 0, 1, 1, 0, 1]), 2, n_boot=0)
>>> out["a"]["accuracy"], out["b"]["accuracy"], out["difference"]["accuracy"]["value"]
(0.5, 1.0, 0.5)
>>> out["mcnemar"]["table"]
[[3, 0], [3, 0]]
"""

from __future__ import annotations

import numpy as np

from wslab.core.stats.metrics import confusion_matrices, scores_from_confusion

__all__ = ["paired_comparison"]

EXACT_BELOW = 25  # discordant pairs: McNemar's exact binomial test below this, chi-square above


def _scores(y: np.ndarray, pred: np.ndarray, k: int, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(accuracy (B,), macro F1 over the k classes (B,)); abstentions (-1) are a (k+1)-th column."""
    s = scores_from_confusion(confusion_matrices(y, np.where(pred < 0, k, pred), k + 1, idx))
    return s["accuracy"], s["f1"][:, :k].mean(axis=1)


def paired_comparison(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, n_classes: int, *,
                      n_boot: int = 1000, rng: np.random.Generator | None = None,
                      confidence: float = 0.95) -> dict:
    """A and B on the same items ``y`` (n,): scores, the difference B - A with a paired bootstrap
    percentile CI (both rescored on the same resampled items), and McNemar's test.

    Returns ``{"n", "a": {"accuracy", "macro_f1"}, "b": {...}, "difference": {"accuracy":
    {"value", "ci"}, "macro_f1": {...}}, "mcnemar": {"table", "statistic", "pvalue", "exact"}}``;
    ``table`` is [[both right, only A right], [only B right, both wrong]].
    """
    from statsmodels.stats.contingency_tables import mcnemar

    y, a, b = (np.asarray(v, dtype=np.int64) for v in (y, pred_a, pred_b))
    if not len(y) == len(a) == len(b):
        raise ValueError(f"y, pred_a and pred_b must be the same length, but they are {len(y)}, {len(a)} and {len(b)}")
    k, n = n_classes, len(y)
    (acc_a,), (f1_a,) = _scores(y, a, k)
    (acc_b,), (f1_b,) = _scores(y, b, k)
    out: dict = {"n": n, "a": {"accuracy": float(acc_a), "macro_f1": float(f1_a)},
                 "b": {"accuracy": float(acc_b), "macro_f1": float(f1_b)},
                 "difference": {"accuracy": {"value": float(acc_b - acc_a), "ci": None},
                                "macro_f1": {"value": float(f1_b - f1_a), "ci": None}}}
    if n_boot and n:
        rng = rng if rng is not None else np.random.default_rng(0)
        idx = rng.integers(0, n, size=(n_boot, n))
        ra, fa = _scores(y, a, k, idx)
        rb, fb = _scores(y, b, k, idx)
        tail = 100 * (1 - confidence) / 2
        for key, diff in (("accuracy", rb - ra), ("macro_f1", fb - fa)):
            lo, hi = np.percentile(diff, [tail, 100 - tail])
            out["difference"][key]["ci"] = [float(lo), float(hi)]
        out["difference"]["n_boot"] = n_boot
    right_a, right_b = a == y, b == y
    table = [[int((right_a & right_b).sum()), int((right_a & ~right_b).sum())],
             [int((~right_a & right_b).sum()), int((~right_a & ~right_b).sum())]]
    discordant = table[0][1] + table[1][0]
    exact = discordant < EXACT_BELOW
    res = mcnemar(np.array(table), exact=exact, correction=True)
    out["mcnemar"] = {"table": table, "statistic": float(res.statistic), "pvalue": float(res.pvalue),
                      "exact": exact, "discordant": discordant}
    return out
