"""``wslab apply config.yaml``."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.app.gates import GATE_HELP, OVER_HELP
from wslab.core.progress import cli_reporter


def apply(
    config: Path = typer.Argument(..., help="Project config (YAML)."),
    fail_under: list[str] = typer.Option([], "--fail-under", metavar="METRIC=VALUE", help=GATE_HELP["apply"]),
    fail_over: list[str] = typer.Option([], "--fail-over", metavar="METRIC=VALUE", help=OVER_HELP["apply"]),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables (failed gates still print)."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics.json and the gates as one JSON object instead of tables."),
) -> None:
    """Run the whole pipeline: LFs -> label model -> end model -> evaluation on gold.

    Example: wslab apply configs/demo.yaml --fail-under accuracy=0.8 --fail-under lf_accuracy=0.6 --fail-over flagged_share=0.1
    """
    from wslab.app.gates import evaluate_gates, parse_gates, run_measures
    from wslab.app.pipeline import run_apply  # here, not above: --help stays light
    from wslab.app.render import emit, finish_gates, print_run
    from wslab.core.config import load_config

    cfg = load_config(config)
    gates = parse_gates(fail_under, over=fail_over, command="apply")  # before any work
    result = run_apply(cfg, reporter=cli_reporter(quiet=quiet, machine_output=as_json))
    verdicts = evaluate_gates(gates, run_measures(result))
    emit({"run_dir": str(result.run_dir), **result.metrics, "gates": verdicts}, lambda: print_run(result),
         as_json=as_json, quiet=quiet)
    finish_gates(verdicts, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
