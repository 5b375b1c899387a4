"""Votes of a multi-label project that come from files, not from LF specs: ``lfs.precomputed``
and ``llm_labels``, both read once and checked before any work, then cut per tag for the tag's
binary run (:mod:`wslab.app.tags`).

* ``lfs.precomputed``, a long votes file ``id, lf, label``: ``label`` holds the tags the LF votes
  for on that document (separated by ``;`` in CSV, a list in JSONL / parquet), and ``not:<tag>``
  a vote against the tag; an empty cell is no vote. In a tag's run the LF is the column
  ``<lf>:<tag>`` (one LF may vote on several tags).
* ``llm_labels`` (``id, label[, annotator]``): each rater's tag set of a document. For a tag,
  the rater votes yes where the set holds the tag and no where it does not (the LLM labelled the
  whole set); documents it did not label abstain. The rater joins each tag's selection as its
  LLM labels (:func:`wslab.app.llm_source.llm_label_votes`) and the agreement as a rater.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core import io
from wslab.core.artifacts import ABSTAIN
from wslab.core.data import TAG_SEPARATOR
from wslab.core.errors import InputError

__all__ = ["AGAINST", "load_tag_precomputed", "precomputed_for_tag", "load_tag_llm_labels", "llm_for_tag"]

AGAINST = "not:"
"""The prefix of a vote against a tag in a precomputed votes cell."""


def _items(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per (file row ``row``, tag item ``item``) of a tag-cell column (text or list)."""
    col = pl.col(column)
    cells = col.cast(pl.List(pl.String)) if isinstance(frame.schema[column], pl.List) else \
        col.cast(pl.String).fill_null("").str.split(TAG_SEPARATOR)
    return (frame.with_row_index("row").select("row", cells.alias("item")).explode("item")
            .with_columns(pl.col("item").str.strip_chars()).filter(pl.col("item").is_not_null() & (pl.col("item") != "")))


def _check_ids(frame: pl.DataFrame, ids: pl.Series, path: Path, what: str) -> None:
    extra = frame.with_row_index("row").filter(~pl.col("id").is_in(ids.cast(pl.String).implode())).head(1)
    if extra.height:
        raise InputError(f"{path}: {what} row {extra['row'][0] + 2}: id {extra['id'][0]!r} is not in the corpus; "
                         "expected corpus ids only")


def load_tag_precomputed(path: Path, ids: pl.Series, tags: list[str]) -> pl.DataFrame:
    """The precomputed votes file of a multi-label project (module doc), checked: ``id``, ``lf``,
    ``tag``, ``vote`` (Int8: 1 for, 0 against), one row per vote. Unknown tags, ids outside the
    corpus and an (id, lf) given twice are one-line InputErrors naming the file and the row."""
    frame = io.read_table(path, required=["id", "lf", "label"], what="precomputed votes")
    frame = frame.with_columns(pl.col("id").cast(pl.String), pl.col("lf").cast(pl.String))
    _check_ids(frame, ids, path, "precomputed votes")
    dup = frame.with_row_index("row").filter(~pl.struct("id", "lf").is_first_distinct()).head(1)
    if dup.height:
        raise InputError(f"{path}: precomputed votes row {dup['row'][0] + 2}: LF {dup['lf'][0]!r} votes twice on id "
                         f"{dup['id'][0]!r}; expected one row per id and LF (its tags in one cell)")
    items = _items(frame, "label").with_columns(
        pl.col("item").str.strip_prefix(AGAINST).alias("tag"),
        pl.when(pl.col("item").str.starts_with(AGAINST)).then(0).otherwise(1).cast(pl.Int8).alias("vote"))
    bad = items.filter(~pl.col("tag").is_in(tags)).head(1)
    if bad.height:
        raise InputError(f"{path}: precomputed votes row {bad['row'][0] + 2}: unknown tag {bad['item'][0]!r}; expected "
                         f"tags among {tags}, each optionally as {AGAINST}<tag> (a vote against it)")
    twice = items.filter(pl.struct("row", "tag").is_duplicated()).head(1)
    if twice.height:
        raise InputError(f"{path}: precomputed votes row {twice['row'][0] + 2}: tag {twice['tag'][0]!r} is listed "
                         "twice; expected each tag at most once (for, or against)")
    rows = frame.with_row_index("row").select("row", "id", "lf")
    return items.join(rows, on="row").select("id", "lf", "tag", "vote").sort("lf", "id")


