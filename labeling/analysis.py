"""LF analysis: polarity, coverage, overlaps, conflicts, and accuracy on gold dev.

All statistics are computed column-wise over the label matrix with numpy (Snorkel's
``LFAnalysis`` gives the same polarity, coverage, overlaps and conflicts; the tests check it).

* coverage: share of documents the LF votes on;
* overlaps: share of documents where the LF and at least one other LF vote;
* conflicts: share of documents where the LF and another LF vote different labels;
* dev accuracy: on gold dev items the LF votes on, with a Wilson 95% interval and n;
* chance: the accuracy of an LF that voted the same labels at random (sum over classes of the
  LF's vote share times the class's dev prevalence). Flags: ``zero_coverage``, ``below_chance``
  (dev accuracy below chance), ``no_dev_votes``.

:func:`explain_lfs` adds what explains a label model's result: each LF's accuracy as the label
model learned it beside its dev accuracy, and flags ``below_floor`` (the dev CI lies below a
configurable floor), ``below_label_model`` (the dev CI lies far below the learned accuracy: the
label model trusts the LF more than gold says it should) and ``duplicate_of:<LF>`` (fires on
nearly the same documents with the same votes as an earlier LF).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from wslab.labeling.aggregate import vote_counts
from wslab.labeling.spec import ABSTAIN
from wslab.stats.intervals import wilson_interval


def lf_summary(L: np.ndarray, names: Sequence[str], labels: Sequence[str], *,
               L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None) -> pl.DataFrame:
    """One row per LF: polarity, coverage, overlaps, conflicts, dev accuracy with CI, flags."""
    L = np.asarray(L)
    n, m = L.shape
    K = len(labels)
    voted = L != ABSTAIN
    counts = vote_counts(L, K)
    n_votes = voted.sum(axis=1)
    rows = []
    for j in range(m):
        col = L[:, j]
        on = voted[:, j]
        same = counts[np.arange(n), np.where(on, col, 0)]
        coverage = on.mean() if n else 0.0
        overlaps = (on & (n_votes > 1)).mean() if n else 0.0
        conflicts = (on & (n_votes - same > 0)).mean() if n else 0.0
        polarity = [labels[k] for k in np.unique(col[on])]
        row = {"lf": names[j], "polarity": ",".join(polarity), "coverage": float(coverage),
               "overlaps": float(overlaps), "conflicts": float(conflicts), "n_votes": int(on.sum())}
        flags = []
        if not on.any():
            flags.append("zero_coverage")
        if L_dev is not None and y_dev is not None:
            dcol = L_dev[:, j]
            don = dcol != ABSTAIN
            n_dev = int(don.sum())
            correct = int((dcol[don] == y_dev[don]).sum())
            lo, hi = wilson_interval(correct, n_dev)
            acc = correct / n_dev if n_dev else float("nan")
            prevalence = np.bincount(y_dev, minlength=K) / max(len(y_dev), 1)
            vote_share = np.bincount(dcol[don], minlength=K) / n_dev if n_dev else np.zeros(K)
            chance = float(vote_share @ prevalence) if n_dev else float("nan")
            row.update({"dev_n": n_dev, "dev_accuracy": acc, "dev_ci_low": float(lo), "dev_ci_high": float(hi),
                        "chance": chance})
            if n_dev == 0:
                flags.append("no_dev_votes")
            elif acc < chance:
                flags.append("below_chance")
        row["flags"] = ",".join(flags)
        rows.append(row)
    return pl.DataFrame(rows)


def explain_lfs(table: pl.DataFrame, L: np.ndarray, *, learned_accuracy: np.ndarray | None = None,
                accuracy_floor: float = 0.5, gap: float = 0.15, duplicate_jaccard: float = 0.9) -> pl.DataFrame:
    """``table`` (:func:`lf_summary` of ``L``) with ``learned_accuracy`` and the flags above.

    >>> L = np.array([[0, 0, 1], [0, 0, -1], [1, 1, 1], [-1, -1, 0]])
    >>> t = lf_summary(L, ["a", "b", "c"], ["x", "y"], L_dev=L, y_dev=np.array([0, 0, 1, 1]))
    >>> explain_lfs(t, L, learned_accuracy=np.array([0.9, 0.9, 0.95]))["flags"].to_list()
    ['', 'duplicate_of:a', 'below_chance,below_label_model']
    """
    L = np.asarray(L)
    flags = [[f for f in (row or "").split(",") if f] for row in table["flags"].to_list()]
    has_dev = "dev_ci_high" in table.columns
    duplicates = _duplicates(L, duplicate_jaccard)
    for j in range(L.shape[1]):
        hi = table["dev_ci_high"][j] if has_dev else None
        if hi is not None and hi == hi:  # not NaN: the LF has dev votes
            if hi < accuracy_floor:
                flags[j].append("below_floor")
            if learned_accuracy is not None and hi < learned_accuracy[j] - gap:
                flags[j].append("below_label_model")
        if j in duplicates:
            flags[j].append(f"duplicate_of:{table['lf'][duplicates[j]]}")
    out = table.with_columns(pl.Series("flags", [",".join(f) for f in flags], dtype=pl.String))
    if learned_accuracy is not None:
        out = out.with_columns(pl.Series("learned_accuracy", np.asarray(learned_accuracy, dtype=float)))
    return out


def _duplicates(L: np.ndarray, threshold: float, *, max_rows: int = 200_000) -> dict[int, int]:
    """LF j -> the first earlier LF that fires on nearly the same rows (Jaccard >= threshold) and
    votes the same there; measured on an evenly spaced sample of at most ``max_rows`` rows."""
    if L.shape[0] > max_rows:
        L = L[np.linspace(0, L.shape[0] - 1, max_rows).astype(np.int64)]
    on = (L != ABSTAIN).astype(np.float32)
    both = on.T @ on  # (m, m) rows where both fire
    fired = np.diag(both)
    union = fired[:, None] + fired[None, :] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.where(union > 0, both / union, 0.0) >= threshold
    out: dict[int, int] = {}
    for j in range(L.shape[1]):
        for i in np.flatnonzero(close[j, :j]):
            rows = (L[:, i] != ABSTAIN) & (L[:, j] != ABSTAIN)
            if (L[rows, i] == L[rows, j]).all():
                out[j] = int(i)
                break
    return out
