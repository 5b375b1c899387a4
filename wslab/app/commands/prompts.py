"""``wslab prompts compare``: two instructions scored on the same gold dev items."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.config import load_config
from wslab.core.progress import cli_reporter

prompts_app = typer.Typer(help="LLM prompts: compare two instructions on gold dev.", no_args_is_help=True)


@prompts_app.command("compare")
def compare(
    config: Path = typer.Argument(..., help="Project config (YAML): labels, task, corpus, gold, llm."),
    a: Path = typer.Argument(..., help="Text file with instruction A."),
    b: Path = typer.Argument(..., help="Text file with instruction B."),
    sample: int | None = typer.Option(None, "--sample", min=1, help="Score on this many gold dev items (seeded sample); default: all of gold dev."),
    n_boot: int | None = typer.Option(None, "--n-boot", min=0, help="Bootstrap replicates for the CI of the difference; default: evaluation.bootstrap."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as one JSON object."),
) -> None:
    """Score two instructions on the same gold dev items: accuracy and macro F1 of each, the
    difference B - A with a paired bootstrap CI, McNemar's test, and what each cost.

    Gold test is never read. Answers are cached in output.dir/prompt_lfs, so a rerun is free
    and comparing A with a new C pays only for C.

    Example: wslab prompts compare config.yaml prompt_a.txt prompt_b.txt --sample 500
    """
    from wslab.app.prompts import compare_prompts
    from wslab.app.render import emit, print_prompt_comparison

    cfg = load_config(config)
    result = compare_prompts(cfg, a, b, sample=sample, n_boot=n_boot,
                             reporter=cli_reporter(quiet=quiet, machine_output=as_json))
    emit(result, lambda: print_prompt_comparison(result), as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(prompts_app, name="prompts")
