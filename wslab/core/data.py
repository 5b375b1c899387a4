"""A project's inputs, loaded and validated once: the corpus handle, the gold set and its dev/test split.

Every id is text, exactly as written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from wslab.core import io
from wslab.core.errors import InputError
from wslab.core.limits import MAX_TEXT_CHARS  # noqa: F401  (re-exported)
from wslab.core.frames import as_polars

TAG_SEPARATOR = ";"
"""Between the tags of one CSV cell in a multi-label project (``card;tariff``; an empty cell: no tag)."""


def scan_corpus(path: Path, *, id_column: str, text_column: str) -> pl.LazyFrame:
    """Lazily scan the corpus, checking its columns, that it has rows and that ids are unique.

    The checks read only the id column (and one row), so a large corpus is never loaded here.
    Ids are text, exactly as written.
    """
    lf = io.scan_table(path, required=[id_column, text_column], what="corpus", id_columns=[id_column])
    n = lf.select(pl.len()).collect().item()
    if n == 0:
        raise InputError(f"{path}: corpus is empty; expected at least one document")
    io.check_unique(lf, id_column, path=path, what="corpus")
    nulls = lf.select(pl.col(id_column).is_null().arg_true().first()).collect().item()
    if nulls is not None:
        raise InputError(f"{path}: row {nulls + 2}: missing {id_column!r}; expected an id for every document")
    return lf


@dataclass
class Corpus:
    """The corpus, opened once and shared by every stage.

    ``frame`` is the lazy scan (all columns, the id column as text); ``ids`` the document ids in
    file order, which is the row order of every array a stage builds (label matrix, probabilities).
    A row keeps its id from start to end. Texts are fetched for a set of ids only
    (:meth:`texts`), streaming, so a sample of a large corpus never loads all of it.
    """

    frame: pl.LazyFrame
    ids: pl.Series
    id_column: str = "id"
    text_column: str = "text"
    path: Path | None = None
    max_chars: int | None = None
    """Texts fetched by :meth:`texts` and :meth:`documents` (features, prompts) are cut to this many
    characters, so one huge document costs memory in proportion to the bound, not to its length.
    LFs (:attr:`frame`) see whole texts."""
    _stats: dict[str, int] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | Path, *, id_column: str = "id", text_column: str = "text",
             max_chars: int | None = None) -> "Corpus":
        """Scan and check a corpus file (parquet, csv or jsonl)."""
        lf = scan_corpus(Path(path), id_column=id_column, text_column=text_column)
        ids = lf.select(pl.col(id_column)).collect().to_series().rename("id")
        return cls(frame=lf, ids=ids, id_column=id_column, text_column=text_column, path=Path(path),
                   max_chars=max_chars)

    def text_stats(self) -> dict[str, int | None]:
        """``{"max_chars", "truncated", "empty"}``: texts longer than :attr:`max_chars` (cut when
        fetched) and texts with nothing but white space. One streaming pass, computed once."""
        if self._stats is None:
            text = pl.col(self.text_column).cast(pl.String).fill_null("")
            limit = self.max_chars if self.max_chars is not None else 2**62
            row = self.frame.select((text.str.len_chars() > limit).sum().alias("truncated"),
                                    (~text.str.contains(r"\S")).sum().alias("empty")).collect(engine="streaming")
            self._stats = {"truncated": int(row["truncated"][0]), "empty": int(row["empty"][0])}
        return {"max_chars": self.max_chars, **self._stats}

    def _text(self) -> pl.Expr:
        text = pl.col(self.text_column).cast(pl.String).fill_null("")
        return (text.str.slice(0, self.max_chars) if self.max_chars is not None else text).alias("text")

    @classmethod
    def from_frame(cls, df, *, id_column: str = "id", text_column: str = "text", name: str = "corpus") -> "Corpus":
        """A corpus from an in-memory polars or pandas DataFrame (the Python API)."""
        df = as_polars(df, name=name)
        for col in (id_column, text_column):
            if col not in df.columns:
                raise InputError(f"{name}: missing column {col!r}; found columns {df.columns}")
        if df.height == 0:
            raise InputError(f"{name}: corpus is empty; expected at least one document")
        df = df.with_columns(pl.col(id_column).cast(pl.String))
        io.check_not_null(df, id_column, path=name, what="corpus", in_memory=True)
        io.check_unique(df, id_column, path=name, what="corpus", in_memory=True)
        return cls(frame=df.lazy(), ids=df[id_column].rename("id"), id_column=id_column, text_column=text_column)

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "corpus"

    @property
    def columns(self) -> list[str]:
        return self.frame.collect_schema().names()

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, wanted: pl.Series) -> np.ndarray:
        """Row positions of the ``wanted`` ids (all of them corpus ids), in ``wanted``'s order.

        A hash set of the wanted ids is probed with every corpus id (a join against a lookup of
        every corpus id held 1.4 GB at 10M documents); only the hits are joined back.

        >>> c = Corpus.from_frame(pl.DataFrame({"id": ["007", "7", "x"], "text": ["a", "b", "c"]}))
        >>> c.positions(pl.Series(["x", "007"])).tolist()
        [2, 0]
        """
        wanted = wanted.cast(pl.String)
        at = self.ids.is_in(wanted.implode()).arg_true()
        found = pl.DataFrame({"id": self.ids.gather(at), "_pos": at})
        return (pl.DataFrame({"id": wanted})
                .join(found, on="id", how="left", maintain_order="left")["_pos"].to_numpy())

    def documents(self) -> pl.DataFrame:
        """``id`` and ``text`` of every document (missing text = "", cut to :attr:`max_chars`)."""
        return self.frame.select(pl.col(self.id_column).alias("id"), self._text()).collect(engine="streaming")

    def texts(self, ids: pl.Series) -> list[str]:
        """The texts of ``ids`` in that order (missing text = "", cut to :attr:`max_chars`)."""
        wanted = pl.DataFrame({"id": ids.cast(pl.String)})
        # a streaming filter against a hash set of the wanted ids (a semi join held 8x more memory at 10M)
        found = (self.frame.select(pl.col(self.id_column).alias("id"), self._text())
                 .filter(pl.col("id").is_in(wanted["id"].implode())).collect(engine="streaming"))
        return wanted.join(found, on="id", how="left", maintain_order="left")["text"].fill_null("").to_list()

    def texts_at(self, positions: np.ndarray, *, max_window: int = 1_000_000) -> list[str]:
        """The texts of the rows at ``positions`` (corpus order), in that order; rows that lie
        close together (a window of at most ``max_window`` rows, or 4 per wanted row) are read as
        one slice of the file, others looked up by id (:meth:`texts`).

        >>> c = Corpus.from_frame(pl.DataFrame({"id": [f"{i:03d}" for i in range(20)],
        ...                                     "text": [None] + [f"t{i}" for i in range(1, 20)]}))
        >>> c.texts_at(np.array([2, 0, 1])), c.texts_at(np.array([19, 0]), max_window=0)  # slice, then by id
        (['t2', '', 't1'], ['t19', ''])
        """
        pos = np.asarray(positions, dtype=np.int64)
        if len(pos) == 0:
            return []
        lo, hi = int(pos.min()), int(pos.max()) + 1
        if hi - lo > max(4 * len(pos), max_window):
            return self.texts(self.ids.gather(pos))
        window = self.frame.slice(lo, hi - lo).select(self._text()).collect()["text"]
        return window.gather(pos - lo).to_list()


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
              corpus: Corpus | None = None) -> Gold:
    """Read and validate gold labels; return them as class indices with a dev/test split."""
    df = _read_gold(path, id_column=id_column, label_column=label_column, split_column=split_column)
    return gold_from_frame(df, labels=labels, id_column=id_column, label_column=label_column,
                           split_column=split_column, dev_fraction=dev_fraction, seed=seed, corpus=corpus,
                           name=str(path))


def _read_gold(path: Path, *, id_column: str, label_column: str, split_column: str | None) -> pl.DataFrame:
    """The gold file's table, its id, label (and split) columns required, ids read as text."""
    required = [id_column, label_column] + ([split_column] if split_column else [])
    return io.read_table(path, required=required, what="gold", id_columns=[id_column])


