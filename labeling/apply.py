"""Apply LFs to a corpus and build the label matrix (``id`` + one Int8 column per LF).

Three sources of votes, merged in spec order:

* declarative LFs: compiled once (:func:`plan_lfs`, which also validates them) to Polars
  expressions and evaluated column-wise over the lazily scanned corpus by the streaming engine
  (or, with ``executor="spark"``, as the same rules in Spark SQL);
* ``kind: python`` LFs (Snorkel style, ``module:function``): run row by row, in parallel
  processes when ``workers > 1``;
* precomputed votes: a parquet label matrix joined on ``id`` (missing ids abstain); a column with
  the name of an LF of the specs is not used as an LF but kept to be compared with the spec's
  votes (:func:`split_precomputed`, :func:`wslab.labeling.analysis.compare_precomputed`);

and prompt LFs, whose votes a caller-supplied function returns (:mod:`wslab.labeling.prompt_lf`).
:func:`label_matrix` merges them all.

>>> import polars as pl
>>> from wslab.core.data import Corpus
>>> from wslab.labeling.spec import parse_lf
>>> corpus = Corpus.from_frame(pl.DataFrame({"id": ["a", "b"], "text": ["free prize", "see you"]}))
>>> lf = parse_lf({"name": "prize", "label": "spam", "kind": "keywords", "keywords": ["prize"]})
>>> label_matrix(corpus, plan_lfs(corpus, [lf], ["ham", "spam"]))["prize"].to_list()
[1, -1]
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core.errors import ConfigError, InputError
from wslab.core.frames import as_polars, returns_like
from wslab.labeling.compile import compile_lf, condition_columns, is_declarative
from wslab.labeling.spec import ABSTAIN, LFSpec
from wslab.core.progress import Reporter, get_reporter


class Row:
    """A document as a Python LF sees it: attribute and item access to its columns."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._data.get(name, default)


def check_columns(specs: Sequence[LFSpec], columns: Sequence[str], *, text_column: str, corpus_path: str) -> None:
    """Every column an LF reads must exist in the corpus."""
    have = set(columns)
    for spec in specs:
        if not is_declarative(spec):
            continue
        for col in sorted(condition_columns(spec.condition, text_column)):  # type: ignore[arg-type]
            if col not in have:
                raise ConfigError(
                    f"{spec.source_file or 'LF spec'}: LF {spec.name!r}: key 'column': column {col!r} is not in "
                    f"the corpus {corpus_path}; expected one of {sorted(have)}"
                )


def check_types(corpus: Any, specs: Sequence[LFSpec], labels: Sequence[str]) -> None:
    """Every declarative LF, run on no rows of the corpus's schema: a column rule whose value has
    another type than its column (``gt: 3`` on a text column) fails here, before any work."""
    empty = corpus.frame.clear()
    declarative = [s for s in specs if is_declarative(s)]
    try:  # all at once (one query, not one per LF); only a failure is looked for LF by LF
        declarative_frame(empty, declarative, labels, id_column=corpus.id_column,
                          text_column=corpus.text_column).collect()
        return
    except ConfigError:
        raise
    except Exception:  # noqa: BLE001  the loop below names the LF
        pass
    for spec in declarative:
        try:
            declarative_frame(empty, [spec], labels, id_column=corpus.id_column,
                              text_column=corpus.text_column).collect()
        except ConfigError:
            raise
        except Exception as exc:  # polars: ComputeError, InvalidOperationError, SchemaError ...
            schema = corpus.frame.collect_schema()
            cols = sorted(condition_columns(spec.condition, corpus.text_column))  # type: ignore[arg-type]
            types = ", ".join(f"{c!r} is {schema[c]}" for c in cols if c in schema)
            first = str(exc).strip().splitlines()[0]
            raise ConfigError(f"{spec.source_file or 'LF spec'}: LF {spec.name!r}: key 'value': {first} "
                              f"(in the corpus {corpus.name}, column {types}); expected a value of the "
                              "column's type") from None


def declarative_frame(corpus: pl.LazyFrame, specs: Sequence[LFSpec], labels: Sequence[str], *,
                      id_column: str, text_column: str) -> pl.LazyFrame:
    """A lazy frame ``id`` + one Int8 column per declarative LF (in spec order)."""
    index = {name: i for i, name in enumerate(labels)}
    exprs = [compile_lf(s, index, text_column=text_column) for s in specs if is_declarative(s)]
    return corpus.select([pl.col(id_column).alias("id"), *exprs])


# ------------------------------------------------------------------ python LFs


