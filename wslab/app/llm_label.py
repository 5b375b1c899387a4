"""``wslab llm-label`` as a library call: the LLM as an annotator over a corpus file.

Every option is checked before the first paid call; the answers are written as an annotations
file (id, annotator, label), abstentions left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from wslab.core.limits import MAX_TEXT_CHARS
from wslab.core.errors import ArgumentError
from wslab.core.io import (check_not_null, check_outputs_spare_inputs, check_unique, read_table, table_format,
                           write_table)
from wslab.core.progress import Reporter
from wslab.core.rundir import output_lock

__all__ = ["llm_label"]


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
               "masked": result.masked}
    return result, summary
