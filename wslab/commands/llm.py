"""``wslab llm-label``: the LLM as an annotator; writes an annotations file (annotator = model)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from wslab.data import MAX_TEXT_CHARS
from wslab.errors import InputError
from wslab.io import check_not_null, check_unique, read_table, table_format, to_json, write_table
from wslab.progress import NullReporter, RichReporter


def llm_label(
    out: Path = typer.Option(..., "--out", "-o", help="Annotations file to write (csv or parquet): id, annotator, label."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Project config: corpus, labels, task and llm settings come from it."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus file with id and text columns (without --config)."),
    labels: str | None = typer.Option(None, "--labels", help="Comma-separated label names (without --config)."),
    instruction: str | None = typer.Option(None, "--instruction", help="What to decide; default: pick the best-fitting label."),
    model: str | None = typer.Option(None, "--model", help="Model name (overrides llm.model / $WSLAB_LLM_MODEL)."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (overrides llm.base_url / $OPENAI_BASE_URL)."),
    max_cost_usd: float | None = typer.Option(None, "--max-cost", help="Hard budget in USD (needs a price for the model)."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, help="Parallel requests."),
    annotator: str | None = typer.Option(None, "--annotator", help="Annotator name in the output; default: the model name."),
    work_dir: Path | None = typer.Option(None, "--work-dir", help="Resumable work folder; default: <out folder>/.llm_label."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary to stdout."),
) -> None:
    """Label a corpus with an LLM and write the answers as annotations (abstentions left out).

    Every text is PII-masked before it is sent; answers are cached and the run resumes where an
    interrupted one stopped.

    Example: wslab llm-label --corpus corpus.parquet --labels spam,ham --model gpt-4o-mini --out llm.csv
    """
    from wslab.labeling.prompt_lf import llm_annotations, llm_settings_from_config
    from wslab.llm import LLMSettings

    table_format(out)  # every option is checked before the first paid call
    if out.is_dir() or not out.parent.is_dir():
        raise InputError(f"--out {out}: expected a file path in an existing folder")
    task = ""
    descriptions: dict[str, str] | None = None
    if config is not None:
        from wslab.config import load_config

        cfg = load_config(config)
        settings = llm_settings_from_config(cfg)
        label_names = cfg.label_names
        descriptions = cfg.labels
        task = cfg.task
        corpus_path = corpus or cfg.resolve(cfg.corpus.path)
        id_col, text_col, max_chars = cfg.corpus.id_column, cfg.corpus.text_column, cfg.corpus.max_text_chars
    else:
        if corpus is None or labels is None:
            raise InputError("llm-label: expected --config, or both --corpus and --labels")
        settings = LLMSettings()
        label_names = [x.strip() for x in labels.split(",") if x.strip()]
        if len(label_names) < 2 or len(set(label_names)) != len(label_names):
            raise InputError(f"--labels: expected at least two distinct comma-separated names; got {labels!r}")
        corpus_path, id_col, text_col, max_chars = corpus, "id", "text", MAX_TEXT_CHARS
    settings = settings.with_overrides(where="llm-label", model=model, base_url=base_url,
                                       max_cost_usd=max_cost_usd, concurrency=concurrency)

    table = read_table(corpus_path, required=[id_col, text_col], what="corpus", id_columns=[id_col])
    check_unique(table, id_col, path=corpus_path, what="corpus")
    check_not_null(table, id_col, path=corpus_path, what="corpus")
    docs = table.select(table[id_col].alias("id"), table[text_col].cast(pl.String).str.slice(0, max_chars).alias("text"))

    reporter = NullReporter() if (quiet or as_json) else RichReporter()
    frame, result = llm_annotations(
        docs, labels=label_names, settings=settings, work_dir=work_dir or out.parent / ".llm_label",
        instruction=instruction, annotator=annotator, label_descriptions=descriptions, task=task,
        reporter=reporter)
    write_table(out, frame)
    summary = {"out": str(out), "documents": docs.height, "annotated": frame.height,
               "status": result.status, "resumed": result.resumed, "usage": result.usage,
               "masked": result.masked}
    if as_json:
        typer.echo(to_json(summary, indent=None))
    elif not quiet:
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"llm-label -> {out}")
        t.add_column("what")
        t.add_column("value", justify="right")
        t.add_row("documents", str(docs.height))
        t.add_row("annotated (not abstained)", str(frame.height))
        for k, v in sorted(result.status.items()):
            t.add_row(f"status {k}", str(v))
        t.add_row("from earlier runs", str(result.resumed))
        t.add_row("paid calls / cache hits", f"{result.usage['calls']} / {result.usage['cache_hits']}")
        t.add_row("tokens in / out", f"{result.usage['input_tokens']} / {result.usage['output_tokens']}")
        t.add_row("cost (USD)", f"{result.usage['cost_usd']:.4f}")
        t.add_row("PII masked", ", ".join(f"{k} {v}" for k, v in sorted(result.masked.items())) or "none")
        Console().print(t)


def register(app: typer.Typer) -> None:
    app.command("llm-label")(llm_label)