def load_python_lf(function: str, *, paths: Sequence[Path] = ()) -> Callable[[Any], Any]:
    """Import ``module:function``; ``paths`` are added to ``sys.path`` first."""
    for p in paths:
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    module_name, _, attr = function.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(f"python LF {function!r}: cannot import module {module_name!r} ({exc})") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        raise ConfigError(f"python LF {function!r}: module {module_name!r} has no function {attr!r}")
    return fn


def _coerce_vote(value: Any, labels: Sequence[str], *, lf: str, row_id: Any) -> int:
    if value is None:
        return ABSTAIN
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"python LF {lf!r}: id {row_id!r}: returned a bool; expected a label name, class index or None")
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if v == ABSTAIN or 0 <= v < len(labels):
            return v
        raise InputError(f"python LF {lf!r}: id {row_id!r}: returned class index {v}; expected -1..{len(labels) - 1}")
    if isinstance(value, str):
        if value.upper() == "ABSTAIN":
            return ABSTAIN
        try:
            return labels.index(value)
        except ValueError:
            raise InputError(
                f"python LF {lf!r}: id {row_id!r}: returned unknown label {value!r}; expected one of {list(labels)}"
            ) from None
    raise InputError(f"python LF {lf!r}: id {row_id!r}: returned {type(value).__name__}; expected a label name, index or None")


def _fires(value: Any, tag: str, *, lf: str, row_id: Any) -> bool:
    """Whether a tag's Python LF fired: ``True`` or the tag's name fires; ``False``, ``None``,
    ``-1`` or ``"ABSTAIN"`` does not; anything else is an InputError naming the LF and the document.

    >>> [_fires(v, "card", lf="f", row_id="a") for v in (True, "card", None, False, -1, "ABSTAIN")]
    [True, True, False, False, False, False]
    """
    if value is None or (isinstance(value, str) and value.upper() == "ABSTAIN"):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value == tag:
        return True
    if isinstance(value, (int, np.integer)) and int(value) == ABSTAIN:
        return False
    raise InputError(f"python LF {lf!r}: id {row_id!r}: returned {value!r}; expected True or {tag!r} (the LF fires: "
                     "it votes its spec's vote), False or None (it abstains)")


def _run_python_chunk(args: tuple) -> np.ndarray:
    functions, names, paths, labels, rows, id_column, offset, fires = args
    fns = [load_python_lf(f, paths=paths) for f in functions]
    out = np.full((len(rows), len(fns)), ABSTAIN, dtype=np.int8)
    for i, data in enumerate(rows):
        row = Row(data)
        for j, fn in enumerate(fns):
            try:
                value = fn(row)
            except Exception as exc:  # the user's code: one line naming the LF and the document, never a silent abstain
                first = (str(exc).strip().splitlines() or [""])[0][:200]
                raise InputError(f"python LF {names[j]!r} ({functions[j]}): id {data.get(id_column)!r} (document "
                                 f"{offset + i + 1}): raised {type(exc).__name__}" + (f": {first}" if first else "")
                                 + "; expected a label name, class index or None") from None
            if fires is None:
                out[i, j] = _coerce_vote(value, labels, lf=names[j], row_id=data.get(id_column))
            elif _fires(value, fires[0], lf=names[j], row_id=data.get(id_column)):
                out[i, j] = fires[1][j]
    return out


def apply_python_lfs(df: pl.DataFrame, specs: Sequence[LFSpec], labels: Sequence[str], *, id_column: str,
                     paths: Sequence[Path] = (), workers: int = 1, chunk_size: int = 5000,
                     tag: str | None = None, reporter: Reporter | None = None) -> np.ndarray:
    """Run Snorkel-style Python LFs row-wise; returns an (n, len(specs)) int8 matrix.

    With ``tag`` (a multi-label project's binary run of that tag), a function says whether it
    fires (:func:`_fires`) and a firing LF votes its spec's ``label`` (the tag, or the tag's
    negative class for ``vote: against``); without, it returns a label name, index or None."""
    functions = [s.condition.function for s in specs]  # type: ignore[union-attr]
    names = [s.name for s in specs]
    fires = None if tag is None else (tag, [list(labels).index(s.label) for s in specs])
    for f in functions:  # fail fast, in this process, on import errors
        load_python_lf(f, paths=paths)
    rows = df.to_dicts()
    chunks = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)] or [[]]
    jobs = [(functions, names, [str(p) for p in paths], list(labels), c, id_column, k * chunk_size, fires)
            for k, c in enumerate(chunks)]
    results: list[np.ndarray] = []
    with get_reporter(reporter).task("python LFs", total=len(rows)) as advance:
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for res in pool.map(_run_python_chunk, jobs):
                    results.append(res)
                    advance(len(res))
        else:
            for job in jobs:
                res = _run_python_chunk(job)
                results.append(res)
                advance(len(res))
    return np.vstack(results) if results else np.empty((0, len(specs)), dtype=np.int8)


