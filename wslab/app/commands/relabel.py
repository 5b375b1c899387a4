"""``wslab relabel export | import``: the expert queue out, the expert's answers back in."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.errors import InputError
from wslab.core.config import load_config

relabel_app = typer.Typer(help="Send the relabel queue to an expert and bring the answers back.",
                          no_args_is_help=True)


@relabel_app.command("export")
def export(
    queue: Path = typer.Option(..., "--queue", help="queue.csv written by wslab apply or wslab issues."),
    out: Path = typer.Option(..., "--out", help="tasks.json (Label Studio) or answers.csv (a form to fill)."),
    top: int | None = typer.Option(None, "--top", min=1, help="Only the first N rows of the queue."),
    config: Path | None = typer.Option(None, "--config", help="Project config: its classes go into the labeling config."),
    labels: str | None = typer.Option(None, "--labels", help="Comma-separated classes (default: --config's, else the "
                                      "labeling config beside the queue, else those in the queue)."),
    multilabel: bool = typer.Option(False, "--multilabel", help="Tags, not classes: several choices per item, the "
                                    "given tags pre-selected (default: --config's multilabel, or the labeling config "
                                    "beside the queue)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print {tasks, out, config} as one JSON object."),
) -> None:
    """Write the queue as Label Studio import JSON (suggested label pre-filled) or as a CSV form.

    A .json --out also writes the matching labeling config (<out>.config.xml) with every class;
    the labeling view shows the text, the given and suggested labels and why the item is queued.
    A .csv --out has an empty new_label column for the expert to fill in, plus expert and time.

    Example: wslab relabel export --queue runs/demo/queue.csv --out tasks.json --top 200 --config config.yaml
    """
    from wslab.quality.relabel import export_queue

    cfg = load_config(config) if config is not None else None
    classes = _split(labels) or (cfg.label_names if cfg is not None else None)
    summary = export_queue(queue, out, top=top, labels=classes,
                           multilabel=multilabel or bool(cfg is not None and cfg.multilabel))
    from wslab.app.render import emit

    emit(summary, lambda: typer.echo(f"wrote {summary['tasks']} tasks to {out}"
                                     + (f" and {summary['config']}" if summary["config"] else "")),
         as_json=as_json, quiet=quiet)


def _split(value: str | None) -> list[str] | None:
    return [x.strip() for x in value.split(",") if x.strip()] if value else None


@relabel_app.command("import")
def import_(
    answers: Path = typer.Option(..., "--answers", help="Label Studio export (JSON, JSON_MIN or CSV), or the filled-in "
                                 "CSV form."),
    config: Path | None = typer.Option(None, "--config", help="Project config: append the answers to its answers "
                                       "store as the next review round (the next apply uses them)."),
    into: Path | None = typer.Option(None, "--into", help="Instead of --config: the gold or labels file the answers "
                                     "correct, written as a new version (never overwritten)."),
    queue: Path | None = typer.Option(None, "--queue", help="With --into: every answered id must be in this queue.csv."),
    out: Path | None = typer.Option(None, "--out", help="With --into: new file (default: next free <name>.vN<suffix>)."),
    id_col: str = typer.Option("id", "--id-col", help="With --into: its id column."),
    label_col: str = typer.Option("label", "--label-col", help="With --into: its label column."),
    labels: str | None = typer.Option(None, "--labels", help="With --into: comma-separated allowed labels."),
    expert: str | None = typer.Option(None, "--expert", help="Who answered (replaces the Label Studio user the file names)."),
    multilabel: bool = typer.Option(False, "--multilabel", help="With --into: tag cells (a;b) and multi-choice "
                                    "answers; --labels names the tags. (With --config: the config's multilabel.)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Bring an expert's answers back: into the project's answers store (--config), or as a new
    version of a gold or labels file (--into). Input files are never modified.

    With --config each import is a review round: one audit row per answer (id, label, round,
    expert, at, label_before, suggested, accepted, source, signals) appended to the store
    (review_loop.answers, default wslab_answers.csv beside the gold file). The next apply uses them.

    Example: wslab relabel import --answers export.json --config config.yaml --expert ann@bank.example
    """
    if (config is None) == (into is None):
        raise InputError("relabel import: pass exactly one of --config (the project's answers store) or --into")
    if config is not None:
        from wslab.app.review_loop import import_answers

        summary = import_answers(load_config(config), answers, expert=expert)
    else:
        from wslab.quality.relabel import import_into

        summary = import_into(answers, into, queue=queue, out=out, id_col=id_col, label_col=label_col,
                              labels=_split(labels), expert=expert or "expert", multilabel=multilabel)
    from wslab.app.render import emit, print_relabel_import

    emit(summary, lambda: print_relabel_import(summary, into), as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.add_typer(relabel_app, name="relabel")

