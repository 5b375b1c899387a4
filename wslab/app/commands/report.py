"""``wslab report RUN_DIR``: rebuild the HTML report of a run folder."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.errors import InputError


def report(
    run_dir: Path = typer.Argument(..., help="Run folder written by wslab apply (the config's output.dir)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file to write; default: RUN_DIR/report.html."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print {report, bytes} as one JSON object."),
) -> None:
    """Rebuild report.html from the files of a run folder (self-contained: opens offline).

    The report holds the run summary, the LF table, majority vote vs label model vs end model
    with CIs, class distribution, confusion matrix, agreement, the data map and the top of the
    relabel queue. wslab apply writes it too; this rebuilds it, e.g. after a wslab upgrade.

    Example: wslab report runs/demo --out /tmp/demo-report.html
    """
    from wslab.app.report import build_report
    from wslab.app.tags import check_tag_report
    from wslab.core.io import to_json, write_text

    target = out if out is not None else run_dir / "report.html"
    if target.is_dir():
        raise InputError(f"{target}: is a folder; expected an HTML file to write (e.g. --out report.html)")
    check_tag_report(run_dir)
    page = build_report(run_dir)
    write_text(target, page)
    if as_json:
        typer.echo(to_json({"report": str(target), "bytes": len(page.encode())}, indent=None))
    elif not quiet:
        typer.echo(f"wrote {target} ({len(page.encode()) / 1024:.0f} KB)")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
