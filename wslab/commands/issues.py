"""``wslab issues --data labeled.csv``: cleanlab + dataset cartography -> ranked relabel queue."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.io import read_table, to_json, write_bytes, write_json, write_table, write_text
from wslab.progress import NullReporter, RichReporter


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def write_issue_outputs(result, out: Path, *, top: int | None = None, title: str = "Data map") -> dict[str, Path]:
    """Write the artefacts of a :class:`~wslab.quality.suspicious.SuspicionResult` into ``out``."""
    from wslab.cartography.plots import data_map_html, data_map_png
    from wslab.quality.queue import flagged_queue, label_studio_config, to_label_studio_tasks

    queue = flagged_queue(result.queue, top=top)
    paths = {
        "queue": write_table(out / "queue.csv", queue),
        "scores": write_table(out / "scores.parquet", result.queue),
        "cartography": write_table(out / "cartography.parquet", result.cartography),
        "pred_probs": write_table(out / "pred_probs.parquet", result.pred_probs),
        "label_studio": write_json(out / "label_studio.json", to_label_studio_tasks(queue)),
        "label_studio_config": write_text(out / "label_studio_config.xml", label_studio_config(result.labels)),
        "data_map_png": write_bytes(out / "data_map.png", data_map_png(result.cartography, title=title)),
        "data_map_html": write_text(out / "data_map.html", data_map_html(result.cartography, title=title)),
    }
    if result.annotators is not None:
        paths["annotators"] = write_table(out / "annotators.csv", result.annotators)
    paths["summary"] = write_json(out / "summary.json", {**result.summary, "queue_rows": queue.height,
                                                        "files": {k: str(v) for k, v in paths.items()}})
    return paths


def issues(
    data: Path = typer.Option(..., "--data", help="Labelled table (csv, parquet, jsonl) with id, text and label."),
    label_col: str = typer.Option("label", "--label-col", help="Column with the given label."),
    text_col: str = typer.Option("text", "--text-col", help="Column with the text."),
    id_col: str = typer.Option("id", "--id-col", help="Column with the unique item id."),
    annotator_col: str | None = typer.Option(None, "--annotator-col",
                                             help="Long table, one row per item and annotator: use CROWDLAB."),
    feature_cols: str | None = typer.Option(None, "--feature-cols",
                                            help="Comma-separated numeric or embedding columns to use instead of TF-IDF."),
    labels: str | None = typer.Option(None, "--labels", help="Comma-separated class names (default: those found)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds for cleanlab."),
    epochs: int = typer.Option(5, "--epochs", min=2, help="Training epochs for cartography."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    out: Path = typer.Option(Path("issues"), "--out", help="Output folder."),
    top: int | None = typer.Option(None, "--top", min=1, help="Keep at most this many rows in the queue."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Rank labels by how likely they are wrong: cleanlab + dataset cartography -> one queue.

    Writes queue.csv (flagged items, highest priority first), label_studio.json (tasks with the
    suggested label pre-filled), scores.parquet, cartography.parquet, data_map.png and
    data_map.html into --out. Rows without a label are skipped; too few examples of a class
    for --folds lowers the fold count.

    Example: wslab issues --data gold.csv --label-col label --text-col text --out issues/
    """
    from wslab.quality.suspicious import find_suspicious_labels

    reporter = NullReporter() if (quiet or as_json) else RichReporter()
    feats = _split(feature_cols)
    required = [id_col, label_col] + ([] if feats else [text_col]) + ([annotator_col] if annotator_col else [])
    df = read_table(data, required=required, what="labelled table")
    result = find_suspicious_labels(
        df, id_col=id_col, text_col=text_col if text_col in df.columns else None, label_col=label_col,
        labels=_split(labels), annotator_col=annotator_col, feature_cols=feats, seed=seed, folds=folds,
        epochs=epochs, source=str(data), reporter=reporter)
    paths = write_issue_outputs(result, out, top=top, title=f"Data map: {data.name}")
    summary = {**result.summary, "out": str(out), "queue": str(paths["queue"])}
    if as_json:
        typer.echo(to_json(summary, indent=None))
        return
    if not quiet:
        _render(result, summary)


def _render(result, summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{summary['items']}[/] items, {len(result.labels)} classes, {summary['folds']}-fold CV, "
                  f"{summary['epochs']} epochs: cleanlab issues {summary['cleanlab_issues']}, "
                  f"hard-to-learn {summary['regions']['hard-to-learn']}, ambiguous "
                  f"{summary['regions']['ambiguous']}, flagged {summary['flagged']}")
    table = Table(title="Top of the relabel queue")
    for name in ("rank", "id", "given", "suggested", "priority"):
        table.add_column(name, no_wrap=True)
    table.add_column("reasons", min_width=16, max_width=40, overflow="fold")
    table.add_column("text", no_wrap=True, overflow="ellipsis", min_width=20, max_width=60)
    for row in result.queue.filter(result.queue["flagged"]).head(10).iter_rows(named=True):
        table.add_row(str(row["rank"]), str(row["id"]), row["given_label"], row["suggested_label"],
                      f"{row['priority']:.3f}", row["reasons"], row["text"].replace("\n", " "))
    console.print(table)
    console.print(f"queue: {summary['queue']}  (all files in {summary['out']})")


def register(app: typer.Typer) -> None:
    app.command("issues")(issues)
