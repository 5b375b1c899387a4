"""The ``wslab`` command line: parse, load, call one library function, render.

Each command lives in ``wslab/commands/<name>.py`` and exposes ``register(app)``. This module
only assembles them and turns a :class:`~wslab.errors.WslabError` into a one-line message and
its exit code (2 for bad input).
"""

from __future__ import annotations

import importlib
import sys

import typer

from wslab.errors import WslabError

app = typer.Typer(
    name="wslab",
    help="Weak supervision lab: labeling functions -> label model -> end model, agreement "
    "statistics, and label-quality queues for expert relabeling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """wslab: weak supervision lab. Every command has --help with an example."""


# One module per command (or command group). A module adds itself with register(app).
COMMAND_MODULES = [
    "apply",
    "demo",
    "lfs",
    "importers",
    "agreement",
    "issues",
    "relabel",
    "llm",
]


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"wslab.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"wslab.commands.{name}":
                continue  # command not built yet
            raise
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        app(args=argv, prog_name="wslab")
    except WslabError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
