"""Dataset cartography per tag (multi-label): one binary data map for each tag.

For tag t the given label of item i is ``given[i, t]`` (the tag applies or not); a binary model
is trained for E epochs (:func:`wslab.cartography.dynamics.record_training_dynamics`) and the
data-map coordinates of every item are recorded for that tag. The item's row in the merged
map is its least confident tag: ``confidence`` is the minimum over tags, and ``variability``
and ``correctness`` are those of that tag; ``region`` is hard-to-learn when any tag is,
else ambiguous when any tag is, else easy-to-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from wslab.cartography.dynamics import data_map_metrics, record_training_dynamics
from wslab.cartography.regions import assign_regions
from wslab.core.progress import Reporter

__all__ = ["TagDataMap", "tag_data_map"]


@dataclass(frozen=True)
class TagDataMap:
    """Per tag (arrays of shape (N, T)): ``confidence``, ``variability``, ``correctness`` and
    ``region`` (strings); :meth:`merged` is one row per item."""

    confidence: np.ndarray
    variability: np.ndarray
    correctness: np.ndarray
    region: np.ndarray

    def merged(self) -> pl.DataFrame:
        """One row per item: the least confident tag's coordinates, its index (``tag``) and the
        worst region over the tags.

        >>> m = TagDataMap(np.array([[0.9, 0.2]]), np.array([[0.0, 0.05]]), np.array([[1.0, 0.0]]),
        ...                np.array([["easy-to-learn", "hard-to-learn"]]))
        >>> m.merged().rows()
        [(0.2, 0.05, 0.0, 'hard-to-learn', 1)]
        """
        n = self.confidence.shape[0]
        worst = self.confidence.argmin(1) if self.confidence.shape[1] else np.zeros(n, dtype=np.int64)
        at = (np.arange(n), worst)
        hard = (self.region == "hard-to-learn").any(1)
        ambiguous = (self.region == "ambiguous").any(1)
        region = np.where(hard, "hard-to-learn", np.where(ambiguous, "ambiguous", "easy-to-learn"))
        return pl.DataFrame({"confidence": self.confidence[at], "variability": self.variability[at],
                             "correctness": self.correctness[at], "region": region.tolist(),
                             "tag": worst.astype(np.int64)})


def tag_data_map(X, given: np.ndarray, *, epochs: int = 5, seed: int = 0, model=None,
                 reporter: Reporter | None = None) -> TagDataMap:
    """Training dynamics of one binary model per tag on features ``X`` (N, D) and ``given`` (N, T)."""
    given = np.asarray(given, dtype=np.int64)
    n, t = given.shape
    cols: dict[str, list[np.ndarray]] = {"confidence": [], "variability": [], "correctness": [], "region": []}
    for j in range(t):  # one data map per tag
        dyn = record_training_dynamics(X, given[:, j], n_classes=2, epochs=epochs, model=model,
                                       seed=seed + j, reporter=reporter)
        metrics = data_map_metrics(dyn)
        metrics = metrics.with_columns(assign_regions(metrics))
        for name in cols:
            cols[name].append(metrics[name].to_numpy())
    shape = (n, t)
    stack = {k: (np.stack(v, axis=1) if v else np.zeros(shape)) for k, v in cols.items()}
    return TagDataMap(stack["confidence"].astype(np.float64), stack["variability"].astype(np.float64),
                      stack["correctness"].astype(np.float64), stack["region"].astype(object))
