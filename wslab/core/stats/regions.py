"""Span-aware text features for relation tasks: a text cut into regions around its two entities,
each region hashed into a feature namespace of its own.

A relation between two entities is usually said by the words *between* them ("X causes Y", "X
is part of Y"); the same words before or after the pair speak of something else. Whole-text
n-grams cannot tell where a word stood. Here each document is cut into five regions:

    before | e1 | between | e2 | after

(``before``, ``between`` and ``after`` by position, whichever entity comes first; ``e1`` and
``e2`` are the entities' own words by role), and each region gets its own
:class:`~wslab.core.stats.hashing.HashedTfidf` (word and character n-grams, idf learnt from
that region's texts, each family L2-normalised), stacked side by side: the same word between
the entities and after them lands in different columns.

>>> r = split_regions(["the cat sat on the mat"], np.array([[4, 7, 19, 22]]))
>>> {k: v[0] for k, v in r.items()}
{'before': 'the ', 'e1': 'cat', 'between': ' sat on the ', 'e2': 'mat', 'after': ''}
>>> {k: v[0] for k, v in marked_regions(["A <e2>virus</e2> causes <e1>flu</e1>."]).items()}
{'before': 'A ', 'e1': 'flu', 'between': ' causes ', 'e2': 'virus', 'after': '.'}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp

from wslab.core.stats.hashing import HashedTfidf

REGIONS = ("before", "e1", "between", "e2", "after")
"""The regions of a document, in the order their feature blocks are stacked."""

MARKED = r"(?s)^(.*?)<e([12])>(.*?)</e[12]>(.*?)<e([12])>(.*?)</e[12]>(.*)$"
"""A text with both entities marked (SemEval-2010 Task 8: ``<e1>...</e1>``, ``<e2>...</e2>``,
in either order): before, first id, first words, between, second id, second words, after."""


MARKS = r"</?e[12]>"
"""The entity marks themselves."""


def split_regions(texts: Sequence[str] | pl.Series, offsets: np.ndarray) -> dict[str, list[str]]:
    """The five :data:`REGIONS` of each text from ``offsets`` (n, 4): e1 start, e1 end, e2 start,
    e2 end, character offsets, end exclusive (``text[start:end]``). Offsets past a text's end
    (a text cut to ``max_chars``) give empty or shorter regions; overlapping entities an empty
    ``between``."""
    o = np.asarray(offsets, dtype=np.int64).reshape(-1, 4)
    e1_first = o[:, 0] <= o[:, 2]
    first_end = np.where(e1_first, o[:, 1], o[:, 3])
    second_start = np.where(e1_first, o[:, 2], o[:, 0])
    df = pl.DataFrame({"t": pl.Series(texts, dtype=pl.String).fill_null(""),
                       "s0": np.minimum(o[:, 0], o[:, 2]), "f": first_end,
                       "gap": np.maximum(second_start - first_end, 0), "end": np.maximum(o[:, 1], o[:, 3]),
                       "a": o[:, 0], "la": o[:, 1] - o[:, 0], "b": o[:, 2], "lb": o[:, 3] - o[:, 2]})
    t = pl.col("t")
    out = df.select(t.str.slice(0, pl.col("s0")).alias("before"), t.str.slice(pl.col("a"), pl.col("la")).alias("e1"),
                    t.str.slice(pl.col("f"), pl.col("gap")).alias("between"),
                    t.str.slice(pl.col("b"), pl.col("lb")).alias("e2"), t.str.slice(pl.col("end")).alias("after"))
    return {name: out[name].fill_null("").to_list() for name in REGIONS}


def marked_parts(texts: Sequence[str] | pl.Series) -> pl.DataFrame:
    """The groups of :data:`MARKED` for each text (all null where a text does not match)."""
    s = pl.Series(texts, dtype=pl.String).fill_null("")
    return s.str.extract_groups(MARKED).struct.unnest()


def marked_regions(texts: Sequence[str] | pl.Series) -> dict[str, list[str]]:
    """The five :data:`REGIONS` of texts whose entities are marked (:data:`MARKED`); a text
    without both marks is all ``before`` (the loader refuses such a corpus first)."""
    p = marked_parts(texts)
    first_is_e1 = p["2"] == "1"
    before = p["1"].fill_null(pl.Series(texts, dtype=pl.String).fill_null(""))
    return {"before": before.to_list(),
            "e1": pl.select(pl.when(first_is_e1).then(p["3"]).otherwise(p["6"])).to_series().fill_null("").to_list(),
            "between": p["4"].fill_null("").to_list(),
            "e2": pl.select(pl.when(first_is_e1).then(p["6"]).otherwise(p["3"])).to_series().fill_null("").to_list(),
            "after": p["7"].fill_null("").to_list()}


class RegionTfidf:
    """One :class:`~wslab.core.stats.hashing.HashedTfidf` per region (module doc): ``fit`` learns
    each region's idf from its texts (no labels); ``transform`` gives the (n, 5 x 2 n_features)
    float32 CSR, region blocks in :data:`REGIONS` order."""

    def __init__(self, *, n_features: int = 2 ** 16, n_jobs: int = 2) -> None:
        self.parts = {name: HashedTfidf(n_features=n_features, n_jobs=n_jobs) for name in REGIONS}

    @property
    def n_columns(self) -> int:
        return sum(2 * f.n_features for f in self.parts.values())

    def fit_transform(self, regions: dict[str, list[str]]) -> sp.csr_matrix:
        return sp.hstack([f.fit_transform(regions[name]) for name, f in self.parts.items()], format="csr")

    def transform(self, regions: dict[str, list[str]]) -> sp.csr_matrix:
        return sp.hstack([f.transform(regions[name]) for name, f in self.parts.items()], format="csr")