# ------------------------------------------------------------------ precomputed votes


def load_precomputed(path: Path, ids: pl.Series, *, n_labels: int) -> pl.DataFrame:
    """Read a parquet label matrix and align it to ``ids`` (ids it lacks abstain on every LF)."""
    from wslab.core.io import check_unique, read_table

    votes = read_table(path, required=["id"], what="precomputed label matrix")
    ids = ids.cast(pl.String)
    check_unique(votes, "id", path=path, what="precomputed label matrix")
    lf_cols = [c for c in votes.columns if c != "id"]
    if not lf_cols:
        raise InputError(f"{path}: precomputed label matrix has no LF columns; expected id plus one column per LF")
    for c in lf_cols:
        if not votes.schema[c].is_integer():
            raise InputError(f"{path}: column {c!r}: dtype {votes.schema[c]}; expected integer votes (-1 = abstain)")
        bad = votes.filter((pl.col(c) < -1) | (pl.col(c) >= n_labels)).head(1)
        if bad.height:
            raise InputError(f"{path}: column {c!r}: id {bad['id'][0]!r}: vote {bad[c][0]}; expected -1..{n_labels - 1}")
    extra = votes.join(pl.DataFrame({"id": ids}), on="id", how="anti").head(1)
    if extra.height:
        raise InputError(f"{path}: id {extra['id'][0]!r} is not in the corpus; expected votes for corpus ids only")
    aligned = pl.DataFrame({"id": ids}).join(votes, on="id", how="left", maintain_order="left")
    return aligned.with_columns([pl.col(c).fill_null(ABSTAIN).cast(pl.Int8) for c in lf_cols])


