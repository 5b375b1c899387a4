"""The distinct vote patterns of a label matrix, with their counts: what the label model is fitted on.

A label matrix of millions of rows usually holds only thousands of distinct rows (vote
patterns): each LF votes one of K classes or abstains, and most documents are touched by few
LFs. Snorkel's ``LabelModel.fit`` sees the data only through the overlap matrix
``O = L_aug^T L_aug / n`` (``_generate_O``) and the row count ``n`` (the clamp ``mu_eps``);
``predict_proba`` is a function of one row at a time. So fitting on the patterns, with
``O = L_aug^T diag(counts) L_aug / n``, gives *the same* ``mu`` as fitting on the raw matrix
(the integer sums are exact in float64, so ``O`` is bit-identical), and each pattern is
predicted once and joined back to its rows (:mod:`wslab.labeling.label_model`).

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [0, 0, -1], [1, -1, 1], [-1, -1, -1], [0, 0, -1]])
>>> p = vote_patterns(L)
>>> p.votes.tolist(), p.counts.tolist(), p.inverse.tolist()
([[-1, -1, -1], [0, 0, -1], [1, -1, 1]], [1, 3, 1], [1, 1, 2, 0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from wslab.labeling.spec import ABSTAIN

__all__ = ["VotePatterns", "vote_patterns", "overlap_share", "MIN_OVERLAP"]

MIN_OVERLAP = 0.01
"""Below this share of covered rows with votes from 2+ LFs, the label model is not fitted."""


@dataclass(frozen=True)
class VotePatterns:
    """The distinct rows of a label matrix."""

    votes: np.ndarray
    """(p, m) int64: each distinct row once, in lexicographic order."""
    counts: np.ndarray
    """(p,) int64: how many rows of the matrix hold each pattern."""
    inverse: np.ndarray | None
    """(n,) int64: the pattern of each row (None when the rows were not kept)."""
    columns: list[str]

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())


def _as_frame(L: np.ndarray | pl.DataFrame | pl.LazyFrame, columns: Sequence[str] | None) -> tuple[pl.LazyFrame, list[str]]:
    if isinstance(L, np.ndarray):
        if L.ndim != 2:
            raise ValueError(f"L must be a 2-d label matrix; got shape {L.shape}")
        cols = [f"lf{j}" for j in range(L.shape[1])]
        frame = pl.DataFrame({c: L[:, j] for j, c in enumerate(cols)}).lazy()
        return frame, cols
    lf = L.lazy() if isinstance(L, pl.DataFrame) else L
    names = lf.collect_schema().names()
    cols = list(columns) if columns is not None else [c for c in names if c != "id"]
    return lf, cols


def vote_patterns(L: np.ndarray | pl.DataFrame | pl.LazyFrame, *, columns: Sequence[str] | None = None,
                  keep_inverse: bool = True) -> VotePatterns:
    """Group a label matrix by its distinct rows, in Polars (streaming for a LazyFrame).

    ``L`` is an (n, m) array or a frame of vote columns (every column except ``id`` unless
    ``columns`` names them). ``keep_inverse=False`` skips the row -> pattern map, which is
    what a caller that joins predictions back in Polars wants for a matrix on disk.
    """
    lf, cols = _as_frame(L, columns)
    if not cols:
        raise ValueError("the label matrix has no LF columns")
    votes = lf.select([pl.col(c).cast(pl.Int8) for c in cols])
    grouped = (votes.group_by(cols).agg(pl.len().alias("_count")).sort(cols)
               .with_row_index("_pattern").collect(engine="streaming"))
    inverse = None
    if keep_inverse:
        inverse = (votes.join(grouped.lazy().select([*cols, "_pattern"]), on=cols, how="left",
                              maintain_order="left")
                   .select("_pattern").collect()["_pattern"].to_numpy().astype(np.int64))
    return VotePatterns(votes=grouped.select(cols).to_numpy().astype(np.int64),
                        counts=grouped["_count"].to_numpy().astype(np.int64), inverse=inverse, columns=cols)


def overlap_share(votes: np.ndarray, counts: np.ndarray) -> float:
    """Share of covered rows (1+ votes) that hold votes of 2+ LFs; 0.0 when no row is covered.

    Snorkel's objective learns LF accuracies from how LFs agree and disagree on the same rows
    (the off-diagonal blocks of the overlap matrix); rows with a single vote only fix the
    LFs' vote rates.
    """
    n_votes = (np.asarray(votes) != ABSTAIN).sum(axis=1)
    covered = int(counts[n_votes >= 1].sum())
    return float(counts[n_votes >= 2].sum()) / covered if covered else 0.0
