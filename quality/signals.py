"""Suspicion signals that come from outside a model: LF votes against a label, and annotators
who disagree. Each is a plain function over arrays or frames; the queue merges them
(:func:`wslab.quality.queue.build_queue`).

>>> import numpy as np
>>> lf_conflicts(np.array([[0, 1, -1], [1, 1, 1]]), np.array([0, 0])).tolist()
[1, 3]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from wslab.core.artifacts import ABSTAIN

__all__ = ["lf_conflicts", "annotator_disagreement"]


def lf_conflicts(L: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Per row, how many LF votes disagree with the given label (abstains do not count)."""
    return ((L != ABSTAIN) & (L != given[:, None])).sum(axis=1)


def annotator_disagreement(annotations: pl.DataFrame) -> pl.DataFrame:
    """Per id: 1 - share of the most common label among its annotators (ids with >= 2 ratings)."""
    counts = annotations.group_by(["id", "label"]).len()
    per_id = counts.group_by("id").agg(pl.col("len").sum().alias("n"), pl.col("len").max().alias("top"))
    return per_id.filter(pl.col("n") >= 2).select(
        pl.col("id"), (1 - pl.col("top") / pl.col("n")).alias("disagreement"))