def precomputed_descriptions(path: Path) -> dict[str, str]:
    """What each LF of a precomputed label matrix is, where the file says it (the parquet metadata
    key :data:`wslab.core.artifacts.LF_DESCRIPTIONS_KEY`, a JSON object ``{LF: text}``, which
    ``wslab import wrench`` writes from the dataset's readme); {} otherwise."""
    import json

    from wslab.core.artifacts import LF_DESCRIPTIONS_KEY

    try:
        raw = pl.read_parquet_metadata(path).get(LF_DESCRIPTIONS_KEY)
        found = json.loads(raw) if raw else {}
    except Exception:  # not parquet, or metadata not ours: the LFs keep their names only
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def split_precomputed(votes: pl.DataFrame, lf_names: Sequence[str]) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(``id`` + the columns no LF spec has: used as LFs, ``id`` + the columns named like an LF of
    ``lf_names``: the spec's votes are used and these only compared with them); None when empty.

    >>> votes = pl.DataFrame({"id": ["a"], "x": [0], "y": [1]})
    >>> [None if f is None else f.columns for f in split_precomputed(votes, ["y"])]
    [['id', 'x'], ['id', 'y']]
    """
    twins = [c for c in votes.columns if c != "id" and c in set(lf_names)]
    own = votes.drop(twins)
    return (own if own.width > 1 else None), (votes.select("id", *twins) if twins else None)


# ------------------------------------------------------------------ the label matrix


@dataclass
class LFPlan:
    """Validated LFs, compiled once: what :func:`label_matrix` runs."""

    specs: list[LFSpec]
    labels: list[str]
    declarative: pl.LazyFrame
    """``id`` + one Int8 column per declarative LF, not yet evaluated."""
    executor: str = "polars"
    names: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[LFSpec]:
        return [s for s in self.specs if s.kind == kind]


def plan_lfs(corpus: Any, specs: Sequence[LFSpec], labels: Sequence[str], *, executor: str = "polars") -> LFPlan:
    """Check every LF against ``corpus`` (a :class:`wslab.core.data.Corpus`: columns exist, regexes
    compile, Spark portability) and compile the declarative ones, once."""
    check_columns(specs, corpus.columns, text_column=corpus.text_column, corpus_path=corpus.name)
    frame = declarative_frame(corpus.frame, specs, labels, id_column=corpus.id_column, text_column=corpus.text_column)
    check_types(corpus, specs, labels)
    if executor == "spark":
        from wslab.labeling.spark import check_portable

        check_portable(specs, labels, text_column=corpus.text_column)  # before Spark starts
    return LFPlan(specs=list(specs), labels=list(labels), declarative=frame, executor=executor,
                  names=[s.name for s in specs])


def label_matrix(corpus: Any, plan: LFPlan, *, python_paths: Sequence[Path] = (), workers: int = 1,
                 spark_master: str | None = None, spark_output: str | None = None,
                 prompt_votes: Callable[[pl.DataFrame, list[LFSpec]], np.ndarray] | None = None,
                 precomputed: pl.DataFrame | None = None, tag: str | None = None,
                 reporter: Reporter | None = None) -> pl.DataFrame:
    """Apply every LF of ``plan`` to ``corpus``: ``id`` + one Int8 column per LF (spec order), then
    the ``precomputed`` columns (already aligned to the corpus ids, see :func:`load_precomputed`).
    ``tag``: the plan is a multi-label project's binary run of that tag (Python LFs say whether
    they fire, :func:`apply_python_lfs`).

    ``prompt_votes(docs, specs)`` returns the (n, len(specs)) votes of the prompt LFs for ``docs``
    (``id``, ``text``); it is required when the plan has prompt LFs.
    """
    if plan.executor == "spark":
        from wslab.labeling.spark import get_spark, spark_label_matrix

        with get_reporter(reporter).task("starting Spark"):  # the JVM apart, so the LF bar measures the LFs
            get_spark(spark_master)
    n, shown = len(corpus), [0]
    with get_reporter(reporter).task(f"declarative LFs ({plan.executor})", total=n) as advance:

        def to_share(share: float) -> None:  # Spark's share of tasks done -> documents
            advance(int(share * n) - shown[0])
            shown[0] = int(share * n)

        if plan.executor == "spark":
            frame = spark_label_matrix(corpus.path, plan.specs, plan.labels, order=corpus.ids,
                                       id_column=corpus.id_column, text_column=corpus.text_column,
                                       master=spark_master, output=spark_output, on_progress=to_share)
            frame = frame.with_columns(pl.col("id").cast(pl.String))
        else:
            frame = plan.declarative.collect(engine="streaming")
        to_share(1.0)
    python_specs = plan.of_kind("python")
    if python_specs:
        votes = apply_python_lfs(corpus.frame.collect(), python_specs, plan.labels, id_column=corpus.id_column,
                                 paths=python_paths, workers=workers, tag=tag, reporter=reporter)
        frame = frame.with_columns(pl.Series(s.name, votes[:, j], dtype=pl.Int8) for j, s in enumerate(python_specs))
    prompt_specs = plan.of_kind("prompt")
    if prompt_specs:
        if prompt_votes is None:
            raise ValueError("the plan has prompt LFs; expected a prompt_votes function")
        votes = prompt_votes(corpus.documents(), prompt_specs)
        frame = frame.with_columns(pl.Series(s.name, votes[:, j], dtype=pl.Int8) for j, s in enumerate(prompt_specs))
    frame = frame.select(["id", *plan.names])
    if precomputed is not None:
        frame = frame.hstack(precomputed.drop("id"))
    return frame


def votes_array(matrix: Any) -> np.ndarray:
    """The (n, m) int8 votes of a label matrix frame, polars or pandas (30 LFs x 10M documents is
    300 MB as int8)."""
    if not isinstance(matrix, pl.DataFrame):
        matrix = as_polars(matrix, name="label matrix")
    if matrix.width <= 1:
        return np.empty((matrix.height, 0), np.int8)
    return matrix.drop("id").to_numpy().astype(np.int8)


@returns_like("df")
def apply_lfs(df: Any, lfs: Sequence[LFSpec | dict] | str | Path, labels: Sequence[str], *, id_column: str = "id",
              text_column: str = "text") -> pl.DataFrame:
    """The label matrix of declarative ``lfs`` on an in-memory polars or pandas ``df``.

    ``lfs``: LF specs, LF mappings as in an LF YAML file, or the path of such a file. Returns
    ``id`` (text) + one Int8 column per LF, ``-1`` = abstain, as the frame type of ``df`` (pandas
    in, pandas out). Duplicate ids are an InputError naming two row positions that share one. For Python LFs, prompt LFs and
    files on disk, use :func:`wslab.run_apply` or :func:`label_matrix`.
    """
    from wslab.core.data import Corpus
    from wslab.labeling.spec import check_lf_set, load_lf_specs, parse_lf

    if isinstance(lfs, (str, Path)):
        specs = load_lf_specs(lfs)
    else:
        specs = [lf if isinstance(lf, LFSpec) else parse_lf(lf, where=f"LF {i}") for i, lf in enumerate(lfs)]
    check_lf_set(specs, list(labels))
    kinds = sorted({s.kind for s in specs if not is_declarative(s)})
    if kinds:
        raise ConfigError(f"apply_lfs: LFs of kind {kinds[0]!r} need the pipeline; expected declarative LFs")
    corpus = Corpus.from_frame(df, id_column=id_column, text_column=text_column)
    return label_matrix(corpus, plan_lfs(corpus, specs, labels))
