"""``wslab lfs author`` and ``wslab lfs analyze``: write LFs with an LLM, and inspect an LF set."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.config import load_config
from wslab.app.gates import GATE_HELP, OVER_HELP
from wslab.core.progress import cli_reporter

lfs_app = typer.Typer(help="Labeling functions: let an LLM write them (author), inspect them (analyze).",
                      no_args_is_help=True)


@lfs_app.command("author")
def author(
    config: Path = typer.Argument(..., help="Project config (YAML): task, labels, corpus, gold, llm."),
    out: Path | None = typer.Option(None, "--out", "-o", help="LF file to write (YAML); default: lfs_authored.yaml beside the config. LFs already in it are kept."),
    rounds: int = typer.Option(3, "--rounds", min=1, help="Authoring rounds; later rounds focus on dev items still wrong or uncovered."),
    per_round: int = typer.Option(10, "--per-round", min=1, help="LFs to ask for per round."),
    sample_size: int = typer.Option(30, "--sample-size", min=0, help="Unlabelled corpus documents shown to the model."),
    dev_examples: int = typer.Option(30, "--dev-examples", min=0, help="Gold dev items shown per round (never gold test)."),
    min_accuracy: float = typer.Option(0.7, "--min-accuracy", help="Keep an LF only at this dev accuracy or above."),
    max_overlap: float = typer.Option(0.9, "--max-overlap", help="Reject an LF whose firing set overlaps a kept LF of the same label above this (Jaccard)."),
    dry_run_docs: int = typer.Option(50_000, "--dry-run-docs", min=0, help="Corpus documents (sampled) to measure coverage on, besides gold dev."),
    model: str | None = typer.Option(None, "--model", help="Author model (overrides llm.model for authoring only)."),
    score_prompt_lfs: bool = typer.Option(False, "--score-prompt-lfs", help="Run proposed prompt LFs on gold dev to score them (costs money); otherwise they are kept unscored."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print the authoring report as one JSON object."),
) -> None:
    """An LLM proposes LFs (keywords, regex, prompt); each is validated, dry-run and scored on gold dev.

    Kept LFs go to a YAML file with provenance (model, round, prompt hash, dev accuracy with
    95% CI, n, coverage) for a person to review; every candidate and the reason it was kept or
    rejected goes to <out>.authoring.json. Add the file to lfs.files to use it.

    Example: wslab lfs author config.yaml --out lfs_llm.yaml --rounds 3 --model gpt-4o
    """
    from wslab.labeling.author import author_lfs
    from wslab.app.project import open_data
    from wslab.app.render import emit, exit_if_stopped, print_authoring

    cfg = load_config(config)
    result = author_lfs(cfg, *open_data(cfg), out_path=out if out is not None else cfg.resolve("lfs_authored.yaml"),
                        rounds=rounds, per_round=per_round, sample_size=sample_size, dev_examples=dev_examples,
                        min_accuracy=min_accuracy, max_overlap=max_overlap, dry_run_docs=dry_run_docs, model=model,
                        score_prompt_lfs=score_prompt_lfs, reporter=cli_reporter(quiet=quiet, machine_output=as_json))
    emit(result.as_dict(), lambda: print_authoring(result), as_json=as_json, quiet=quiet)
    exit_if_stopped(result)


@lfs_app.command("analyze")
def analyze(
    config: Path = typer.Argument(..., help="Project config (YAML)."),
    no_prompt_lfs: bool = typer.Option(False, "--no-prompt-lfs", help="Leave prompt LFs out (they call the LLM unless their votes are stored)."),
    fail_under: list[str] = typer.Option([], "--fail-under", metavar="METRIC=VALUE", help=GATE_HELP["lfs analyze"]),
    fail_over: list[str] = typer.Option([], "--fail-over", metavar="METRIC=VALUE", help=OVER_HELP["lfs analyze"]),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables (failed gates still print)."),
    as_json: bool = typer.Option(False, "--json", help="Print {lfs: [...], n_docs, n_dev, covered, gates} as one JSON object."),
) -> None:
    """Coverage, overlaps, conflicts and gold-dev accuracy (Wilson 95% CI) of every LF.

    Applies the LFs only: no label model, no end model, nothing written.

    Example: wslab lfs analyze config.yaml --json --fail-under lf_accuracy=0.6
    """
    from wslab.app.gates import evaluate_gates, lf_measures, parse_gates
    from wslab.app.pipeline import analyze_lfs
    from wslab.app.render import emit, finish_gates, print_lf_analysis

    cfg = load_config(config)
    gates = parse_gates(fail_under, over=fail_over, command="lfs analyze")
    result = analyze_lfs(cfg, reporter=cli_reporter(quiet=quiet, machine_output=as_json), prompt_lfs=not no_prompt_lfs)
    verdicts = evaluate_gates(gates, lf_measures(result.table, covered=result.covered, n_docs=result.n_docs))
    emit({**result.as_dict(), "gates": verdicts}, lambda: print_lf_analysis(result), as_json=as_json, quiet=quiet)
    finish_gates(verdicts, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(lfs_app, name="lfs")
