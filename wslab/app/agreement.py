"""``wslab agreement`` as a library call: read the files, measure, apply the gate.

:func:`measure_agreement` reads a gold file and/or an annotations file (long or wide) and any
extra label sources, and returns :func:`wslab.quality.agreement_report`'s dict;
:func:`agreement_gate` turns one coefficient and a threshold into a pass/fail verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wslab.core.errors import ArgumentError
from wslab.core.io import read_table
from wslab.core.progress import Reporter
from wslab.quality.agreement_report import METRICS, agreement_report, wide_to_long

__all__ = ["measure_agreement", "measure_tag_agreement", "agreement_gate"]


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _label_sources(specs: Sequence[str]) -> tuple[dict, dict]:
    frames, names = {}, {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        name = name.strip()
        if not sep or not name or not path.strip():
            raise ArgumentError(f"{{label_sources}} {spec!r}: expected NAME=FILE, e.g. llm=llm_labels.csv", "label_sources")
        if name in frames or name == "majority":
            raise ArgumentError(f"{{label_sources}} {spec!r}: the name {name!r} is used twice or reserved; pick another",
                                "label_sources")
        frames[name] = read_table(path.strip(), required=["id", "label"], what=f"label source {name!r}")
        names[name] = path.strip()
    return frames, names


def _load(gold: Path | None, annotations: Path | None, fmt: str, ignore: list[str]):
    if gold is None and annotations is None:
        raise ArgumentError("nothing to measure: pass {gold} gold.csv, {annotations} annotations.csv, or both",
                            "gold", "annotations")
    if fmt not in ("long", "wide"):
        raise ArgumentError(f"{{fmt}} must be 'long' or 'wide'. Got {fmt!r} instead.", "fmt")
    gold_df = read_table(gold, required=["id", "label"], what="gold") if gold is not None else None
    if annotations is None:  # wide gold: every other column is an annotator
        ratings = wide_to_long(gold_df, name=str(gold), exclude=["label"], ignore=ignore)
        return ratings, gold_df.select("id", "label"), {"ratings": str(gold), "gold": str(gold)}
    ann = read_table(annotations, required=["id"], what="annotations")
    if fmt == "wide":
        ratings = wide_to_long(ann, name=str(annotations), exclude=["label"], ignore=ignore)
    else:
        missing = [c for c in ("annotator", "label") if c not in ann.columns]
        if missing:
            raise ArgumentError(f"{annotations}: missing column {missing[0]!r} in long-form annotations "
                                f"(id, annotator, label); found columns {ann.columns}; for one column per "
                                "annotator pass {fmt} wide", "fmt")
        ratings = ann
    if gold_df is not None:
        gold_df = gold_df.select("id", "label")  # with --annotations, other gold columns are ignored
    return ratings, gold_df, {"ratings": str(annotations), "gold": str(gold)}


def measure_agreement(*, gold: Path | None = None, annotations: Path | None = None, fmt: str = "long",
                      label_sources: Sequence[str] = (), labels_set: str | None = None, order: str | None = None,
                      level: str | None = None, scale: str = "landis-koch", confidence: float = 0.95,
                      n_boot: int = 1000, seed: int = 0, min_batch_accuracy: float = 0.8,
                      ignore_columns: str = "text", multilabel: bool = False,
                      reporter: Reporter | None = None) -> dict[str, Any]:
    """Agreement among the annotators of the files, and of every source against gold.

    ``label_sources``: extra sources scored against gold, as ``NAME=FILE``; ``labels_set`` and
    ``order``: comma-separated label set and ordinal order; ``ignore_columns``: wide-form
    columns that are not annotators. ``multilabel`` (or a list-valued label column): label cells
    hold tag sets (see :func:`measure_tag_agreement`).
    """
    if n_boot < 0:
        raise ArgumentError(f"{{n_boot}} must be 0 or more. Got {n_boot} instead.", "n_boot")
    if multilabel or _has_list_labels(annotations) or (annotations is None and _has_list_labels(gold)):
        if fmt != "long":
            raise ArgumentError("multi-label agreement reads long annotations (id, annotator, label); drop {fmt}",
                                "fmt")
        if order is not None or level is not None:
            raise ArgumentError("{order} and {level} are for single-label ratings; tags are nominal", "order", "level")
        return measure_tag_agreement(gold=gold, annotations=annotations, label_sources=label_sources,
                                     tags=_split(labels_set), scale=scale, confidence=confidence, n_boot=n_boot,
                                     seed=seed, min_batch_accuracy=min_batch_accuracy)
    ratings, gold_df, names = _load(gold, annotations, fmt, _split(ignore_columns) or [])
    _no_tag_cells(ratings, names["ratings"])
    if gold_df is not None:
        _no_tag_cells(gold_df, names["gold"])
    extra, extra_names = _label_sources(label_sources)
    if extra and gold_df is None:
        raise ArgumentError("{label_sources} are scored against gold; pass {gold} too", "label_sources", "gold")
    return agreement_report(ratings, gold_df, label_sources=extra, categories=_split(labels_set), order=_split(order),
                            level=level, scale=scale, confidence=confidence, n_boot=n_boot, seed=seed,
                            min_batch_accuracy=min_batch_accuracy, names={**names, **extra_names}, reporter=reporter)


def agreement_gate(report: dict[str, Any], metric: str, threshold: float) -> dict[str, Any]:
    """``{"metric", "value", "threshold", "passed", "message"}`` for ``metric`` >= ``threshold``;
    an undefined coefficient does not pass."""
    from wslab.app.gates import Gate, agreement_measures, evaluate_gates

    check_metric(metric)
    return evaluate_gates([Gate(metric, threshold, f"{threshold:g}")], agreement_measures(report))[0]


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ArgumentError(f"{{metric}} must be one of {list(METRICS)}. Got {metric!r} instead.", "metric")


def _has_list_labels(path: Path | None) -> bool:
    """A JSONL or parquet file whose ``label`` column holds lists: multi-label without the flag."""
    if path is None or Path(path).suffix.lower() not in (".parquet", ".jsonl", ".ndjson"):
        return False
    import polars as pl

    from wslab.core.io import scan_table

    schema = scan_table(path, what="annotations").collect_schema()
    return isinstance(schema.get("label"), pl.List)


def _observed_tags(*frames) -> list[str]:
    """Every tag in the ``label`` cells of ``frames``, sorted (when no tag list is declared)."""
    import polars as pl

    from wslab.core.data import TAG_SEPARATOR

    seen: set[str] = set()
    for frame in frames:
        col = frame["label"]
        parts = col.explode() if isinstance(col.dtype, pl.List) else col.cast(pl.String).str.split(TAG_SEPARATOR).explode()
        seen.update(p.strip() for p in parts.drop_nulls().to_list() if p.strip())
    return sorted(seen)


def measure_tag_agreement(*, gold: Path | None = None, annotations: Path | None = None,
                          label_sources: Sequence[str] = (), tags: list[str] | None = None,
                          scale: str = "landis-koch", confidence: float = 0.95, n_boot: int = 1000, seed: int = 0,
                          min_batch_accuracy: float = 0.8) -> dict[str, Any]:
    """Multi-label agreement (:func:`wslab.quality.agreement_tags.tag_agreement_report`) of a long
    annotations file (``id``, ``annotator``, ``label``: tags separated by ``;``, or a list; every row
    is a rating, an empty cell = no tag) and a gold file (``id``, ``label``). ``tags``: the declared
    tags (default: those found, sorted)."""
    from wslab.quality.agreement_tags import tag_agreement_report

    if annotations is None:
        raise ArgumentError("multi-label agreement needs {annotations} in long form (id, annotator, label)",
                            "annotations")
    ann = read_table(annotations, required=["id", "annotator", "label"], what="annotations", id_columns=["id"])
    gold_df = read_table(gold, required=["id", "label"], what="gold", id_columns=["id"]).select("id", "label") \
        if gold is not None else None
    extra, extra_names = _label_sources(label_sources)
    if extra and gold_df is None:
        raise ArgumentError("{label_sources} are scored against gold; pass {gold} too", "label_sources", "gold")
    tags = tags or _observed_tags(ann, *([gold_df] if gold_df is not None else []), *extra.values())
    if not tags:
        raise ArgumentError(f"{annotations}: no tag in any label cell; declare the tags with {{labels_set}}",
                            "labels_set")
    return tag_agreement_report(ann, gold_df, tags=tags, label_sources=extra, scale=scale, confidence=confidence,
                                n_boot=n_boot, seed=seed, min_batch_accuracy=min_batch_accuracy,
                                names={"ratings": str(annotations), "gold": str(gold), **extra_names})


def _no_tag_cells(df, name: str) -> None:
    """A ``;`` in a single-label file's label is a multi-tag cell: an error that names the row."""
    import polars as pl

    from wslab.core.data import TAG_SEPARATOR

    if "label" not in df.columns or df.schema["label"] != pl.String:
        return
    rows = df.with_row_index("_n").filter(pl.col("label").str.contains(TAG_SEPARATOR, literal=True)).head(1)
    if rows.height:
        row = int(rows["_row"][0] if "_row" in rows.columns else rows["_n"][0]) + 2
        raise ArgumentError(f"{name}: row {row}: label {rows['label'][0]!r} holds several tags; for tag sets pass "
                            "{multilabel}", "multilabel")
