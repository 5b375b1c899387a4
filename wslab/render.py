"""Console rendering of run results (rich). Used by the CLI only."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

ROWS = [("majority_vote", "majority vote"), ("label_model", "label model (Snorkel)"),
        ("end_model", "end model"), ("final", "final labels"), ("llm_zero_shot", "LLM zero-shot (baseline)")]


def _fmt(value: float, ci: list[float] | None) -> str:
    if ci is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def metrics_table(metrics: dict[str, Any], split: str = "test") -> Table:
    block = metrics.get(split, {})
    n = next(iter(block.values()), {}).get("n", 0)
    table = Table(title=f"Evaluation on gold {split} (n={n}; 95% bootstrap CI)")
    table.add_column("model")
    for col in ("accuracy", "macro F1", "weighted F1", "coverage"):
        table.add_column(col, justify="right")
    for key, title in ROWS:
        if key not in block:
            continue
        m = block[key]
        ci = m.get("ci", {})
        if key == metrics.get("chosen_label_model"):
            title += " *"
        table.add_row(title, _fmt(m["accuracy"], ci.get("accuracy")), _fmt(m["macro_f1"], ci.get("macro_f1")),
                      _fmt(m["weighted_f1"], ci.get("weighted_f1")), f"{m['coverage']:.3f}")
    table.caption = "* the label model chosen for labels.parquet"
    return table


def lf_table(lfs: pl.DataFrame, *, limit: int = 40) -> Table:
    table = Table(title=f"Labeling functions ({lfs.height})")
    for col, justify in (("LF", "left"), ("polarity", "left"), ("coverage", "right"), ("overlaps", "right"),
                         ("conflicts", "right"), ("dev acc [95% CI]", "right"), ("dev n", "right"), ("flags", "left")):
        table.add_column(col, justify=justify)
    for row in lfs.head(limit).iter_rows(named=True):
        acc = row.get("dev_accuracy")
        acc_s = "-" if acc is None or acc != acc else f"{acc:.2f} [{row['dev_ci_low']:.2f}, {row['dev_ci_high']:.2f}]"
        table.add_row(row["lf"], row["polarity"], f"{row['coverage']:.3f}", f"{row['overlaps']:.3f}",
                      f"{row['conflicts']:.3f}", acc_s, str(row.get("dev_n", "-")), row["flags"])
    return table


def summary_table(result) -> Table:
    table = Table(title="Run summary")
    table.add_column("item")
    table.add_column("value")
    rows = result.manifest["rows"]
    table.add_row("run folder", str(result.run_dir))
    table.add_row("documents", f"{rows['corpus']:,}")
    table.add_row("LFs", str(rows["lfs"]))
    table.add_row("covered by an LF", f"{rows['covered']:,} ({rows['covered'] / max(rows['corpus'], 1):.1%})")
    table.add_row("gold dev / test", f"{rows['gold_dev']:,} / {rows['gold_test']:,}")
    table.add_row("label model used", result.chosen_label_model)
    table.add_row("time", f"{sum(result.manifest['timings_s'].values()):.1f} s")
    for name, path in result.files.items():
        table.add_row(name, path.name)
    return table


def print_run(result, console: Console | None = None) -> None:
    console = console or Console()
    console.print(lf_table(result.lf_table))
    if "test" in result.metrics:
        console.print(metrics_table(result.metrics, "test"))
    for note in result.metrics.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(summary_table(result))


def print_review(result, summary: dict, console: Console | None = None) -> None:
    """``wslab issues``: the counts and the top of the relabel queue."""
    console = console or Console()
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