def _gold_table(df, *, id_column: str, label_column: str, split_column: str | None, name: str) -> pl.DataFrame:
    """A gold table with its columns checked and its ids as unique, non-null text."""
    df = as_polars(df, name=name)
    for col in [id_column, label_column] + ([split_column] if split_column else []):
        if col not in df.columns:
            raise InputError(f"{name}: missing column {col!r} in gold; found columns {df.columns}")
    df = df.with_columns(pl.col(id_column).cast(pl.String))
    io.check_not_null(df, id_column, path=name, what="gold")
    io.check_unique(df, id_column, path=name, what="gold")
    return df


def _check_in_corpus(df: pl.DataFrame, id_column: str, corpus: Corpus | None, name: str) -> None:
    if corpus is None:
        return
    missing = df.with_row_index("_row").filter(~df[id_column].is_in(corpus.ids.implode())).head(1)
    if missing.height:
        raise InputError(f"{name}: row {missing['_row'][0] + 2}: gold id {missing[id_column][0]!r} is not in the "
                         f"corpus {corpus.name}; expected gold ids to be corpus ids")


def _split_column(df: pl.DataFrame, split_column: str, name: str) -> np.ndarray:
    """The dev mask from a ``dev``/``test`` column (any case)."""
    split = df[split_column].cast(pl.String).str.to_lowercase()
    bad_split = split.is_in(["dev", "test"]).not_().arg_true()
    if len(bad_split):
        row = int(bad_split[0])
        raise InputError(f"{name}: row {row + 2}: column {split_column!r} is {df[split_column][row]!r}; "
                         "expected 'dev' or 'test'")
    return (split == "dev").to_numpy()


