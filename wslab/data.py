"""Loading and validating a project's inputs: corpus, gold set and its dev/test split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from wslab import io
from wslab.errors import InputError


def scan_corpus(path: Path, *, id_column: str, text_column: str) -> pl.LazyFrame:
    """Lazily scan the corpus, checking its columns, that it has rows and that ids are unique.

    The checks read only the id column (and one row), so a large corpus is never loaded here.
    """
    lf = io.scan_table(path, required=[id_column, text_column], what="corpus")
    n = lf.select(pl.len()).collect().item()
    if n == 0:
        raise InputError(f"{path}: corpus is empty; expected at least one document")
    io.check_unique(lf, id_column, path=path, what="corpus")
    nulls = lf.select(pl.col(id_column).is_null().arg_true().first()).collect().item()
    if nulls is not None:
        raise InputError(f"{path}: row {nulls + 2}: missing {id_column!r}; expected an id for every document")
    return lf


@dataclass(frozen=True)
class Gold:
    """Gold labels as class indices, split into dev and test (disjoint, stratified, seeded)."""

    ids: pl.Series
    y: np.ndarray
    is_dev: np.ndarray

    @property
    def dev_ids(self) -> pl.Series:
        return self.ids.filter(pl.Series(self.is_dev))

    @property
    def test_ids(self) -> pl.Series:
        return self.ids.filter(pl.Series(~self.is_dev))

    @property
    def y_dev(self) -> np.ndarray:
        return self.y[self.is_dev]

    @property
    def y_test(self) -> np.ndarray:
        return self.y[~self.is_dev]


def stratified_split(y: np.ndarray, *, dev_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of dev items: ``dev_fraction`` of each class (rounded), shuffled by ``rng``."""
    is_dev = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        k = int(round(len(idx) * dev_fraction))
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)  # both splits see every class that has two items
        is_dev[idx[:k]] = True
    return is_dev


def load_gold(path: Path, *, labels: list[str], id_column: str = "id", label_column: str = "label",
              split_column: str | None = None, dev_fraction: float = 0.5, seed: int = 0,
              corpus_ids: pl.Series | None = None, corpus_path: Path | None = None) -> Gold:
    """Read and validate gold labels; return them as class indices with a dev/test split."""
    required = [id_column, label_column] + ([split_column] if split_column else [])
    df = io.read_table(path, required=required, what="gold")
    io.check_not_null(df, id_column, path=path, what="gold")
    io.check_not_null(df, label_column, path=path, what="gold")
    io.check_unique(df, id_column, path=path, what="gold")
    df = df.with_columns(pl.col(label_column).cast(pl.String))
    bad = df.with_row_index("_row").filter(~pl.col(label_column).is_in(labels)).head(1)
    if bad.height:
        raise InputError(
            f"{path}: row {bad['_row'][0] + 2}: label {bad[label_column][0]!r} is not in the label set; "
            f"expected one of {labels}"
        )
    ids = df[id_column]
    if corpus_ids is not None:
        ids = ids.cast(corpus_ids.dtype, strict=False)
        if ids.null_count() > df[id_column].null_count():
            row = int(ids.is_null().arg_true()[0])
            raise InputError(f"{path}: row {row + 2}: id {df[id_column][row]!r} has a type that does not match the corpus ids")
        missing = df.with_row_index("_row").filter(~ids.is_in(corpus_ids.implode())).head(1)
        if missing.height:
            raise InputError(
                f"{path}: row {missing['_row'][0] + 2}: gold id {missing[id_column][0]!r} is not in the corpus "
                f"{corpus_path or ''}".rstrip() + "; expected gold ids to be corpus ids"
            )
    index = {name: i for i, name in enumerate(labels)}
    y = np.array([index[v] for v in df[label_column].to_list()], dtype=np.int64)
    if split_column:
        split = df[split_column].cast(pl.String).str.to_lowercase()
        bad_split = split.is_in(["dev", "test"]).not_().arg_true()
        if len(bad_split):
            row = int(bad_split[0])
            raise InputError(f"{path}: row {row + 2}: column {split_column!r} is {df[split_column][row]!r}; expected 'dev' or 'test'")
        is_dev = (split == "dev").to_numpy()
    else:
        is_dev = stratified_split(y, dev_fraction=dev_fraction, rng=np.random.default_rng(seed))
    return Gold(ids=ids.rename("id"), y=y, is_dev=is_dev)
