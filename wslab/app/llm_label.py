"""``wslab llm-label`` as a library call: the LLM as an annotator over a corpus file.

Every option is checked before the first paid call; the answers are written as an annotations
file (id, annotator, label), abstentions left out, with a cost manifest beside it
(:func:`cost_manifest_path`: what the labels cost in all, read by ``wslab apply`` for the cost
column of the pipeline candidates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from wslab.core.limits import MAX_TEXT_CHARS
from wslab.core.errors import ArgumentError
from wslab.core.io import (check_not_null, check_outputs_spare_inputs, check_unique, read_table, table_format,
                           write_json, write_table)
from wslab.core.progress import Reporter
from wslab.core.rundir import output_lock

__all__ = ["llm_label", "cost_manifest_path", "read_cost_manifest"]


def llm_label(out: Path, *, config: Path | None = None, corpus: Path | None = None, labels: str | None = None,
              instruction: str | None = None, model: str | None = None, base_url: str | None = None,
              max_cost_usd: float | None = None, concurrency: int | None = None, annotator: str | None = None,
              work_dir: Path | None = None, reporter: Reporter | None = None) -> tuple[Any, dict[str, Any]]:
    """Label the corpus of ``config`` (or ``corpus`` with comma-separated ``labels``) with an LLM;
    write ``out``; return the prompt-LF result and a JSON-ready summary."""
    from wslab.labeling.prompt_lf import llm_settings_from_config
    from wslab.core.llm import LLMSettings

    table_format(out)  # every option is checked before the first paid call
    if out.is_dir() or not out.parent.is_dir():
        raise ArgumentError(f"{{out}} {out}: expected a file path in an existing folder", "out")
    task = ""
    descriptions: dict[str, str] | None = None
    if config is not None:
        from wslab.core.config import load_config

        cfg = load_config(config)
        settings = llm_settings_from_config(cfg)
        label_names = cfg.label_names
        descriptions = cfg.labels
        task = cfg.task
        corpus_path = corpus or cfg.resolve(cfg.corpus.path)
        id_col, text_col, max_chars = cfg.corpus.id_column, cfg.corpus.text_column, cfg.corpus.max_text_chars
    else:
        if corpus is None or labels is None:
            raise ArgumentError("llm-label: expected {config}, or both {corpus} and {labels}", "config", "corpus", "labels")
        settings = LLMSettings()
        label_names = [x.strip() for x in labels.split(",") if x.strip()]
        if len(label_names) < 2 or len(set(label_names)) != len(label_names):
            raise ArgumentError(f"{{labels}}: expected at least two distinct comma-separated names; got {labels!r}",
                                "labels")
        corpus_path, id_col, text_col, max_chars = corpus, "id", "text", MAX_TEXT_CHARS
    settings = settings.with_overrides(where="llm-label", model=model, base_url=base_url,
                                       max_cost_usd=max_cost_usd, concurrency=concurrency)

    check_outputs_spare_inputs([out], {"corpus": corpus_path, "config": config})
    with output_lock(out, what="output file"):  # two runs into one --out would pay twice
        return _label(out, corpus_path, id_col, text_col, max_chars, label_names=label_names, settings=settings,
                      work_dir=work_dir, instruction=instruction, annotator=annotator,
                      descriptions=descriptions, task=task, reporter=reporter)


def _label(out: Path, corpus_path: Path, id_col: str, text_col: str, max_chars: int, *, label_names: list[str],
           settings: Any, work_dir: Path | None, instruction: str | None, annotator: str | None,
           descriptions: dict[str, str] | None, task: str, reporter: Reporter | None) -> tuple[Any, dict[str, Any]]:
    from wslab.labeling.prompt_lf import llm_annotations

    table = read_table(corpus_path, required=[id_col, text_col], what="corpus", id_columns=[id_col])
    check_unique(table, id_col, path=corpus_path, what="corpus")
    check_not_null(table, id_col, path=corpus_path, what="corpus")
    docs = table.select(table[id_col].alias("id"), table[text_col].cast(pl.String).str.slice(0, max_chars).alias("text"))

    frame, result = llm_annotations(
        docs, labels=label_names, settings=settings, work_dir=work_dir or out.parent / ".llm_label",
        instruction=instruction, annotator=annotator, label_descriptions=descriptions, task=task,
        reporter=reporter)
    write_table(out, frame)
    summary = {"out": str(out), "documents": docs.height, "annotated": frame.height,
               "status": result.status, "resumed": result.resumed, "usage": result.usage,
               "masked": result.masked, "cost_manifest": str(cost_manifest_path(out))}
    write_json(cost_manifest_path(out), cost_manifest(out, result, docs.height, frame.height,
                                                      priced=settings.price(settings.resolved_model()) is not None))
    return result, summary


def cost_manifest_path(out: Path) -> Path:
    """Where the cost manifest of an LLM labels file is: ``labels.csv`` -> ``labels.csv.cost.json``."""
    return out.with_name(out.name + ".cost.json")


def read_cost_manifest(path: Path) -> dict[str, Any] | None:
    """The cost manifest beside the labels file ``path`` (None when there is none or it is unreadable)."""
    side = cost_manifest_path(path)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cost_manifest(out: Path, result: Any, n_docs: int, n_annotated: int, *, priced: bool) -> dict[str, Any]:
    """``{"documents", "annotated", "cost_usd", "estimated", "tokens_in", "tokens_out", "this_run"}``:
    what the labels in ``out`` cost in all. A run that resumed one whose manifest is there adds
    its paid calls to that total (a rerun answered from the store adds nothing); answers paid by
    a run that left no manifest (stopped at the budget) are costed like this run's paid calls
    (``estimated``). ``cost_usd`` None: no price for the model, or nothing to estimate from."""
    u = result.usage
    before = (read_cost_manifest(out) or {}) if result.resumed else {}
    earlier = 0 if before else int(result.resumed) + int(u.get("cache_hits") or 0)
    if not priced and u["calls"]:
        total = None
    elif before:
        total = None if before.get("cost_usd") is None else before["cost_usd"] + u["cost_usd"]
    elif earlier:
        total = u["cost_usd"] * (1 + earlier / u["calls"]) if u["calls"] else None
    else:
        total = u["cost_usd"]
    return {"documents": n_docs, "annotated": n_annotated, "cost_usd": None if total is None else round(total, 6),
            "estimated": bool(earlier) or bool(before.get("estimated")),
            "tokens_in": int(before.get("tokens_in", 0)) + int(u["input_tokens"]),
            "tokens_out": int(before.get("tokens_out", 0)) + int(u["output_tokens"]), "this_run": u}
