"""``wslab demo DIR``: write a realistic, seeded demo project into a folder."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.progress import cli_reporter

HELP = """Write a ready-to-run demo project: synthetic bank support messages (Russian, English and
mixed), expert gold labels, three assessors' annotations and ~25 labeling functions.

Refuses to write into a folder that is not empty unless --force is given (then the demo files
are overwritten; other files in the folder are left alone).

Examples:

  wslab demo demo-project

  wslab demo demo-project --docs 5000 --gold 500 --seed 3 --force

  wslab demo tags-project --multilabel     (messages with 0-3 tags: tariff, card, loan, fraud)

  cd demo-project && wslab apply config.yaml
"""


def demo(
    out_dir: Path = typer.Argument(..., help="Folder to write the project into (created if missing)."),
    docs: int = typer.Option(50_000, "--docs", min=1, help="Number of messages in the corpus."),
    gold: int = typer.Option(2000, "--gold", min=1, help="Number of expert-labelled gold items."),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed: the same seed writes the same project."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder, overwriting demo files."),
    multilabel: bool = typer.Option(False, "--multilabel", help="The multi-tag variant: a message carries 0-3 tags "
                                                                "(a card fee complaint is tariff and card)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    from wslab.app.demo import write_demo
    from wslab.app.render import emit, print_demo

    summary = write_demo(out_dir, n_docs=docs, n_gold=gold, seed=seed, force=force, multilabel=multilabel,
                         reporter=cli_reporter(quiet=quiet, machine_output=json_out))
    emit(summary.as_dict(), lambda: print_demo(summary), as_json=json_out, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("demo", help=HELP)(demo)
