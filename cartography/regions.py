"""Data-map regions: easy-to-learn, ambiguous, hard-to-learn.

The rule (applied in this order to each example's confidence, variability and correctness):

1. ``hard-to-learn``: confidence < ``confidence_threshold`` (0.5) and correctness < 0.5 and
   variability < ``variability_threshold`` (0.1): the model consistently prefers another label
   for this example — in Swayamdipta et al. (2020) these are mostly label errors.
2. ``ambiguous``: variability >= ``variability_threshold``: the model changes its mind about the
   example from epoch to epoch.
3. ``easy-to-learn``: everything else (mostly confident, stable and correct).

The thresholds are absolute, so a clean data set can have an empty hard-to-learn region.
"""

from __future__ import annotations

import polars as pl

__all__ = ["REGIONS", "CONFIDENCE_THRESHOLD", "VARIABILITY_THRESHOLD", "assign_regions"]

REGIONS = ("easy-to-learn", "ambiguous", "hard-to-learn")
CONFIDENCE_THRESHOLD = 0.5
"""Below it (with correctness < 0.5 and low variability) an example is hard-to-learn."""
VARIABILITY_THRESHOLD = 0.1
"""At or above it an example is ambiguous."""


def assign_regions(
    metrics: pl.DataFrame,
    *,
    confidence_threshold: float = CONFIDENCE_THRESHOLD,
    variability_threshold: float = VARIABILITY_THRESHOLD,
) -> pl.Series:
    """Return a String series ``region`` for a frame with ``confidence``, ``variability``,
    ``correctness`` columns (see :func:`wslab.cartography.dynamics.data_map_metrics`).

    >>> m = pl.DataFrame({"confidence": [0.9, 0.5, 0.1], "variability": [0.01, 0.3, 0.02],
    ...                   "correctness": [1.0, 0.6, 0.0]})
    >>> assign_regions(m).to_list()
    ['easy-to-learn', 'ambiguous', 'hard-to-learn']
    """
    for name in ("confidence", "variability", "correctness"):
        if name not in metrics.columns:
            raise ValueError(f"metrics must have a {name!r} column; found {metrics.columns}.")
    conf, var, corr = pl.col("confidence"), pl.col("variability"), pl.col("correctness")
    expr = (
        pl.when((conf < confidence_threshold) & (corr < 0.5) & (var < variability_threshold))
        .then(pl.lit("hard-to-learn"))
        .when(var >= variability_threshold)
        .then(pl.lit("ambiguous"))
        .otherwise(pl.lit("easy-to-learn"))
    )
    return metrics.select(expr.alias("region")).to_series()
