"""A corpus's entity spans (config ``corpus.spans``), checked once and cut into regions on demand.

Span columns are read for every document at load (four integers a row) and checked in one
streaming pass: present, whole numbers, no gaps, ``0 <= start <= end <= len(text)``. Marked
texts are checked the same way: every document must hold ``<e1>...</e1>`` and ``<e2>...</e2>``.
A failure is one line naming the file, the row (as a spreadsheet counts it: the header is row 1)
and what was expected.

>>> import polars as pl
>>> from wslab.core.data import Corpus
>>> from wslab.core.config import SpansConfig
>>> c = Corpus.from_frame(pl.DataFrame({"id": ["a", "b"], "text": ["x likes y", "p and q"],
...                                     "s1": [0, 0], "e1": [1, 1], "s2": [8, 6], "e2": [9, 7]}))
>>> spans = load_spans(SpansConfig(e1=["s1", "e1"], e2=["s2", "e2"]), c)
>>> spans.regions(c.texts_at(np.array([1])), np.array([1]))["between"]
[' and ']
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np
import polars as pl

from wslab.core.config import SpansConfig
from wslab.core.data import Corpus
from wslab.core.errors import InputError
from wslab.core.stats.regions import MARKED, MARKS, marked_regions, split_regions


@dataclass(frozen=True)
class EntitySpans:
    """The entity spans of every corpus row: ``offsets`` (n, 4) int64 (e1 start, e1 end, e2
    start, e2 end) from span columns, or None when the texts carry marks."""

    offsets: np.ndarray | None

    def plain(self, texts: Sequence[str]) -> list[str]:
        """``texts`` without the entity marks (marked texts), else as they are: what whole-text
        features read, so that they learn nothing of where the entities stand."""
        if self.offsets is not None:
            return list(texts)
        return pl.Series(texts, dtype=pl.String).fill_null("").str.replace_all(MARKS, "").to_list()

    def regions(self, texts: Sequence[str], positions: np.ndarray) -> dict[str, list[str]]:
        """The regions (:data:`~wslab.core.stats.regions.REGIONS`) of ``texts``, the texts of
        corpus rows ``positions``."""
        if self.offsets is None:
            return marked_regions(texts)
        return split_regions(texts, self.offsets[np.asarray(positions, dtype=np.int64)])


def load_spans(cfg: SpansConfig | None, corpus: Corpus) -> EntitySpans | None:
    """The checked spans of ``corpus`` (module doc); None without ``corpus.spans``."""
    if cfg is None:
        return None
    if cfg.markers:
        _check_marked(corpus)
        return EntitySpans(None)
    columns = [*cfg.e1, *cfg.e2]  # type: ignore[misc]
    keys = ["e1", "e1", "e2", "e2"]
    found = corpus.columns
    for col, key in zip(columns, keys):
        if col not in found:
            raise InputError(f"{corpus.name}: missing span column {col!r} (corpus.spans.{key}); found columns {found}")
    text = pl.col(corpus.text_column).cast(pl.String).fill_null("")
    df = corpus.frame.select(*(pl.col(c) for c in columns), text.str.len_chars().alias("_len")).collect(engine="streaming")
    for col, key in zip(columns, keys):
        s = df[col]
        if not (s.dtype.is_integer() or s.dtype == pl.Null):
            raise InputError(f"{corpus.name}: span column {col!r} (corpus.spans.{key}) has type {s.dtype}; "
                             "expected whole numbers (character offsets)")
        if s.null_count():
            row = int(s.is_null().arg_true()[0])
            raise InputError(f"{corpus.name}: row {row + 2}: missing value in span column {col!r} (corpus.spans.{key}); "
                             "expected a character offset in every row")
    offsets = np.stack([df[c].cast(pl.Int64).to_numpy() for c in columns], axis=1)
    n_chars = df["_len"].to_numpy().astype(np.int64)
    for j, key in ((0, "e1"), (2, "e2")):
        start, end = offsets[:, j], offsets[:, j + 1]
        bad = np.flatnonzero((start < 0) | (end < start) | (end > n_chars))
        if len(bad):
            r = int(bad[0])
            raise InputError(f"{corpus.name}: row {r + 2}: entity span {key} = [{start[r]}, {end[r]}] is out of range "
                             f"(columns {columns[j]!r}, {columns[j + 1]!r}); expected 0 <= start <= end <= "
                             f"{n_chars[r]}, the text's length in characters")
    return EntitySpans(offsets)


def _check_marked(corpus: Corpus) -> None:
    text = pl.col(corpus.text_column).cast(pl.String).fill_null("")
    parts = text.str.extract_groups(MARKED)
    ok = parts.struct.field("1").is_not_null() & (parts.struct.field("2") != parts.struct.field("5"))
    row = corpus.frame.select((~ok).arg_true().first()).collect(engine="streaming").item()
    if row is not None:
        raise InputError(f"{corpus.name}: row {row + 2}: text without both entity marks (corpus.spans.markers); "
                         "expected <e1>...</e1> and <e2>...</e2> once each")