def gold_from_frame(df, *, labels: list[str], id_column: str = "id", label_column: str = "label",
                    split_column: str | None = None, dev_fraction: float = 0.5, seed: int = 0,
                    corpus: Corpus | None = None, name: str = "gold") -> Gold:
    """Validate a gold table (polars or pandas) and split it into dev and test."""
    df = _gold_table(df, id_column=id_column, label_column=label_column, split_column=split_column, name=name)
    path = name
    io.check_not_null(df, label_column, path=path, what="gold")
    df = df.with_columns(pl.col(label_column).cast(pl.String))
    bad = df.with_row_index("_row").filter(~pl.col(label_column).is_in(labels)).head(1)
    if bad.height and TAG_SEPARATOR in bad[label_column][0]:
        raise InputError(
            f"{path}: row {bad['_row'][0] + 2}: label {bad[label_column][0]!r} holds several labels separated by "
            f"{TAG_SEPARATOR!r}; expected one label of {labels} (a multi-label project sets multilabel: true)"
        )
    if bad.height:
        raise InputError(
            f"{path}: row {bad['_row'][0] + 2}: label {bad[label_column][0]!r} is not in the label set; "
            f"expected one of {labels}"
        )
    _check_in_corpus(df, id_column, corpus, path)
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.array([index[v] for v in df[label_column].to_list()], dtype=np.int64)
    is_dev = _split_column(df, split_column, path) if split_column else \
        stratified_split(y, dev_fraction=dev_fraction, rng=np.random.default_rng(seed))
    return Gold(ids=df[id_column].rename("id"), y=y, is_dev=is_dev)


# ------------------------------------------------------------------ multi-label gold (tags)


def parse_tag_cell(value: object, tags: Sequence[str], where: str) -> tuple[str, ...]:
    """The tags of one label cell, in the order of ``tags`` (``labels:``): a CSV text with tags
    separated by ``;`` (empty or missing: no tag; white space around a tag stripped) or a list of
    texts (JSONL, parquet). ``where`` names the cell in the one-line error (unknown or repeated tag).

    >>> parse_tag_cell(" tariff ;card", ["card", "tariff", "fraud"], "gold.csv: row 2")
    ('card', 'tariff')
    >>> parse_tag_cell(None, ["card"], "x"), parse_tag_cell(["fraud"], ["card", "fraud"], "x")
    ((), ('fraud',))
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items = [t.strip() for t in value.split(TAG_SEPARATOR)] if value.strip() else []
    elif isinstance(value, (list, tuple, pl.Series, np.ndarray)):
        items = [t.strip() if isinstance(t, str) else t for t in list(value)]
    else:
        raise InputError(f"{where}: label cell {value!r}; expected tags separated by {TAG_SEPARATOR!r} or a list of tags")
    seen: set[str] = set()
    for t in items:
        if not isinstance(t, str) or t not in tags:
            raise InputError(f"{where}: unknown tag {t!r}; expected tags among {list(tags)}")
        if t in seen:
            raise InputError(f"{where}: tag {t!r} is listed twice; expected each tag at most once")
        seen.add(t)
    return tuple(t for t in tags if t in seen)


@dataclass(frozen=True)
class TagGold(Gold):
    """Gold of a multi-label project: ``y`` is the (items, tags) 0/1 int8 matrix
    (:attr:`tag_matrix`; ``y_dev`` / ``y_test`` its dev and test rows), columns in ``tags`` order."""

    tags: tuple[str, ...] = ()

    @property
    def tag_matrix(self) -> np.ndarray:
        return self.y

    def tag_sets(self) -> list[tuple[str, ...]]:
        """Each item's tags (in ``tags`` order)."""
        return [tuple(t for t, on in zip(self.tags, row) if on) for row in self.y]

    def for_tag(self, tag: str) -> Gold:
        """The binary gold of one tag (class 1 = the tag applies), on the same dev/test split."""
        return Gold(ids=self.ids, y=self.y[:, self.tags.index(tag)].astype(np.int64), is_dev=self.is_dev)


