"""``wslab demo DIR``: write a realistic, seeded demo project into a folder."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from wslab.demo import write_demo
from wslab.io import to_json

HELP = """Write a ready-to-run demo project: synthetic bank support messages (Russian, English and
mixed), expert gold labels, three assessors' annotations and ~25 labeling functions.

Refuses to write into a folder that is not empty unless --force is given (then the demo files
are overwritten; other files in the folder are left alone).

Examples:

  wslab demo demo-project

  wslab demo demo-project --docs 5000 --gold 500 --seed 3 --force

  cd demo-project && wslab apply config.yaml
"""


def demo(
    out_dir: Path = typer.Argument(..., help="Folder to write the project into (created if missing)."),
    docs: int = typer.Option(50_000, "--docs", min=1, help="Number of messages in the corpus."),
    gold: int = typer.Option(2000, "--gold", min=1, help="Number of expert-labelled gold items."),
    seed: int = typer.Option(7, "--seed", min=0, help="Seed: the same seed writes the same project."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder, overwriting demo files."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    reporter = None
    if not (quiet or json_out) and sys.stderr.isatty():
        from wslab.progress import RichReporter
        reporter = RichReporter()
    summary = write_demo(out_dir, n_docs=docs, n_gold=gold, seed=seed, force=force, reporter=reporter)
    if json_out:
        typer.echo(to_json({
            "out_dir": summary.out_dir, "seed": summary.seed, "n_docs": summary.n_docs, "n_gold": summary.n_gold,
            "n_annotated_items": summary.n_annotated_items, "n_annotations": summary.n_annotations,
            "n_lfs": summary.n_lfs, "class_counts": summary.class_counts, "files": summary.files,
        }))
        return
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{summary.out_dir} (seed {summary.seed})")
    table.add_column("class")
    table.add_column("messages", justify="right")
    table.add_column("share", justify="right")
    for label, n in summary.class_counts.items():
        table.add_row(label, f"{n:,}", f"{n / summary.n_docs:.1%}")
    console = Console()
    console.print(table)
    console.print(f"{summary.n_gold:,} gold items, {summary.n_annotations:,} ratings of {summary.n_annotated_items:,} "
                  f"items by 3 assessors, {summary.n_lfs} LFs")
    console.print(f"next: cd {summary.out_dir} && wslab apply config.yaml")


def register(app: typer.Typer) -> None:
    app.command("demo", help=HELP)(demo)
