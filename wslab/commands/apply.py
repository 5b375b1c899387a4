"""``wslab apply config.yaml``."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.config import load_config
from wslab.io import to_json
from wslab.pipeline import run_apply
from wslab.progress import cli_reporter


def apply(
    config: Path = typer.Argument(..., help="Project config (YAML)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics.json to stdout instead of tables."),
) -> None:
    """Run the whole pipeline: LFs -> label model -> end model -> evaluation on gold.

    Example: wslab apply configs/demo.yaml
    """
    cfg = load_config(config)
    reporter = cli_reporter(quiet=quiet, machine_output=as_json)
    result = run_apply(cfg, reporter=reporter)
    if as_json:
        typer.echo(to_json({"run_dir": str(result.run_dir), **result.metrics}))
    elif not quiet:
        from wslab.render import print_run

        print_run(result)


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
