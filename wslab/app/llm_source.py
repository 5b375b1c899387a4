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

__all__ = ["llm_label_votes", "llm_source_costs", "llm_votes"]


def llm_label_votes(project: Any) -> tuple[list[str], np.ndarray] | None:
    """(rater names, (n, a) int8 votes over the corpus) of the ``llm_labels`` file: one column per
    annotator in it (one named after the file without that column), ABSTAIN where a rater gave
    no label; rows whose id is not in the corpus are ignored. A multi-label tag's run has them
    already (``project.llm_labels``, :mod:`wslab.app.tag_sources`). None without the file.

    A label outside the config's labels, or one id twice for one rater, is an :class:`InputError`
    naming the file and the row."""
    cfg = project.cfg
    if cfg.llm_labels is None:
        return None
    if getattr(project, "llm_labels", None) is not None:  # a tag's binary run: read and cut per tag already
        return project.llm_labels
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
    dup = frame.with_row_index("row").filter(~pl.struct("annotator", "id").is_first_distinct())
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


def llm_votes(project: Any, L: np.ndarray, lf_names: list[str],
              llm_usage: dict[str, Any]) -> tuple[np.ndarray | None, bool]:
    """(the LLM labels selection builds LLM candidates on, whether they are columns of L): the
    ``llm_labels`` file when the config names one (:func:`llm_label_votes`), else the prompt
    LFs that ran in this run (``llm_usage["lfs"]``), else (None, False)."""
    from_file = llm_label_votes(project)
    if from_file is not None:
        return from_file[1], False
    prompt = [j for j, name in enumerate(lf_names) if name in (llm_usage.get("lfs") or {})]
    return (L[:, prompt], True) if prompt else (None, False)


def llm_source_costs(project: Any, llm_usage: dict[str, Any]) -> dict[str, dict | None]:
    """``{"llm": cost of the llm_labels file, "lfs": cost of the prompt LFs}``, each ``{"usd",
    "basis"}`` or None (the source is not there; without the file, the prompt LFs are the LLM
    labels too, :func:`llm_votes`). The file's cost is read from its cost manifest
    (written by ``wslab llm-label``); the prompt LFs' from this run's usage ``llm_usage``
    (answers taken from the cache cost nothing this run). ``usd`` None: unknown (no manifest, or
    no price for the model)."""
    from wslab.app.llm_label import cost_manifest_path, read_cost_manifest

    cfg, out = project.cfg, {"llm": None, "lfs": None}
    if cfg.llm_labels is not None:
        path = cfg.resolve(cfg.llm_labels)
        side = read_cost_manifest(path)
        usd = side.get("cost_usd") if side else None
        name = cost_manifest_path(path).name + (" (estimated)" if side and side.get("estimated") else "")
        out["llm"] = {"usd": None if usd is None else float(usd),
                      "basis": name if side else "llm_labels: no cost manifest"}
    lfs = llm_usage.get("lfs") or {}
    if lfs:
        out["lfs"] = prompt_lf_cost(lfs, priced=lambda model: cfg.llm is not None and cfg.llm.price(model) is not None)
        if cfg.llm_labels is None:  # the prompt LFs are the LLM labels of the LLM candidates (llm_votes)
            out["llm"] = out["lfs"]
    return out


def prompt_lf_cost(lfs: dict[str, dict[str, Any]], *, priced: Any) -> dict[str, Any]:
    """``{"usd", "basis"}``: what the prompt LFs' answers cost, from this run's usage per LF
    (the ``lfs`` block of :func:`wslab.labeling.prompt_lf.run_prompt_lfs`). Answers an earlier
    run paid for (the vote store, the response cache) cost nothing now: their cost is
    extrapolated from this run's paid calls, and unknown when this run paid for none.

    >>> u = {"calls": 10, "cache_hits": 0, "cost_usd": 0.5}
    >>> prompt_lf_cost({"a": {"model": "m", "usage": u, "resumed": 0}}, priced=lambda m: True)
    {'usd': 0.5, 'basis': 'prompt LFs, paid this run'}
    >>> prompt_lf_cost({"a": {"model": "m", "usage": u, "resumed": 30}}, priced=lambda m: True)
    {'usd': 2.0, 'basis': 'prompt LFs, estimated from the paid calls of this run'}
    """
    usd, estimated = 0.0, False
    for v in lfs.values():
        u = v["usage"]
        before = int(v.get("resumed") or 0) + int(u.get("cache_hits") or 0)
        if not priced(v.get("model") or "") or (before and not u["calls"]):
            return {"usd": None, "basis": "prompt LFs: unknown (no price, or every answer paid by an earlier run)"}
        usd += u["cost_usd"] * (1 + before / u["calls"]) if before else u["cost_usd"]
        estimated = estimated or bool(before)
    return {"usd": round(usd, 6),
            "basis": "prompt LFs, estimated from the paid calls of this run" if estimated else "prompt LFs, paid this run"}
