"""Class health: per class, how many of its labels look wrong and which class it is confused with.

The table cleanlab's ``dataset.health_summary`` prints, on wslab's queue. One row per class
(in the order of ``labels``):

| column | meaning |
|---|---|
| ``class``, ``n`` | the class and how many checked items carry it as given label |
| ``flagged``, ``flagged_share`` | items of the class the queue flags (any signal), and their share of ``n`` |
| ``cleanlab_issues`` | items of the class cleanlab's ``find_label_issues`` flags (the queue's ``is_label_issue``) |
| ``most_confused_with``, ``confused``, ``confused_share`` | the other class most often suggested for the class's items (queue ``suggested_label``; else the argmax of the out-of-sample ``pred_probs``), how many, and their share of ``n`` |
| ``label_noise``, ``label_quality`` | cleanlab's ``rank_classes_by_label_quality``: estimated p(true label != k given label k), and 1 minus it |
| ``overlaps_with``, ``overlap`` | cleanlab's ``find_overlapping_classes``: the class this one is most often confused with in the estimated joint of given and true labels (either direction), and that joint probability |

The cleanlab columns need ``pred_probs`` (one ``p_<class>`` column per class the model saw, and
``id``); without it they are null.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["CLASS_HEALTH_SCHEMA", "class_health"]

CLASS_HEALTH_SCHEMA = pl.Schema({
    "class": pl.String, "n": pl.Int64, "flagged": pl.Int64, "flagged_share": pl.Float64,
    "cleanlab_issues": pl.Int64, "most_confused_with": pl.String, "confused": pl.Int64,
    "confused_share": pl.Float64, "label_noise": pl.Float64, "label_quality": pl.Float64,
    "overlaps_with": pl.String, "overlap": pl.Float64,
})
"""The columns of ``class_health.csv`` and their dtypes."""


def class_health(queue: pl.DataFrame, pred_probs: pl.DataFrame | None, labels: Sequence[str]) -> pl.DataFrame:
    """The class-health table (module docstring) of ``queue`` (every checked item: ``id``,
    ``given_label``, ``flagged``, optionally ``suggested_label`` and ``is_label_issue``), the
    out-of-sample ``pred_probs`` frame of the same run (or None) and the class names ``labels``.

    >>> q = pl.DataFrame({"id": ["1", "2", "3"], "given_label": ["a", "a", "b"],
    ...                   "suggested_label": ["b", "a", "b"], "flagged": [True, False, False]})
    >>> class_health(q, None, ["a", "b"]).select("class", "n", "flagged_share", "most_confused_with").rows()
    [('a', 2, 0.5, 'b'), ('b', 1, 0.0, None)]
    """
    labels = [str(x) for x in labels]
    for name in ("id", "given_label", "flagged"):
        if name not in queue.columns:
            raise ValueError(f"queue must have a {name!r} column; found {queue.columns}.")
    probs = _aligned_probs(queue, pred_probs, labels)
    suggested = None
    if "suggested_label" in queue.columns:
        suggested = queue.select("id", "given_label", pl.col("suggested_label").alias("s"))
    elif probs is not None:
        given, p, cols = probs
        suggested = pl.DataFrame({"given_label": [cols[k] for k in given], "s": [cols[k] for k in p.argmax(1)]})
    rows = {k: {"class": k} for k in labels}
    counts = queue.group_by("given_label").agg(
        pl.len().alias("n"), pl.col("flagged").sum().alias("flagged"),
        *([pl.col("is_label_issue").sum().alias("cleanlab_issues")] if "is_label_issue" in queue.columns else []))
    for r in counts.iter_rows(named=True):
        rows.setdefault(r["given_label"], {"class": r["given_label"]}).update(r)
    if suggested is not None:
        for r in _most_confused(suggested).iter_rows(named=True):
            rows[r["given_label"]].update(most_confused_with=r["s"], confused=r["confused"])
    if probs is not None:
        for k, values in _cleanlab_columns(*probs).items():
            rows[k].update(values)
    out = pl.DataFrame(list(rows.values()), schema_overrides={"class": pl.String}, infer_schema_length=None)
    out = out.with_columns(pl.col(c).fill_null(0) for c in ("n", "flagged", "confused") if c in out.columns)
    out = out.with_columns(_share(c) for c in ("flagged", "confused") if c in out.columns)
    return out.select(pl.col(c).cast(t) if c in out.columns else pl.lit(None, t).alias(c)
                      for c, t in CLASS_HEALTH_SCHEMA.items())


def _share(count: str) -> pl.Expr:
    """``count / n`` as ``<count>_share``; null for a class with no item."""
    return pl.when(pl.col("n") > 0).then(pl.col(count) / pl.col("n")).alias(f"{count}_share")


def _most_confused(suggested: pl.DataFrame) -> pl.DataFrame:
    """Per given label, the most frequent *other* suggested label (ties: the first by name) and its count."""
    other = suggested.filter(pl.col("s").is_not_null() & (pl.col("s") != pl.col("given_label")))
    return (other.group_by("given_label", "s").agg(pl.len().alias("confused"))
            .sort(["given_label", "confused", "s"], descending=[False, True, False])
            .unique("given_label", keep="first", maintain_order=True))


def _aligned_probs(queue: pl.DataFrame, pred_probs: pl.DataFrame | None,
                   labels: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """(given label codes, pred_probs matrix, class of each column) for the queue's ids, or None."""
    if pred_probs is None:
        return None
    cols = [k for k in labels if f"p_{k}" in pred_probs.columns]
    if len(cols) < 2:
        raise ValueError(f"pred_probs must have a p_<class> column for at least two of {labels}; "
                         f"found {pred_probs.columns}.")
    joined = pred_probs.select(pl.col("id").cast(pl.String), *(f"p_{k}" for k in cols)).join(
        queue.select(pl.col("id").cast(pl.String), "given_label"), on="id", how="inner")
    joined = joined.filter(pl.col("given_label").is_in(cols))
    code = {k: i for i, k in enumerate(cols)}
    given = np.array([code[k] for k in joined["given_label"].to_list()], dtype=np.int64)
    p = joined.select(f"p_{k}" for k in cols).to_numpy().astype(np.float64)
    return given, p, cols


def _cleanlab_columns(given: np.ndarray, p: np.ndarray, cols: list[str]) -> dict[str, dict]:
    """label_noise / label_quality (rank_classes_by_label_quality) and overlaps_with / overlap
    (find_overlapping_classes) per class, on the same labels and pred_probs."""
    from cleanlab.dataset import find_overlapping_classes, rank_classes_by_label_quality

    present = np.unique(given)
    if len(present) < 2:  # cleanlab needs at least two classes among the given labels
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = rank_classes_by_label_quality(labels=given, pred_probs=p)
        overlaps = find_overlapping_classes(labels=given, pred_probs=p)
    out = {cols[int(r["Class Index"])]: {"label_noise": float(r["Label Noise"]),
                                        "label_quality": float(r["Label Quality Score"])}
           for _, r in ranked.iterrows()}
    for _, r in overlaps.iterrows():  # sorted by joint probability, highest first
        a, b, joint = cols[int(r["Class Index A"])], cols[int(r["Class Index B"])], float(r["Joint Probability"])
        for k, other in ((a, b), (b, a)):
            if "overlaps_with" not in out[k] and joint > 0:
                out[k].update(overlaps_with=other, overlap=joint)
    return out