def precomputed_for_tag(votes: pl.DataFrame | None, ids: pl.Series, tag: str) -> pl.DataFrame | None:
    """``id`` + one Int8 column ``<lf>:<tag>`` per LF voting on ``tag`` (aligned to ``ids``,
    abstain where it did not vote), as :func:`wslab.labeling.apply.label_matrix` takes
    precomputed votes; None when no LF votes on the tag."""
    if votes is None:
        return None
    part = votes.filter(pl.col("tag") == tag)
    if not part.height:
        return None
    wide = part.with_columns((pl.col("lf") + f":{tag}").alias("lf")).pivot("lf", index="id", values="vote")
    lfs = sorted(c for c in wide.columns if c != "id")
    aligned = pl.DataFrame({"id": ids.cast(pl.String)}).join(wide, on="id", how="left", maintain_order="left")
    return aligned.select("id", *(pl.col(c).fill_null(ABSTAIN).cast(pl.Int8) for c in lfs))


def load_tag_llm_labels(path: Path, corpus: Any, tags: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
    """The ``llm_labels`` file of a multi-label project per tag: ``{tag: (rater names
    ["llm:<annotator>"], (n, raters) int8 votes over the corpus)}`` (module doc). Rows whose id
    is not in the corpus are ignored (as in a single-label project); an unknown tag or an id
    labelled twice by one rater is a one-line InputError naming the row."""
    frame = io.read_table(path, required=["id", "label"], what="llm_labels")
    if "annotator" not in frame.columns:
        frame = frame.with_columns(pl.lit(path.stem).alias("annotator"))
    frame = frame.with_columns(pl.col("id").cast(pl.String), pl.col("annotator").cast(pl.String))
    dup = frame.with_row_index("row").filter(~pl.struct("annotator", "id").is_first_distinct()).head(1)
    if dup.height:
        raise InputError(f"{path}: llm_labels row {dup['row'][0] + 2}: id {dup['id'][0]!r} is labelled twice by "
                         f"{dup['annotator'][0]!r}; expected one tag set per id and annotator")
    items = _items(frame, "label")
    bad = items.filter(~pl.col("item").is_in(tags)).head(1)
    if bad.height:
        raise InputError(f"{path}: llm_labels row {bad['row'][0] + 2}: unknown tag {bad['item'][0]!r}; expected tags "
                         f"among {tags}")
    frame = frame.filter(pl.col("id").is_in(corpus.ids.cast(pl.String).implode()))
    raters = frame["annotator"].unique(maintain_order=True).to_list()
    out = {t: np.full((len(corpus), len(raters)), ABSTAIN, dtype=np.int8) for t in tags}
    for j, who in enumerate(raters):
        part = frame.filter(pl.col("annotator") == who)
        pos = corpus.positions(part["id"]).astype(np.int64)
        has = _items(part, "label")
        for t in tags:
            out[t][pos, j] = 0
            out[t][pos[has.filter(pl.col("item") == t)["row"].to_numpy()], j] = 1
    return {t: ([f"llm:{who}" for who in raters], out[t]) for t in tags}


def llm_for_tag(llm: dict[str, tuple[list[str], np.ndarray]] | None, tag: str) -> tuple[list[str], np.ndarray] | None:
    """One tag's LLM votes of :func:`load_tag_llm_labels` (None without the file)."""
    return None if llm is None else llm[tag]
