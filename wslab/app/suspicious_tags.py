"""Suspicious tags (multi-label projects): cleanlab's multi-label search + cartography per tag, one queue.

:func:`find_suspicious_tags` is what the multi-label pipeline calls on its tags (with its own
out-of-fold one-vs-rest probabilities when it has them) and what ``wslab issues`` calls on a
multi-label table (:func:`review_tag_table`). An item queued for a tag says which tag(s) and why:
``suspect_tags`` (``;``-separated) and ``reasons`` such as ``tag 'card' (given, p 0.08): cleanlab
label issue; hard-to-learn (confidence 0.31)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from wslab.app.suspicion_result import SuspicionResult
from wslab.cartography.tags import tag_data_map
from wslab.core.data import TAG_SEPARATOR, tag_matrix
from wslab.core.errors import InputError
from wslab.core.progress import Reporter
from wslab.core.stats.features import build_features
from wslab.quality.label_issues_tags import check_tag_matrix, find_tag_issues, out_of_sample_tag_probs
from wslab.quality.queue import build_queue

__all__ = ["find_suspicious_tags", "tag_cells", "tag_table_matrix"]


def tag_cells(given: np.ndarray, tags: Sequence[str]) -> list[str]:
    """Each row of a 0/1 matrix as one ``;``-separated cell in tag order ("" = no tag).

    >>> tag_cells(np.array([[1, 0, 1], [0, 0, 0]]), ["a", "b", "c"])
    ['a;c', '']
    """
    names = np.asarray(list(tags), dtype=object)
    return [TAG_SEPARATOR.join(names[row.astype(bool)]) for row in np.asarray(given)]


def find_suspicious_tags(ids: Sequence[str] | pl.Series, texts: Sequence[str] | None, given: np.ndarray,
                         probs_oof: np.ndarray | None, tags: Sequence[str], *, X=None, folds: int = 5,
                         epochs: int = 5, seed: int = 0, extra_signals: pl.DataFrame | None = None,
                         source: str = "labels", reporter: Reporter | None = None):
    """Rank items by how likely some tag of theirs is wrong; a :class:`wslab.app.suspicion_result.SuspicionResult`.

    ``given`` (N, T) 0/1; ``probs_oof`` (N, T) out-of-fold one-vs-rest probabilities, or None to
    compute them here (TF-IDF of ``texts``, or the feature matrix ``X``, ``folds``-fold). The
    queue (``result.queue``, every item, ranked) has the single-label queue's columns (cleanlab
    item quality, the least confident tag's cartography coordinates, ``given_label`` and
    ``suggested_label`` as tag cells) plus ``suspect_tags``; ``result.cartography`` holds the
    per-tag coordinates (``confidence_<tag>``, ``region_<tag>``, ...).
    """
    tags = list(tags)
    given = check_tag_matrix(given, len(tags), source=source)
    ids = pl.Series("id", list(ids), dtype=pl.String)
    if X is None:
        if texts is None:
            raise InputError(f"{source}: no texts and no features; expected one of them")
        X = build_features(pl.DataFrame({"text": list(texts)}), text_col="text", source=source)
    if probs_oof is None:
        probs_oof = out_of_sample_tag_probs(X, given, folds=folds, seed=seed, reporter=reporter)
    probs_oof = np.asarray(probs_oof, dtype=np.float64)
    cl = find_tag_issues(given, probs_oof)
    dmap = tag_data_map(X, given, epochs=epochs, seed=seed, reporter=reporter)
    merged = dmap.merged()
    suggested = np.asarray(cl["suggested"].to_list(), dtype=np.int8).reshape(given.shape)
    items = pl.DataFrame({"id": ids, "text": list(texts) if texts is not None else [""] * len(ids),
                          "given_label": tag_cells(given, tags), "suggested_label": tag_cells(suggested, tags),
                          "label_quality": cl["label_quality"], "confidence": merged["confidence"],
                          "variability": merged["variability"], "correctness": merged["correctness"]})
    ranked = build_queue(items, extra_signals=extra_signals)
    why = _tag_reasons(ids, given, probs_oof, np.asarray(cl["tag_issue"].to_list(), dtype=bool).reshape(given.shape),
                       dmap, tags)
    flags = pl.DataFrame({"id": ids, "is_label_issue": cl["is_label_issue"], "region": merged["region"]})
    queue = (ranked.join(why, on="id", how="left", maintain_order="left").join(flags, on="id", how="left",
                                                                                maintain_order="left")
             .with_columns(pl.concat_str([pl.col("tag_reasons"), pl.col("reasons")], separator="; ", ignore_nulls=True)
                           .str.strip_chars("; ").alias("reasons"))
             .with_columns((pl.col("reasons") != "").alias("flagged"), pl.col("suspect_tags").fill_null(""))
             .drop("tag_reasons"))
    queue = queue.select([c for c in ranked.columns if c in queue.columns] + ["is_label_issue", "region", "suspect_tags"])
    cart = _cartography(ids, items, dmap, tags)
    probs = pl.DataFrame({"id": ids, **{f"p_{t}": probs_oof[:, j] for j, t in enumerate(tags)}})
    summary = {"items": len(ids), "tags": tags, "folds": folds, "epochs": epochs, "seed": seed, "multilabel": True,
               "cleanlab_issues": int(cl["is_label_issue"].sum()),
               "cleanlab_issues_per_tag": {t: int(v) for t, v in zip(tags, np.asarray(
                   cl["tag_issue"].to_list(), dtype=bool).reshape(given.shape).sum(0))},
               "hard_to_learn_per_tag": {t: int((dmap.region[:, j] == "hard-to-learn").sum()) for j, t in enumerate(tags)},
               "regions": {r: int((merged["region"] == r).sum()) for r in ("easy-to-learn", "ambiguous", "hard-to-learn")},
               "flagged": int(queue["flagged"].sum())}
    return SuspicionResult(queue=queue, cartography=cart, pred_probs=probs, labels=tags, summary=summary)


def _tag_reasons(ids: pl.Series, given: np.ndarray, probs: np.ndarray, tag_issue: np.ndarray, dmap,
                 tags: list[str]) -> pl.DataFrame:
    """Per item: ``suspect_tags`` and ``tag_reasons`` for the tags cleanlab or cartography flagged."""
    n, t = given.shape
    long = pl.DataFrame({
        "id": np.repeat(ids.to_numpy(), t), "tag": np.tile(np.asarray(tags, dtype=object), n).tolist(),
        "given": given.reshape(-1).astype(bool), "p": probs.reshape(-1), "issue": tag_issue.reshape(-1),
        "hard": (dmap.region == "hard-to-learn").reshape(-1), "conf": dmap.confidence.reshape(-1),
    }).filter(pl.col("issue") | pl.col("hard"))
    fmt = lambda e: e.round(2).cast(pl.String)  # noqa: E731
    reason = pl.concat_str([
        pl.lit("tag '") + pl.col("tag") + pl.lit("' (")
        + pl.when(pl.col("given")).then(pl.lit("given")).otherwise(pl.lit("not given"))
        + pl.lit(", p ") + fmt(pl.col("p")) + pl.lit("): "),
        pl.concat_list([pl.when(pl.col("issue")).then(pl.lit("cleanlab label issue")),
                        pl.when(pl.col("hard")).then(pl.lit("hard-to-learn (confidence ") + fmt(pl.col("conf"))
                                                     + pl.lit(")"))]).list.drop_nulls().list.join("; "),
    ])
    return long.with_columns(reason.alias("r")).group_by("id", maintain_order=True).agg(
        pl.col("tag").str.join(TAG_SEPARATOR).alias("suspect_tags"), pl.col("r").str.join("; ").alias("tag_reasons"))


def _cartography(ids: pl.Series, items: pl.DataFrame, dmap, tags: list[str]) -> pl.DataFrame:
    """The data map's frame: the merged row per item, then every tag's coordinates."""
    merged = dmap.merged()
    per_tag = {}
    for j, t in enumerate(tags):
        per_tag.update({f"confidence_{t}": dmap.confidence[:, j], f"variability_{t}": dmap.variability[:, j],
                        f"correctness_{t}": dmap.correctness[:, j], f"region_{t}": dmap.region[:, j].tolist()})
    return pl.concat([items.select("id", "text", "given_label"), merged.drop("tag"),
                      pl.DataFrame(per_tag)], how="horizontal")


def tag_table_matrix(df: pl.DataFrame, *, label_col: str, tags: Sequence[str] | None,
                     source: str) -> tuple[np.ndarray, list[str]]:
    """The tag matrix of a multi-label table's ``label_col`` (``;`` cells or lists), and the tags
    (declared, else those found, sorted)."""
    col = df[label_col]
    if tags is None:
        parts = col.explode() if isinstance(col.dtype, pl.List) else \
            col.cast(pl.String).str.split(TAG_SEPARATOR).explode()
        tags = sorted({p.strip() for p in parts.drop_nulls().to_list() if p.strip()})
        if not tags:
            raise InputError(f"{source}: column {label_col!r} holds no tag; expected tags separated by "
                             f"{TAG_SEPARATOR!r} or lists")
    return tag_matrix(col.to_list(), list(tags), where=source), list(tags)
