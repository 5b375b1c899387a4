"""``wslab import wrench DATASET_DIR OUT_DIR``."""

from __future__ import annotations

from pathlib import Path

import typer

import_app = typer.Typer(help="Import datasets from other tools' formats.", no_args_is_help=True)


@import_app.command("wrench")
def wrench(
    dataset_dir: Path = typer.Argument(..., help="WRENCH dataset folder (train/valid/test.json, label.json)."),
    out_dir: Path = typer.Argument(..., help="Folder to write the wslab project into."),
    seed: int = typer.Option(0, min=0, help="Seed written into config.yaml."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as one JSON object."),
) -> None:
    """Turn a WRENCH dataset into corpus, LF votes, gold dev/test and a ready config.yaml.

    Example: wslab import wrench ../shared/data/wrench/youtube youtube && cd youtube && wslab apply config.yaml
    """
    from wslab.app.render import emit
    from wslab.app.wrench import import_wrench

    summary = import_wrench(dataset_dir, out_dir, seed=seed)
    emit(summary, lambda: typer.echo(
        f"wrote {summary['out_dir']}: {summary['documents']} documents, {summary['lfs']} LFs, gold dev "
        f"{summary['gold_dev']} / test {summary['gold_test']}, metric {summary['metric']}; run: wslab apply {Path(summary['out_dir']) / 'config.yaml'}"),
        as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