def random_split(n: int, *, dev_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of dev items: a seeded ``dev_fraction`` of ``n`` items. Not stratified by tag:
    the split of an item must not move when a tag is added to the project."""
    is_dev = np.zeros(n, dtype=bool)
    k = min(max(int(round(n * dev_fraction)), 1), n - 1) if n >= 2 else n
    is_dev[rng.permutation(n)[:k]] = True
    return is_dev


def load_tag_gold(path: Path, *, tags: list[str], id_column: str = "id", label_column: str = "label",
                  split_column: str | None = None, dev_fraction: float = 0.5, seed: int = 0,
                  corpus: Corpus | None = None) -> TagGold:
    """Read and validate a multi-label gold file (:func:`parse_tag_cell` per row) with a dev/test split."""
    df = _read_gold(path, id_column=id_column, label_column=label_column, split_column=split_column)
    return tag_gold_from_frame(df, tags=tags, id_column=id_column, label_column=label_column,
                               split_column=split_column, dev_fraction=dev_fraction, seed=seed, corpus=corpus,
                               name=str(path))


def tag_gold_from_frame(df, *, tags: list[str], id_column: str = "id", label_column: str = "label",
                        split_column: str | None = None, dev_fraction: float = 0.5, seed: int = 0,
                        corpus: Corpus | None = None, name: str = "gold") -> TagGold:
    """Validate a multi-label gold table (polars or pandas) and split it into dev and test."""
    df = _gold_table(df, id_column=id_column, label_column=label_column, split_column=split_column, name=name)
    cells = df[label_column]
    if not isinstance(cells.dtype, pl.List):  # a CSV cell as written (tags named 1, 2 are texts too)
        cells = cells.cast(pl.String)
    else:
        cells = cells.cast(pl.List(pl.String))
    sets = [parse_tag_cell(v, tags, f"{name}: row {i + 2}: column {label_column!r}") for i, v in enumerate(cells.to_list())]
    y = np.array([[t in s for t in tags] for s in sets], dtype=np.int8).reshape(len(sets), len(tags))
    _check_in_corpus(df, id_column, corpus, name)
    is_dev = _split_column(df, split_column, name) if split_column else \
        random_split(len(y), dev_fraction=dev_fraction, rng=np.random.default_rng(seed))
    return TagGold(ids=df[id_column].rename("id"), y=y, is_dev=is_dev, tags=tuple(tags))


def tag_matrix(cells, tags, *, where: str = "labels", rows=None) -> np.ndarray:
    """Items x tags 0/1 matrix (uint8) of label cells (see :func:`parse_tag_cell`); ``rows[i]`` is
    the file row named in an error (default: i + 2, the CSV line of a table with a header).

    >>> tag_matrix(["b;a", "", None], ["a", "b"]).tolist()
    [[1, 1], [0, 0], [0, 0]]
    """
    index = {t: j for j, t in enumerate(tags)}
    out = np.zeros((len(cells), len(tags)), dtype=np.uint8)
    for i, cell in enumerate(cells):  # one parse per cell: the check names the row
        row = rows[i] if rows is not None else i + 2
        for tag in parse_tag_cell(cell, tags, f"{where}: row {row}"):
            out[i, index[tag]] = 1
    return out
