"""``wslab config schema`` and ``wslab config check CONFIG``."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.config import config_json_schema, load_config
from wslab.io import to_json

config_app = typer.Typer(help="The config file: its JSON Schema (for editors) and a check without running.",
                         no_args_is_help=True)


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of config.yaml (for editor completion and validation).

    Editors that use yaml-language-server (VS Code's YAML extension, among others) complete and
    check config.yaml once its first line is: # yaml-language-server: $schema=wslab.schema.json

    Example: wslab config schema > wslab.schema.json
    """
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
    from wslab.check import check_project

    result = check_project(load_config(config))
    if as_json:
        typer.echo(to_json(result, indent=None))
        return
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"config check: {config} — ok")
    t.add_column("input")
    t.add_column("checked")
    lfs = result["lfs"]
    kinds = ", ".join(f"{n} {k}" for k, n in lfs["by_kind"].items()) or "none"
    t.add_row("labels", ", ".join(result["labels"]))
    t.add_row("LFs", f"{lfs['total']} ({kinds}); columns and regexes valid")
    c = result["corpus"]
    t.add_row("corpus", f"{c['path']}: {c['documents']:,} documents, unique ids, columns {c['columns']}")
    if result["precomputed"]:
        t.add_row("precomputed votes", f"{result['precomputed']['path']}: {result['precomputed']['lfs']} LFs")
    g = result["gold"]
    t.add_row("gold", f"{g['path']}: {g['items']:,} items (dev {g['dev']:,} / test {g['test']:,}), ids in the corpus"
              if g else "none (no evaluation)")
    a = result["annotations"]
    t.add_row("annotations", f"{a['path']}: {a['ratings']:,} ratings by {a['annotators']} annotators"
              if a else "none")
    t.add_row("output", result["output_dir"])
    Console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
