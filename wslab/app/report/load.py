"""Reading a run folder for the report: every file by its :mod:`wslab.core.artifacts` name.

``manifest.json`` and ``metrics.json`` are required (InputError naming the file otherwise);
every other artefact is optional and comes back as None when absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from wslab.core import artifacts as A
from wslab.core import io
from wslab.core.errors import InputError

__all__ = ["load_run"]


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


def _class_counts(path: Path) -> dict[str, Any] | None:
    """Final labels per class, the number of documents and the count per label source, counted by
    a streaming group-by over labels.parquet (at 10M documents the file is not loaded whole)."""
    if not path.is_file():
        return None
    lf = io.scan_table(path, what="labels")
    names = lf.collect_schema().names()
    if "label" not in names:
        return None
    counts = _collect(lf.group_by("label").len(), path, "labels", engine="streaming")
    sources = (_collect(lf.group_by("source").len().sort("source"), path, "labels", engine="streaming")
               if "source" in names else None)
    return {"counts": {str(k): int(v) for k, v in counts.iter_rows()}, "n": int(counts["len"].sum()),
            "sources": {str(k): int(v) for k, v in sources.iter_rows()} if sources is not None else {}}


def load_run(run_dir: Path) -> dict[str, Any]:
    """What the report shows, read from the run folder ``run_dir``."""
    if not run_dir.exists():
        raise InputError(f"{run_dir}: run folder not found")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: is a file; expected a run folder written by wslab apply")
    manifest = read_json(run_dir / A.MANIFEST, required=True)
    metrics = read_json(run_dir / A.METRICS, required=True)
    for name, obj in ((A.MANIFEST, manifest), (A.METRICS, metrics)):
        if not isinstance(obj, dict):
            raise InputError(f"{run_dir / name}: expected a JSON object; got {type(obj).__name__}")
    return {
        "manifest": manifest,
        "metrics": metrics,
        "lfs": read_frame(run_dir / A.LF_ANALYSIS, "LF analysis"),
        "classes": _class_counts(run_dir / A.LABELS),
        "health": read_frame(run_dir / A.CLASS_HEALTH, "class health"),
        "agreement": read_json(run_dir / A.AGREEMENT, required=False),
        "cartography": read_frame(run_dir / A.CARTOGRAPHY, "cartography"),
        "queue": read_frame(run_dir / A.QUEUE, "relabel queue", A.QUEUE_DTYPES),
    }
