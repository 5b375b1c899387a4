"""Reading a run folder: every file by its :mod:`wslab.core.artifacts` name, into its type.

``manifest.json`` and ``metrics.json`` are required (InputError naming the file otherwise) and
come back as :class:`~wslab.core.artifacts.Manifest` and :class:`~wslab.core.artifacts.Metrics`
(:func:`read_manifest`, :func:`read_metrics`: a key of the wrong JSON type is an InputError naming
the file and the key); every other artefact is optional and comes back as None when absent.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, TypedDict

import polars as pl

from wslab.core import artifacts as A
from wslab.core import io
from wslab.core.errors import InputError

__all__ = ["RunFolder", "load_run", "read_manifest", "read_metrics"]


def read_json(path: Path, *, required: bool) -> Any:
    """The JSON document at ``path``; None when it is absent and not ``required``."""
    if not path.is_file():
        if required:
            raise InputError(f"{path}: file not found; expected a run folder written by wslab apply")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: bytes that are not UTF-8; expected the JSON file wslab apply writes") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); "
                         "expected the JSON file wslab apply writes") from None


def read_frame(path: Path, what: str, dtypes: dict | None = None) -> pl.DataFrame | None:
    """An optional table of the run folder (may have zero rows); None when absent."""
    if not path.is_file():
        return None
    lf = io.scan_table(path, what=what)
    if dtypes:
        names = lf.collect_schema().names()
        lf = lf.with_columns(pl.col(c).cast(t) for c, t in dtypes.items() if c in names)
    return _collect(lf, path, what)


def _collect(lf: pl.LazyFrame, path: Path, what: str, **kwargs: Any) -> pl.DataFrame:
    """``lf.collect(**kwargs)``; an unreadable file becomes a one-line InputError naming ``path``."""
    try:
        return lf.collect(**kwargs)
    except Exception as exc:  # polars raises several error types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read {what}: {first}") from None


def _scan_labels(path: Path, column: str) -> tuple[pl.LazyFrame, list[str]] | None:
    """labels.parquet scanned lazily, with its column names; None when the file or ``column`` is absent."""
    if not path.is_file():
        return None
    lf = io.scan_table(path, what="labels")
    names = lf.collect_schema().names()
    return (lf, names) if column in names else None


def _class_counts(path: Path) -> dict[str, Any] | None:
    """Final labels per class, the number of documents and the count per label source, counted by
    a streaming group-by over labels.parquet (at 10M documents the file is not loaded whole)."""
    scanned = _scan_labels(path, "label")
    if scanned is None:
        return None
    lf, names = scanned
    counts = _collect(lf.group_by("label").len(), path, "labels", engine="streaming")
    sources = (_collect(lf.group_by("source").len().sort("source"), path, "labels", engine="streaming")
               if "source" in names else None)
    return {"counts": {str(k): int(v) for k, v in counts.iter_rows()}, "n": int(counts["len"].sum()),
            "sources": {str(k): int(v) for k, v in sources.iter_rows()} if sources is not None else {}}


def _tag_counts(path: Path) -> dict[str, Any] | None:
    """A multi-label labels.parquet (``tags`` list column, ``source_<tag>`` per tag), counted in
    one streaming pass: documents, per tag count, the co-occurrence matrix (documents carrying
    both tags; the diagonal is the tag's count), documents per number of tags, sources per tag."""
    scanned = _scan_labels(path, "tags")
    if scanned is None:
        return None
    lf, names = scanned
    tags = [c.removeprefix("p_") for c in names if c.startswith("p_")]
    has = [pl.col("tags").list.contains(pl.lit(t)) for t in tags]
    k = len(tags)
    row = _collect(lf.select(pl.len().alias("n"), *((has[i] & has[j]).sum().alias(f"c{i}_{j}")
                                                   for i in range(k) for j in range(i, k))),
                   path, "labels", engine="streaming").row(0, named=True)
    matrix = [[int(row[f"c{min(i, j)}_{max(i, j)}"]) for j in range(k)] for i in range(k)]
    sizes = _collect(lf.group_by(pl.col("tags").list.len().alias("k")).len().sort("k"), path, "labels",
                     engine="streaming")
    sources = {}
    for t in tags:
        if f"source_{t}" in names:
            counts = _collect(lf.group_by(f"source_{t}").len().sort(f"source_{t}"), path, "labels", engine="streaming")
            sources[t] = {str(name): int(v) for name, v in counts.iter_rows()}
    return {"n": int(row["n"]), "tags": tags, "matrix": matrix, "counts": {t: matrix[i][i] for i, t in enumerate(tags)},
            "sizes": {int(size): int(v) for size, v in sizes.iter_rows()}, "sources": sources}


class RunFolder(TypedDict):
    """What :func:`load_run` reads from a run folder (None: the file is absent)."""

    manifest: A.Manifest
    metrics: A.Metrics
    lfs: pl.DataFrame | None
    classes: dict[str, Any] | None
    tags: dict[str, Any] | None
    """A multi-label labels.parquet counted by :func:`_tag_counts` (None for a single-label run)."""
    health: pl.DataFrame | None
    agreement: dict[str, Any] | None
    cartography: pl.DataFrame | None
    queue: pl.DataFrame | None


_JSON_NAMES = {dict: "object", list: "list", str: "text", int: "number", float: "number", bool: "true/false",
               type(None): "null"}


def _json_types(hint: Any) -> tuple[type, ...]:
    """The Python types a JSON value may have for the type hint ``hint`` (``object``: any)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(t for option in typing.get_args(hint) for t in _json_types(option))
    base = typing.get_origin(hint) or hint
    if base is float:
        return (int, float)
    if base in _JSON_NAMES:
        return (base,)
    return (dict,) if typing.is_typeddict(base) else (object,)


def _typed(obj: Any, schema: type, path: Path) -> Any:
    """``obj`` (a JSON document) checked against the TypedDict ``schema``: an object whose keys,
    where present, hold the JSON type the schema gives."""
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected a JSON object; got {type(obj).__name__}")
    for key, hint in typing.get_type_hints(schema).items():
        if key not in obj:
            continue
        kinds, value = _json_types(hint), obj[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds and object not in kinds):
            expected = " or ".join(sorted({_JSON_NAMES[t] for t in kinds}))
            raise InputError(f"{path}: key {key!r}: expected {expected}; got {type(value).__name__}")
    return obj


def read_manifest(path: Path) -> A.Manifest:
    """``manifest.json`` as a :class:`~wslab.core.artifacts.Manifest`."""
    return _typed(read_json(path, required=True), A.Manifest, path)


def read_metrics(path: Path) -> A.Metrics:
    """``metrics.json`` as :class:`~wslab.core.artifacts.Metrics`."""
    return _typed(read_json(path, required=True), A.Metrics, path)


def load_run(run_dir: Path) -> RunFolder:
    """Every artefact of the run folder ``run_dir``, read into its type."""
    if not run_dir.exists():
        raise InputError(f"{run_dir}: run folder not found")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: is a file; expected a run folder written by wslab apply")
    return RunFolder(
        manifest=read_manifest(run_dir / A.MANIFEST),
        metrics=read_metrics(run_dir / A.METRICS),
        lfs=read_frame(run_dir / A.LF_ANALYSIS, "LF analysis"),
        classes=_class_counts(run_dir / A.LABELS),
        tags=_tag_counts(run_dir / A.LABELS),
        health=read_frame(run_dir / A.CLASS_HEALTH, "class health"),
        agreement=read_json(run_dir / A.AGREEMENT, required=False),
        cartography=read_frame(run_dir / A.CARTOGRAPHY, "cartography"),
        queue=read_frame(run_dir / A.QUEUE, "relabel queue", A.QUEUE_DTYPES),
    )
