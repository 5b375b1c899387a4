"""``wslab agreement``: how consistent annotators are, and how right (against gold)."""

from __future__ import annotations

from pathlib import Path

import typer

from wslab.app.gates import GATE_HELP, OVER_HELP
from wslab.core.progress import cli_reporter

# The choices named in the help, written out so --help imports no numpy or polars;
# tests/cli/test_startup.py holds them equal to wslab.quality's METRICS and SCALES.
METRICS = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa", "percent_agreement")
SCALES = ("landis-koch", "simple")

HELP = """Agreement between annotators, LLM labelers and LFs, and their accuracy against gold.

Inputs: a gold file (id, label = the expert's label; in wide form every other column is one
annotator), and/or an annotations file (long: id, annotator, label[, batch]; or wide with
--format wide). Prints percent agreement, Cohen's kappa per pair, Fleiss' kappa, Krippendorff's
alpha, Gwet's AC1 (each with n and a 95% CI), scores against gold and per-batch gold checks.
With --multilabel (tags separated by ';' in a cell): every coefficient per tag (present or not)
and Krippendorff's alpha on the tag sets with the MASI distance.

Examples:

  wslab agreement --gold gold.csv

  wslab agreement --gold gold.csv --annotations annotations.csv --labels llm=llm_labels.csv

  wslab agreement --annotations ratings.csv --order low,mid,high --json

  wslab agreement --gold gold.csv --annotations tags.csv --multilabel   # cells like card;tariff

  wslab agreement --annotations annotations.csv --fail-under 0.6 --metric fleiss_kappa

  wslab agreement --annotations annotations.csv --fail-under fleiss_kappa=0.6 --fail-under gwet_ac1=0.7

  wslab agreement --annotations annotations.csv --fail-over percent_agreement=0.99   # copied answers?
"""


def agreement(
    gold: Path | None = typer.Option(None, "--gold", help="Gold csv/parquet: id, label (+ annotator columns in wide form)."),
    annotations: Path | None = typer.Option(None, "--annotations", help="Annotations: long (id, annotator, label[, batch]) or wide."),
    fmt: str = typer.Option("long", "--format", help="Form of --annotations: long or wide."),
    label_sources: list[str] = typer.Option([], "--labels", help="Extra label source scored against gold, NAME=FILE (id, label). Repeatable."),
    labels_set: str | None = typer.Option(None, "--labels-set", help="Declared label set, comma-separated; other labels are an error."),
    order: str | None = typer.Option(None, "--order", help="Declared label order (ordinal), comma-separated, low to high."),
    level: str | None = typer.Option(None, "--level", help="Headline alpha level: nominal, ordinal or interval (default: ordinal with --order)."),
    scale: str = typer.Option("landis-koch", "--scale", help=f"Band scale: {', '.join(SCALES)}."),
    metric: str = typer.Option("krippendorff_alpha", "--metric", help=f"Coefficient a bare --fail-under/--fail-over VALUE gates on: {', '.join(METRICS)}."),
    fail_under: list[str] = typer.Option([], "--fail-under", metavar="[METRIC=]VALUE", help=GATE_HELP["agreement"]),
    fail_over: list[str] = typer.Option([], "--fail-over", metavar="[METRIC=]VALUE", help=OVER_HELP["agreement"]),
    min_batch_accuracy: float = typer.Option(0.8, "--min-batch-accuracy", help="Flag annotator batches below this gold accuracy."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", min=0, help="Bootstrap replicates for Krippendorff's alpha."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the bootstrap."),
    ignore_columns: str = typer.Option("text", "--ignore-columns", help="Wide form: columns that are not annotators, comma-separated."),
    multilabel: bool = typer.Option(False, "--multilabel", help="Label cells hold tag sets (a;b in CSV, lists in JSONL/parquet): per-tag coefficients and MASI alpha on the sets (implied by a list-valued label column)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout (with the gates' verdicts)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors and failed gates."),
) -> None:
    from wslab.app.agreement import check_metric, measure_agreement
    from wslab.app.gates import agreement_measures, evaluate_gates, parse_gates
    from wslab.app.render import emit, finish_gates, print_agreement, print_tag_agreement

    check_metric(metric)
    gates = parse_gates(fail_under, over=fail_over, command="agreement", default_metric=metric)
    report = measure_agreement(gold=gold, annotations=annotations, fmt=fmt, label_sources=label_sources, labels_set=labels_set,
                               order=order, level=level, scale=scale, confidence=confidence, n_boot=n_boot, seed=seed,
                               min_batch_accuracy=min_batch_accuracy, ignore_columns=ignore_columns,
                               multilabel=multilabel, reporter=cli_reporter(quiet=quiet, machine_output=json_out))
    verdicts = evaluate_gates(gates, agreement_measures(report))
    show = print_tag_agreement if report.get("multilabel") else print_agreement
    emit({**report, "gates": verdicts}, lambda: show(report), as_json=json_out, quiet=quiet)
    finish_gates(verdicts, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("agreement", help=HELP)(agreement)
