"""``wslab agreement``: how consistent annotators are, and how right (against gold)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from wslab.errors import InputError
from wslab.io import read_table, to_json
from wslab.quality.agreement_report import METRICS, agreement_report, metric_value, wide_to_long
from wslab.quality.bands import SCALES

HELP = """Agreement between annotators, LLM labelers and LFs, and their accuracy against gold.

Inputs: a gold file (id, label = the expert's label; in wide form every other column is one
annotator), and/or an annotations file (long: id, annotator, label[, batch]; or wide with
--format wide). Prints percent agreement, Cohen's kappa per pair, Fleiss' kappa, Krippendorff's
alpha, Gwet's AC1 (each with n and a 95% CI), scores against gold and per-batch gold checks.

Examples:

  wslab agreement --gold gold.csv

  wslab agreement --gold gold.csv --annotations annotations.csv --labels llm=llm_labels.csv

  wslab agreement --annotations ratings.csv --order low,mid,high --json

  wslab agreement --annotations annotations.csv --fail-under 0.6 --metric fleiss_kappa
"""


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _label_sources(specs: list[str]) -> tuple[dict, dict]:
    frames, names = {}, {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        name = name.strip()
        if not sep or not name or not path.strip():
            raise InputError(f"--labels {spec!r}: expected NAME=FILE, e.g. --labels llm=llm_labels.csv")
        if name in frames or name == "majority":
            raise InputError(f"--labels {spec!r}: the name {name!r} is used twice or reserved; pick another")
        frames[name] = read_table(path.strip(), required=["id", "label"], what=f"labels {name!r}")
        names[name] = path.strip()
    return frames, names


def _load(gold: Path | None, annotations: Path | None, fmt: str, ignore: list[str]):
    if gold is None and annotations is None:
        raise InputError("nothing to measure: pass --gold gold.csv, --annotations annotations.csv, or both")
    if fmt not in ("long", "wide"):
        raise InputError(f"--format must be 'long' or 'wide'. Got {fmt!r} instead.")
    gold_df = read_table(gold, required=["id", "label"], what="gold") if gold is not None else None
    if annotations is None:  # wide gold: every other column is an annotator
        ratings = wide_to_long(gold_df, name=str(gold), exclude=["label"], ignore=ignore)
        return ratings, gold_df.select("id", "label"), {"ratings": str(gold), "gold": str(gold)}
    ann = read_table(annotations, required=["id"], what="annotations")
    if fmt == "wide":
        ratings = wide_to_long(ann, name=str(annotations), exclude=["label"], ignore=ignore)
    else:
        missing = [c for c in ("annotator", "label") if c not in ann.columns]
        if missing:
            raise InputError(f"{annotations}: missing column {missing[0]!r} in long-form annotations "
                             f"(id, annotator, label); found columns {ann.columns}; for one column per "
                             "annotator pass --format wide")
        ratings = ann
    if gold_df is not None:
        gold_df = gold_df.select("id", "label")  # with --annotations, other gold columns are ignored
    return ratings, gold_df, {"ratings": str(annotations), "gold": str(gold)}


def agreement(
    gold: Path | None = typer.Option(None, "--gold", help="Gold csv/parquet: id, label (+ annotator columns in wide form)."),
    annotations: Path | None = typer.Option(None, "--annotations", help="Annotations: long (id, annotator, label[, batch]) or wide."),
    fmt: str = typer.Option("long", "--format", help="Form of --annotations: long or wide."),
    labels: list[str] = typer.Option([], "--labels", help="Extra label source scored against gold, NAME=FILE (id, label). Repeatable."),
    labels_set: str | None = typer.Option(None, "--labels-set", help="Declared label set, comma-separated; other labels are an error."),
    order: str | None = typer.Option(None, "--order", help="Declared label order (ordinal), comma-separated, low to high."),
    level: str | None = typer.Option(None, "--level", help="Headline alpha level: nominal, ordinal or interval (default: ordinal with --order)."),
    scale: str = typer.Option("landis-koch", "--scale", help=f"Band scale: {', '.join(SCALES)}."),
    metric: str = typer.Option("krippendorff_alpha", "--metric", help=f"Coefficient for --fail-under: {', '.join(METRICS)}."),
    fail_under: float | None = typer.Option(None, "--fail-under", help="Exit 1 when --metric is below this value (CI gate)."),
    min_batch_accuracy: float = typer.Option(0.8, "--min-batch-accuracy", help="Flag annotator batches below this gold accuracy."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", min=0, help="Bootstrap replicates for Krippendorff's alpha."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the bootstrap."),
    ignore_columns: str = typer.Option("text", "--ignore-columns", help="Wide form: columns that are not annotators, comma-separated."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object to stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors and the --fail-under verdict."),
) -> None:
    if metric not in METRICS:
        raise InputError(f"--metric must be one of {list(METRICS)}. Got {metric!r} instead.")
    ratings, gold_df, names = _load(gold, annotations, fmt, _split(ignore_columns) or [])
    extra, extra_names = _label_sources(labels)
    if extra and gold_df is None:
        raise InputError("--labels sources are scored against gold; pass --gold too")
    reporter = None
    if not (quiet or json_out) and sys.stderr.isatty():  # no progress bars in pipes and CI logs
        from wslab.progress import RichReporter
        reporter = RichReporter()
    report = agreement_report(
        ratings, gold_df, labels=extra, categories=_split(labels_set), order=_split(order),
        level=level, scale=scale, confidence=confidence, n_boot=n_boot, seed=seed,
        min_batch_accuracy=min_batch_accuracy, names={**names, **extra_names}, reporter=reporter)
    value, label = metric_value(report, metric)

    if json_out:
        typer.echo(to_json(report))
    elif not quiet:
        _render(report)
    if fail_under is not None:
        if value is None:
            typer.echo(f"fail: {label} is undefined ({_note(report, metric)}); --fail-under {fail_under:g} "
                       "cannot pass", err=True)
            raise typer.Exit(1)
        if value < fail_under:
            typer.echo(f"fail: {label} = {value:.3f} is below --fail-under {fail_under:g}", err=True)
            raise typer.Exit(1)
        if not quiet:
            typer.echo(f"pass: {label} = {value:.3f} >= {fail_under:g}", err=True)


def _note(report: dict, metric: str) -> str:
    if metric == "cohen_kappa":
        return "no pair of annotators has a defined kappa"
    return report[metric].get("note", "undefined")


# ---------------------------------------------------------------- console rendering


def _num(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _ci(c: dict | None, digits: int = 3) -> str:
    if not c or c.get("ci") is None:
        return "—"
    lo, hi = c["ci"]
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def _render(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    d = report["data"]
    scale = report["scale"]
    console.print(f"[bold]{d['n_items']}[/] items ({d['n_items_rated_twice']} rated at least twice), "
                  f"{len(d['annotators'])} annotators, {d['n_ratings']} ratings, categories "
                  f"{d['categories']}{' (ordered)' if d['ordered'] else ''}. Bands: {scale['name']} "
                  f"({scale['reference']}); {int(d['confidence'] * 100)}% CIs.")

    t = Table(title="Agreement between annotators")
    for col in ("coefficient", "value", "CI", "n", "band"):
        t.add_column(col, justify="right" if col in ("value", "n") else "left")
    methods: dict[str, list[str]] = {}

    def row(name: str, c: dict) -> None:
        value = _num(c["value"]) if c["value"] is not None else f"undefined: {c.get('note', '')}"
        t.add_row(name, value, _ci(c), str(c["n"]), c.get("band") or "—")
        methods.setdefault(c.get("ci_method", ""), []).append(name)

    row("percent agreement (pairwise)", report["percent_agreement"])
    row("Fleiss' kappa", report["fleiss_kappa"])
    for lv, c in report["krippendorff_alpha"]["levels"].items():
        row(f"Krippendorff's alpha ({lv})", c)
    row("Gwet's AC1", report["gwet_ac1"])
    console.print(t)
    console.print("CIs: " + "; ".join(f"{m} ({', '.join(names)})" for m, names in methods.items() if m),
                  style="dim")

    anns = d["annotators"]
    if len(anns) >= 2:
        variants = [("Cohen's kappa by pair", lambda p: p)]
        if d["ordered"]:
            variants.append(("Cohen's kappa by pair, quadratic weights", lambda p: p["weighted"]["quadratic"]))
        for title, get in variants:
            m = Table(title=title)
            m.add_column("")
            for a in anns[1:]:
                m.add_column(a, justify="right")
            cells = {tuple(p["annotators"]): get(p) for p in report["cohen_kappa"]}
            for i, a in enumerate(anns[:-1]):
                out = []
                for j, b in enumerate(anns[1:], start=1):
                    c = cells.get((a, b))
                    out.append("" if j <= i else f"{_num(c['value'], 2)} (n={c['n']})")
                m.add_row(a, *out)
            console.print(m)

    per_cat = report["fleiss_kappa"]["per_category"]
    if 2 < len(per_cat) <= 30:
        t = Table(title="Fleiss' kappa per category (k vs not k)")
        for col in ("category", "kappa", "CI", "band"):
            t.add_column(col)
        for cat, c in per_cat.items():
            t.add_row(cat, _num(c["value"]) if c["value"] is not None else c.get("note", "undefined"),
                      _ci(c), c.get("band") or "—")
        console.print(t)

    gold = report["vs_gold"]
    if gold:
        t = Table(title=f"Against gold ({gold['n_gold']} gold items)")
        for col in ("source", "n", "accuracy [CI]", "kappa [CI]", "kappa band", "macro F1"):
            t.add_column(col, justify="left" if col in ("source", "kappa band") else "right")
        for s in gold["sources"]:
            t.add_row(s["name"], str(s["n"]), f"{_num(s['accuracy']['value'], 2)} {_ci(s['accuracy'], 2)}",
                      f"{_num(s['cohen_kappa']['value'], 2)} {_ci(s['cohen_kappa'], 2)}",
                      s["cohen_kappa"].get("band") or "—", _num(s["macro_f1"], 2))
        console.print(t)
        t = Table(title="Precision / recall / F1 per class against gold")
        t.add_column("source")
        classes = list(gold["sources"][0]["per_class"]) if gold["sources"] else []
        for cls in classes:
            t.add_column(cls, justify="right")
        for s in gold["sources"]:
            t.add_row(s["name"], *[
                f"{_num(s['per_class'][c]['precision'], 2)} / {_num(s['per_class'][c]['recall'], 2)} / "
                f"{_num(s['per_class'][c]['f1'], 2)}" for c in classes])
        console.print(t)
        if len(classes) <= 8:
            for s in gold["sources"]:
                conf = s["confusion"]
                t = Table(title=f"Confusion: {s['name']} (rows: gold)")
                t.add_column("gold \\ source")
                for lab in conf["labels"]:
                    t.add_column(lab, justify="right")
                for lab, line in zip(conf["labels"], conf["matrix"]):
                    t.add_row(lab, *[str(v) for v in line])
                console.print(t)

    batches = report["batches"]
    if batches["rows"]:
        shown = batches["rows"] if len(batches["rows"]) <= 30 else [r for r in batches["rows"] if r["flagged"]]
        t = Table(title=f"Gold accuracy per annotator and batch (flag below {batches['threshold']:g}; "
                        f"{batches['n_flagged']} flagged)")
        for col in ("annotator", "batch", "n", "accuracy", "CI", "flag"):
            t.add_column(col)
        for r in shown:
            t.add_row(r["annotator"], str(r["batch"]), str(r["n"]), _num(r["accuracy"]["value"]),
                      _ci(r["accuracy"]), "[red]below[/]" if r["flagged"] else "")
        console.print(t)

    for w in report["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")


def register(app: typer.Typer) -> None:
    app.command("agreement", help=HELP)(agreement)
