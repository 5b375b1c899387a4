"""``wslab issues --data labeled.csv``: cleanlab + dataset cartography -> ranked relabel queue."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.core.config import load_config
from wslab.core.errors import InputError
from wslab.core.progress import cli_reporter


def _split(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def issues(
    data: Path | None = typer.Option(None, "--data", help="Labelled table (csv, parquet, jsonl) with id, text and label."),
    config: Path | None = typer.Option(None, "--config", help="Instead of --data: check the project's gold file, "
                                       "corpus texts joined."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus (id, text) to take --data's texts from by id."),
    label_col: str = typer.Option("label", "--label-col", help="Column with the given label."),
    text_col: str = typer.Option("text", "--text-col", help="Column with the text."),
    id_col: str = typer.Option("id", "--id-col", help="Column with the unique item id."),
    annotator_col: str | None = typer.Option(None, "--annotator-col",
                                             help="Long table, one row per item and annotator: use CROWDLAB."),
    feature_cols: str | None = typer.Option(None, "--feature-cols",
                                            help="Comma-separated numeric or embedding columns to use instead of TF-IDF."),
    labels: str | None = typer.Option(None, "--labels", help="Comma-separated class names (default: those found)."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-fitting folds: each fold's fit gives its held-out rows' probabilities (cleanlab) and the other rows' data-map points."),
    epochs: int = typer.Option(5, "--epochs", min=2, help="SGD epochs per fold; each epoch records the data-map (cartography) points."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    out: Path = typer.Option(Path("issues"), "--out", help="Output folder."),
    top: int | None = typer.Option(None, "--top", min=1, help="Keep at most this many rows in the queue."),
    multilabel: bool = typer.Option(False, "--multilabel", help="The label column holds tag sets (a;b); implied by "
                                    "a list-valued label column or a 'tags' list column (a multi-label labels.parquet)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
) -> None:
    """Rank labels by how likely they are wrong: cleanlab + dataset cartography -> one queue.

    Writes queue.csv (flagged items, highest priority first), label_studio.json (tasks with the
    suggested label pre-filled), scores.parquet, cartography.parquet, data_map.png and
    data_map.html into --out. Rows without a label are skipped; too few examples of a class
    for --folds lowers the fold count.

    Example: wslab issues --data gold.csv --label-col label --text-col text --out issues/
    Example: wslab issues --config config.yaml --out gold-issues/   (the project's gold, corpus texts joined)
    Example: wslab issues --data tagged.csv --multilabel --out issues/   (label cells like card;tariff: per tag)
    """
    from wslab.app.suspicious import review_file, review_project_gold
    from wslab.core.data import Corpus

    rep = cli_reporter(quiet=quiet, machine_output=as_json)
    if (data is None) == (config is None):
        raise InputError("issues: pass exactly one of --data (a labelled table) or --config (the project's gold)")
    if config is not None:
        result, summary = review_project_gold(load_config(config), out, folds=folds, epochs=epochs, top=top, reporter=rep)
    else:
        result, summary = review_file(data, out, id_col=id_col, text_col=text_col, label_col=label_col,
                                      annotator_col=annotator_col, feature_cols=_split(feature_cols),
                                      labels=_split(labels), folds=folds, epochs=epochs, seed=seed, top=top,
                                      corpus=Corpus.open(corpus) if corpus else None, multilabel=multilabel,
                                      reporter=rep)
    from wslab.app.render import emit, print_review

    emit(summary, lambda: print_review(result, summary), as_json=as_json, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("issues")(issues)
