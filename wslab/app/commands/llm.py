"""``wslab llm-label``: the LLM as an annotator; writes an annotations file (annotator = model)."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.progress import cli_reporter


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
    interrupted one stopped. Beside the output goes its cost manifest (<out>.cost.json: what the
    labels cost in all), which `wslab apply` shows as the LLM cost of the candidates that read
    them (config key llm_labels).

    Example: wslab llm-label --corpus corpus.parquet --labels spam,ham --model gpt-4o-mini --out llm.csv
    """
    from wslab.app.llm_label import llm_label as label_corpus
    from wslab.app.render import emit, print_llm_label

    result, summary = label_corpus(out, config=config, corpus=corpus, labels=labels, instruction=instruction,
                                   model=model, base_url=base_url, max_cost_usd=max_cost_usd, concurrency=concurrency,
                                   annotator=annotator, work_dir=work_dir,
                                   reporter=cli_reporter(quiet=quiet, machine_output=as_json))
    emit(summary, lambda: print_llm_label(result, summary), as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("llm-label")(llm_label)
