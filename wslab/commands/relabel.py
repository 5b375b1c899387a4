"""``wslab relabel export | import``: the expert queue out, the expert's answers back in."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wslab.errors import InputError
from wslab.io import check_utf8, read_table, to_json, write_json, write_table, write_text

relabel_app = typer.Typer(help="Send the relabel queue to an expert and bring the answers back.",
                          no_args_is_help=True)


@relabel_app.command("export")
def export(
    queue: Path = typer.Option(..., "--queue", help="queue.csv written by wslab issues."),
    out: Path = typer.Option(..., "--out", help="tasks.json (Label Studio) or answers.csv (a form to fill)."),
    top: int | None = typer.Option(None, "--top", min=1, help="Only the first N rows of the queue."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print {tasks, out, config} as one JSON object."),
) -> None:
    """Write the queue as Label Studio import JSON (suggested label pre-filled) or as a CSV form.

    A .json --out also writes the matching labeling config (<out>.config.xml). A .csv --out has
    an empty new_label column for the expert to fill in, plus expert and time.

    Example: wslab relabel export --queue issues/queue.csv --out tasks.json --top 200
    """
    import polars as pl

    from wslab.quality.queue import label_studio_config, to_label_studio_tasks

    q = read_table(queue, required=["id", "text", "given_label", "suggested_label"], what="queue")
    q = q.with_columns(pl.col("id").cast(pl.String), pl.col("text").cast(pl.String).fill_null(""))
    if top is not None:
        q = q.head(top)
    suffix, config_xml = out.suffix.lower(), None
    if suffix == ".json":
        write_json(out, to_label_studio_tasks(q))
        labels = sorted(set(q["given_label"].cast(pl.String).to_list()) | set(q["suggested_label"].cast(pl.String).to_list()))
        config_xml = write_text(out.with_suffix(".config.xml"), label_studio_config(labels))
    elif suffix == ".csv":
        form = q.select([c for c in ("rank", "id", "text", "given_label", "suggested_label", "priority", "reasons")
                         if c in q.columns]).with_columns(
            pl.lit(None, pl.String).alias("new_label"), pl.lit(None, pl.String).alias("expert"),
            pl.lit(None, pl.String).alias("time"))
        write_table(out, form)
    else:
        raise InputError(f"{out}: unsupported output type {suffix or '(none)'!r}; expected .json (Label Studio) "
                         "or .csv")
    from wslab.render import emit

    emit({"tasks": q.height, "out": str(out), "config": str(config_xml) if config_xml else None},
         lambda: typer.echo(f"wrote {q.height} tasks to {out}"), as_json=as_json, quiet=quiet)


def _read_answers(path: Path, *, expert: str):
    from wslab.quality.relabel import parse_answer_table, parse_label_studio_export

    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise InputError(f"{path}: file not found")
        check_utf8(path)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); expected a Label Studio "
                             "JSON export") from None
        return parse_label_studio_export(obj, source=str(path), expert=expert)
    return parse_answer_table(read_table(path, what="answers"), source=str(path), expert=expert)


@relabel_app.command("import")
def import_(
    answers: Path = typer.Option(..., "--answers", help="Label Studio JSON export, or the filled-in CSV form."),
    into: Path = typer.Option(..., "--into", help="The gold or labels file the answers correct (never overwritten)."),
    queue: Path | None = typer.Option(None, "--queue", help="queue.csv: every answered id must be in it."),
    out: Path | None = typer.Option(None, "--out", help="New file (default: next free <name>.vN<suffix>)."),
    id_col: str = typer.Option("id", "--id-col", help="Id column of --into."),
    label_col: str = typer.Option("label", "--label-col", help="Label column of --into."),
    labels: str | None = typer.Option(None, "--labels", help="Comma-separated allowed labels (default: those in --into)."),
    expert: str = typer.Option("expert", "--expert", help="Expert name when the answers do not carry one."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Apply an expert's answers: write a new version of the file plus an audit log.

    Writes <out> and <out stem>.audit.csv (id, old_label, new_label, changed, expert, time).
    The --into file is never modified; point evaluation at the new file to use the corrections.

    Example: wslab relabel import --answers export.json --into gold.csv --queue issues/queue.csv
    """
    from wslab.quality.relabel import apply_answers, next_version_path

    table = read_table(into, required=[id_col, label_col], what="labelled table")
    parsed = _read_answers(answers, expert=expert)
    if parsed.height == 0:
        raise InputError(f"{answers}: no answered items; expected at least one label from the expert")
    queue_ids = None
    if queue is not None:
        queue_ids = read_table(queue, required=["id"], what="queue")["id"].to_list()
    allowed = [x.strip() for x in labels.split(",") if x.strip()] if labels else None
    new, audit = apply_answers(table, parsed, id_col=id_col, label_col=label_col, labels=allowed,
                               queue_ids=queue_ids, source=str(into), answers_source=str(answers))
    target = out if out is not None else next_version_path(into)
    if target.resolve() == into.resolve():
        raise InputError(f"{target}: is the input file; expected a new path (the original is never overwritten)")
    audit_path = target.with_name(f"{target.stem}.audit.csv")
    write_table(target, new)
    write_table(audit_path, audit)
    summary = {"answers": parsed.height, "applied": audit.height, "changed": int(audit["changed"].sum()),
               "output": str(target), "audit": str(audit_path), "original": str(into)}
    if as_json:
        typer.echo(to_json(summary, indent=None))
    elif not quiet:
        typer.echo(f"{summary['changed']} of {summary['applied']} answered labels changed; wrote {target} "
                   f"and {audit_path} ({into} unchanged)")


def register(app: typer.Typer) -> None:
    app.add_typer(relabel_app, name="relabel")

