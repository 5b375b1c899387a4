"""``wslab config schema`` and ``wslab config check CONFIG``."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.config import config_json_schema, load_config

config_app = typer.Typer(help="The config file: its JSON Schema (for editors) and a check without running.",
                         no_args_is_help=True)


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of config.yaml (for editor completion and validation).

    Editors that use yaml-language-server (VS Code's YAML extension, among others) complete and
    check config.yaml once its first line is: # yaml-language-server: $schema=wslab.schema.json

    Example: wslab config schema > wslab.schema.json
    """
    from wslab.core.io import to_json

    typer.echo(to_json(config_json_schema()))


@config_app.command("check")
def check(
    config: Path = typer.Argument(..., help="Project config (YAML)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing; the exit code says it all."),
    as_json: bool = typer.Option(False, "--json", help="Print what was checked as one JSON object."),
) -> None:
    """Validate a project without running it: config keys, LF files and regexes, corpus, gold, annotations.

    Runs every check that wslab apply runs before any work (no LF is applied, no LLM is called).
    Exit 0 when all is well, 2 with a one-line error naming the file and key, row or column.

    Example: wslab config check config.yaml
    """
    from wslab.app.check import check_project

    result = check_project(load_config(config))
    from wslab.app.render import emit, print_check

    emit(result, lambda: print_check(result, config), as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
