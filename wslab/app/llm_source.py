"""LLM labels as a source for pipeline selection: the ``llm_labels`` file as a vote matrix over
the corpus, and what each paid source (that file, prompt LFs) cost, for the candidates' cost
column (:func:`wslab.labeling.selection.llm_cost`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from wslab.core import io
from wslab.core.artifacts import ABSTAIN
from wslab.core.errors import InputError

__all__ = ["llm_label_votes", "llm_source_costs"]


def llm_label_votes(project: Any) -> tuple[list[str], np.ndarray] | None:
    """(rater names, (n, a) int8 votes over the corpus) of the ``llm_labels`` file: one column per
    annotator in it (one named after the file without that column), ABSTAIN where a rater gave
    no label; rows whose id is not in the corpus are ignored. None without the file.

    A label outside the config's labels, or one id twice for one rater, is an :class:`InputError`
    naming the file and the row."""
    cfg = project.cfg
    if cfg.llm_labels is None:
        return None
    path = cfg.resolve(cfg.llm_labels)
    frame = io.read_table(path, required=["id", "label"], what="llm_labels")
    if "annotator" not in frame.columns:
        frame = frame.with_columns(pl.lit(path.stem).alias("annotator"))
    frame = frame.with_columns(pl.col("id").cast(pl.String), pl.col("label").cast(pl.String),
                               pl.col("annotator").cast(pl.String))
    labels = project.labels
    bad = frame.with_row_index("row").filter(~pl.col("label").is_in(labels))
    if bad.height:
        r = bad.row(0, named=True)
        raise InputError(f"{path}: llm_labels row {r['row'] + 1} (id {r['id']!r}) has label {r['label']!r}; "
                         f"expected one of {labels}")
    dup = frame.with_row_index("row").filter(pl.struct("annotator", "id").is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise InputError(f"{path}: llm_labels row {r['row'] + 1}: id {r['id']!r} is labelled twice by "
                         f"{r['annotator']!r}; expected one label per id and annotator")
    raters = frame["annotator"].unique(maintain_order=True).to_list()
    votes = np.full((len(project.corpus), len(raters)), ABSTAIN, dtype=np.int8)
    for j, who in enumerate(raters):
        part = frame.filter(pl.col("annotator") == who)
        pos = project.corpus.positions(part["id"])
        known = ~np.isnan(pos.astype(np.float64))
        y = np.array([labels.index(lab) for lab in part["label"].to_list()], dtype=np.int8)
        votes[pos[known].astype(np.int64), j] = y[known]
    return [f"llm:{who}" for who in raters], votes


def llm_source_costs(project: Any, llm_usage: dict[str, Any]) -> dict[str, dict | None]:
    """``{"llm": cost of the llm_labels file, "lfs": cost of the prompt LFs}``, each ``{"usd",
    "basis"}`` or None (the source is not there). The file's cost is read from its cost manifest
    (written by ``wslab llm-label``); the prompt LFs' from this run's usage ``llm_usage``
    (answers taken from the cache cost nothing this run). ``usd`` None: unknown (no manifest, or
    no price for the model)."""
    from wslab.app.llm_label import cost_manifest_path, read_cost_manifest

    cfg, out = project.cfg, {"llm": None, "lfs": None}
    if cfg.llm_labels is not None:
        path = cfg.resolve(cfg.llm_labels)
        side = read_cost_manifest(path)
        usd = side.get("cost_usd") if side else None
        out["llm"] = {"usd": None if usd is None else float(usd),
                      "basis": f"{cost_manifest_path(path).name}" if side else "llm_labels: no cost manifest"}
    lfs = llm_usage.get("lfs") or {}
    if lfs:
        priced = cfg.llm is not None and all(cfg.llm.price(v.get("model") or "") is not None for v in lfs.values())
        cached = sum(v["usage"].get("cache_hits", 0) for v in lfs.values())
        out["lfs"] = {"usd": float(llm_usage.get("cost_usd", 0.0)) if priced else None,
                      "basis": "prompt LFs, this run" + (f" ({cached:,} answers from the cache, free)" if cached else "")}
    return out
