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
