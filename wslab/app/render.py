"""Console rendering (rich): every table the CLI prints is drawn here, and nowhere else.

Each command computes a result with one library call and hands it to :func:`emit`, which
prints it as one JSON object (``--json``), nothing (``--quiet``), or through a ``print_*``
function of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table as _RichTable

from wslab.app.report.cells import decision_text, llm_cost_bases, llm_cost_text, vs_best_text

WIDE = 100_000
"""Width of the console when stdout is not a terminal: lines as long as their content, nothing cut."""


def _console() -> Console:
    """The stdout console: on a terminal its width (tables wrap to fit it); redirected to a file or
    a pipe, plain text as wide as the content needs, so no name is ever cut."""
    import sys

    from wslab.core.progress import is_terminal

    if is_terminal(sys.stdout):
        return Console(force_terminal=True)
    return Console(width=WIDE, force_terminal=False, no_color=True, highlight=False)


class Table(_RichTable):
    """A rich table whose cells wrap, and fold inside words, when the terminal is too narrow; never
    cut to '…' (``overflow="ellipsis"`` only where a column asks for it, e.g. a text preview)."""

    def add_column(self, header: str = "", *args: Any, overflow: str = "fold", **kwargs: Any) -> None:
        super().add_column(header, *args, overflow=overflow, **kwargs)


def emit(payload: Any, render: Callable[[], None], *, as_json: bool = False, quiet: bool = False) -> None:
    """Print ``payload`` as one JSON line with ``as_json``, nothing with ``quiet``, else ``render()``."""
    if as_json:
        import typer

        from wslab.core.io import to_json

        typer.echo(to_json(payload, indent=None))
    elif not quiet:
        render()


def finish_gates(gates: list[dict[str, Any]], *, quiet: bool = False) -> None:
    """Each ``--fail-under``/``--fail-over`` verdict on stderr (a pass only without ``quiet``); exit 1 when one failed."""
    import typer

    for gate in gates:
        if not gate["passed"] or not quiet:
            typer.echo(gate["message"], err=True)
    if not all(g["passed"] for g in gates):
        raise typer.Exit(1)


ROWS = [("majority_vote", "majority vote"), ("label_model", "label model (Snorkel)"),
        ("end_model", "end model"), ("final", "final labels"), ("llm_zero_shot", "LLM zero-shot (baseline)"),
        ("llm_few_shot", "LLM few-shot (baseline)")]


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
        if key == "final":
            title += " *"
        table.add_row(title, _fmt(m["accuracy"], ci.get("accuracy")), _fmt(m["macro_f1"], ci.get("macro_f1")),
                      _fmt(m["weighted_f1"], ci.get("weighted_f1")), f"{m['coverage']:.3f}")
    how = "chosen on gold dev" if metrics.get("candidates") else "the default pipeline: no selection on gold dev"
    table.caption = f"* labels.parquet: {metrics.get('chosen', '-')} ({how})"
    return table


def llm_baseline_table(metrics: dict[str, Any], split: str = "test") -> Table | None:
    """The LLM baseline rows: precision / recall / F1 per class with CIs, tokens and cost per 1,000 documents."""
    block, rows = metrics.get(split, {}), metrics.get("llm_baseline") or {}
    shown = [(key, title) for key, title in ROWS if key in rows and key in block]
    if not shown:
        return None
    table = Table(title=f"LLM baselines on gold {split}: per class precision / recall / F1 (95% bootstrap CI)")
    table.add_column("row")
    table.add_column("class")
    for col in ("precision", "recall", "F1", "tokens / 1k docs", "cost / 1k docs"):
        table.add_column(col, justify="right")
    for key, title in shown:
        m, info = block[key], rows[key]
        per1k = info.get("per_1k_docs") or {}
        cost = per1k.get("cost_usd")
        tokens = f"{per1k.get('tokens_in', 0) + per1k.get('tokens_out', 0):,.0f}"
        money = "unknown" if cost is None else f"${cost:.4f}"
        if per1k.get("basis") == "estimate":
            tokens, money = f"~{tokens}", f"~{money}"
        ci = (m.get("ci") or {}).get("per_class") or {}
        for i, (lab, pc) in enumerate(m["per_class"].items()):
            c = ci.get(lab) or {}
            table.add_row(title if i == 0 else "", lab, _fmt(pc["precision"], c.get("precision")),
                          _fmt(pc["recall"], c.get("recall")), _fmt(pc["f1"], c.get("f1")),
                          tokens if i == 0 else "", money if i == 0 else "")
    shots = [f"{i['shots']} examples per class ({i.get('shot_selection')})" for i in rows.values() if i.get("shots")]
    table.caption = "; ".join([*(["few-shot: " + ", ".join(shots)] if shots else []),
                               "~ = estimated from the requests (every answer came from the store)"])
    return table


def _score(s: dict | None) -> str:
    return "-" if s is None else _fmt(s["value"], s.get("ci"))


def candidates_table(block: dict[str, Any]) -> Table:
    """``metrics.json`` ``candidates``: per pipeline, the OOF dev score (what chose) and the test score."""
    metric = block["metric"]
    table = Table(title=f"Pipeline candidates: {metric}, {block['folds']}-fold out of fold on gold dev "
                        "(95% bootstrap CI); gold test only reported")
    table.add_column("candidate", overflow="fold")
    for col in ("dev OOF", "test"):
        table.add_column(col, justify="right")
    decides = any(row.get("decision") for row in block["rows"])
    if decides:
        table.add_column("decision", justify="right")
    compared = any(row.get("vs_best") for row in block["rows"])
    if compared:
        table.add_column("vs best OOF", justify="right")
    paid = any(row.get("llm_cost") for row in block["rows"])
    if paid:
        table.add_column("LLM cost", justify="right")
    table.add_column("chosen")
    for row in block["rows"]:
        mark = (("pinned" if block["pinned"] else "*") if row["chosen"] else "curve" if not row["eligible"]
                else "over budget" if row.get("over_budget") else "")
        cells = [row["name"], _score(row["oof"]), _score(row["test"])]
        table.add_row(*cells, *([decision_text(row.get("decision"))] if decides else []),
                      *([vs_best_text(row)] if compared else []), *([llm_cost_text(row)] if paid else []), mark)
    over = any(row.get("over_budget") for row in block["rows"])
    rule = block.get("rule")
    table.caption = ("* best dev OOF score, or a simpler candidate within one paired standard error of it; "
                     "curve = gold only on part of dev (learning curve)"
                     + ("; vs best OOF = gap to the best dev OOF score (SE of the paired difference)" if compared else "")
                     + ("; over budget = its text model would label more documents than selection.max_text_rows"
                        if over else "")
                     + ("; decision = the rule for the F1 class, chosen on gold dev (cross-fitted)" if decides else "")
                     + ("; LLM cost = what the LLM labels it reads cost (" + llm_cost_bases(block["rows"]) + ")"
                        if paid else "")
                     + (f"\nchosen {rule['chosen']}: {rule['reason']}" if rule else ""))
    return table


def lf_table(lfs: pl.DataFrame, *, limit: int = 40) -> Table:
    """Per LF: polarity, coverage, overlaps, conflicts, dev accuracy, the dev items its conflicts
    lose and win (the label model's learned accuracy, when it was fitted; agreement with stored
    votes of the same name, when given), flags."""
    learned, costs = "learned_accuracy" in lfs.columns, "conflict_cost" in lfs.columns
    stored = "precomputed_agreement" in lfs.columns
    table = Table(title=f"Labeling functions ({lfs.height})")
    cols = [("LF", "left"), ("polarity", "left"), ("coverage", "right"), ("overlaps", "right"),
            ("conflicts", "right"), ("dev acc [95% CI]", "right"), ("dev n", "right")]
    cols += [("learned acc", "right")] if learned else []
    cols += [("dev lost / won on conflicts", "right")] if costs else []
    cols += [("agrees with stored votes", "right")] if stored else []
    for col, justify in cols + [("flags", "left")]:
        table.add_column(col, justify=justify)
    for row in lfs.head(limit).iter_rows(named=True):
        acc = row.get("dev_accuracy")
        acc_s = "-" if acc is None or acc != acc else f"{acc:.2f} [{row['dev_ci_low']:.2f}, {row['dev_ci_high']:.2f}]"
        cells = [row["lf"], row["polarity"], f"{row['coverage']:.3f}", f"{row['overlaps']:.3f}",
                 f"{row['conflicts']:.3f}", acc_s, str(row.get("dev_n", "-"))]
        cells += [f"{row['learned_accuracy']:.2f}"] if learned else []
        cells += [f"{row['conflict_cost']:.1f} / {row['conflict_gain']:.1f}"] if costs else []
        cells += ["-" if row["precomputed_agreement"] is None else f"{row['precomputed_agreement']:.3f}"] if stored else []
        table.add_row(*cells, row["flags"])
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
    table.add_row("labels from", result.chosen if isinstance(result.chosen, str) else
                  ", ".join(f"{t}: {c}" for t, c in result.chosen.items()))
    table.add_row("time", f"{sum(result.manifest['timings_s'].values()):.1f} s")
    for name, path in result.files.items():
        table.add_row(name, path.name)
    return table


def tags_table(metrics: dict[str, Any], split: str = "test") -> Table:
    """A multi-label run on gold: per tag F1 of each scored row (final *, majority vote, gold only),
    then micro / macro F1, subset accuracy and Hamming loss, with 95% bootstrap CIs."""
    block = metrics.get(split, {})
    rows = [k for k in ("final", "majority_vote", "gold_only") if k in block]
    table = Table(title=f"Tags on gold {split} (n={block[rows[0]]['n'] if rows else 0}; 95% bootstrap CI)")
    table.add_column("measure")
    for k in rows:
        table.add_column(k + (" *" if k == "final" else ""), justify="right")
    for tag in metrics["labels"]:
        table.add_row(f"F1 {tag} ({metrics['chosen'][tag]})", *(_fmt(block[k]["per_tag"][tag]["f1"],
                                                               block[k]["ci"].get("per_tag", {}).get(tag, {}).get("f1"))
                                                          for k in rows))
    for name in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
        table.add_row(name, *(_fmt(block[k][name], block[k]["ci"].get(name)) for k in rows))
    table.caption = "* labels.parquet: per tag the candidate in brackets, chosen on gold dev (F1 of the tag)"
    return table


def print_run(result, console: Console | None = None) -> None:
    console = console or _console()
    console.print(lf_table(result.lf_table))
    if result.metrics.get("multilabel"):
        if "test" in result.metrics:
            console.print(tags_table(result.metrics))
        console.print(summary_table(result))
        return
    if "test" in result.metrics:
        console.print(metrics_table(result.metrics, "test"))
    llm = llm_baseline_table(result.metrics, "test")
    if llm is not None:
        console.print(llm)
    if "candidates" in result.metrics:
        console.print(candidates_table(result.metrics["candidates"]))
    for note in result.metrics.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(summary_table(result))


def _preview(text: str | None, n: int = 60) -> str:
    """The first ``n`` characters of a document on one line (the queue file has it whole)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= n else flat[:n - 1] + "…"


def print_review(result, summary: dict, console: Console | None = None) -> None:
    """``wslab issues``: the counts and the top of the relabel queue."""
    console = console or _console()
    console.print(f"[bold]{summary['items']}[/] items, {len(result.labels)} {'tags' if summary.get('multilabel') else 'classes'}, {summary['folds']}-fold CV, "
                  f"{summary['epochs']} epochs: cleanlab issues {summary['cleanlab_issues']}, "
                  f"hard-to-learn {summary['regions']['hard-to-learn']}, ambiguous "
                  f"{summary['regions']['ambiguous']}, flagged {summary['flagged']}")
    table = Table(title="Top of the relabel queue")
    for name in ("rank", "id", "given", "suggested"):
        table.add_column(name)
    table.add_column("priority", no_wrap=True)
    table.add_column("reasons", max_width=40)
    table.add_column("text (preview)", max_width=60)
    for row in result.queue.filter(result.queue["flagged"]).head(10).iter_rows(named=True):
        table.add_row(str(row["rank"]), str(row["id"]), row["given_label"], row["suggested_label"],
                      f"{row['priority']:.3f}", row["reasons"], _preview(row["text"]))
    console.print(table)
    console.print(f"queue: {summary['queue']}  (all files in {summary['out']})")


# ---------------------------------------------------------------- wslab agreement


def _num(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _ci(c: dict | None, digits: int = 3) -> str:
    if not c or c.get("ci") is None:
        return "—"
    lo, hi = c["ci"]
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def print_agreement(report: dict, console: Console | None = None) -> None:
    """``wslab agreement``: the coefficients, pairs, per category, against gold, per batch."""
    console = console or _console()
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
    for part in (_agreement_pairs(report, d["annotators"], d["ordered"]), _agreement_llm(report),
                 _agreement_per_category(report),
                 _agreement_vs_gold(report), _agreement_batches(report)):
        for table in part:
            console.print(table)
    for w in report["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")


def print_tag_agreement(report: dict, console: Console | None = None) -> None:
    """``wslab agreement --multilabel``: MASI alpha on tag sets, one row per tag, each tag against gold."""
    console = console or _console()
    d = report["data"]
    console.print(f"[bold]{d['n_items']}[/] items ({d['n_items_rated_twice']} rated at least twice), "
                  f"{len(d['annotators'])} annotators, {d['n_ratings']} ratings, tags {report['tags']}; "
                  f"{int(d['confidence'] * 100)}% CIs.")
    m = report["masi_alpha"]
    value = _num(m["value"]) if m["value"] is not None else f"undefined: {m.get('note', '')}"
    console.print(f"Krippendorff's alpha on tag sets (MASI distance): {value} {_ci(m)} n={m['n']} "
                  f"{m.get('band') or ''}")
    t = Table(title="Agreement per tag (present / absent)")
    for col in ("tag", "prevalence", "percent", "Fleiss' kappa", "alpha", "Gwet's AC1", "kappa vs gold"):
        t.add_column(col, justify="left" if col == "tag" else "right")
    for row in report["tag_table"]:
        t.add_row(row["tag"], _num(row["prevalence"], 2), *(_num(row[k]) for k in (
            "percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")),
            _num(row.get("mean_kappa_vs_gold")))
    console.print(t)
    for tag, rep in report["per_tag"].items():
        for table in _agreement_vs_gold(rep):
            table.title = f"tag {tag!r}: {table.title}"
            console.print(table)
    for w in report["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")


def _agreement_pairs(report: dict, anns: list[str], ordered: bool) -> list[Table]:
    """Cohen's kappa for every pair of annotators (and weighted, for ordered categories)."""
    tables: list[Table] = []
    if len(anns) < 2:
        return tables
    variants = [("Cohen's kappa by pair", lambda p: p)]
    if ordered:
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
        tables.append(m)
    return tables


def _agreement_llm(report: dict) -> list[Table]:
    """The LLM as a rater: its Cohen's kappa with each annotator (its score against gold is a vs-gold row)."""
    llm = report.get("llm_raters") or {}
    if not llm.get("cohen_kappa"):
        return []
    t = Table(title="The LLM as a rater: Cohen's kappa with each annotator (items both rated)")
    for col in ("LLM", "annotator", "kappa", "CI", "n", "band"):
        t.add_column(col, justify="right" if col in ("kappa", "n") else "left")
    for p in llm["cohen_kappa"]:
        t.add_row(p["rater"], p["annotator"], _num(p["value"], 2) if p["value"] is not None else "undefined",
                  _ci(p, 2), str(p["n"]), p.get("band") or "—")
    return [t]


def _agreement_per_category(report: dict) -> list[Table]:
    per_cat = report["fleiss_kappa"]["per_category"]
    if 2 < len(per_cat) <= 30:
        t = Table(title="Fleiss' kappa per category (k vs not k)")
        for col in ("category", "kappa", "CI", "band"):
            t.add_column(col)
        for cat, c in per_cat.items():
            t.add_row(cat, _num(c["value"]) if c["value"] is not None else c.get("note", "undefined"),
                      _ci(c), c.get("band") or "—")
        return [t]
    return []


def _agreement_vs_gold(report: dict) -> list[Table]:
    tables: list[Table] = []
    gold = report["vs_gold"]
    if gold:
        t = Table(title=f"Against gold ({gold['n_gold']} gold items)")
        for col in ("source", "n", "accuracy [CI]", "kappa [CI]", "kappa band", "macro F1"):
            t.add_column(col, justify="left" if col in ("source", "kappa band") else "right")
        for s in gold["sources"]:
            t.add_row(s["name"], str(s["n"]), f"{_num(s['accuracy']['value'], 2)} {_ci(s['accuracy'], 2)}",
                      f"{_num(s['cohen_kappa']['value'], 2)} {_ci(s['cohen_kappa'], 2)}",
                      s["cohen_kappa"].get("band") or "—", _num(s["macro_f1"], 2))
        tables.append(t)
        t = Table(title="Precision / recall / F1 per class against gold")
        t.add_column("source")
        classes = list(gold["sources"][0]["per_class"]) if gold["sources"] else []
        for cls in classes:
            t.add_column(cls, justify="right")
        for s in gold["sources"]:
            t.add_row(s["name"], *[
                f"{_num(s['per_class'][c]['precision'], 2)} / {_num(s['per_class'][c]['recall'], 2)} / "
                f"{_num(s['per_class'][c]['f1'], 2)}" for c in classes])
        tables.append(t)
        if len(classes) <= 8:
            for s in gold["sources"]:
                conf = s["confusion"]
                t = Table(title=f"Confusion: {s['name']} (rows: gold)")
                t.add_column("gold \\ source")
                for lab in conf["labels"]:
                    t.add_column(lab, justify="right")
                for lab, line in zip(conf["labels"], conf["matrix"]):
                    t.add_row(lab, *[str(v) for v in line])
                tables.append(t)
    return tables


def _agreement_batches(report: dict) -> list[Table]:
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
        return [t]
    return []



# ---------------------------------------------------------------- wslab config check


def print_check(result: dict, config: Any, console: Console | None = None) -> None:
    """``wslab config check``: what was checked."""
    t = Table(title=f"config check: {config} — ok")
    t.add_column("input")
    t.add_column("checked")
    lfs = result["lfs"]
    kinds = ", ".join(f"{n} {k}" for k, n in lfs["by_kind"].items()) or "none"
    t.add_row("labels", ", ".join(result["labels"]))
    t.add_row("LFs", f"{lfs['total']} ({kinds}); columns and regexes valid")
    c = result["corpus"]
    t.add_row("corpus", f"{c['path']}: {c['documents']:,} documents, unique ids, columns {c['columns']}")
    if result["precomputed"]:
        pre = result["precomputed"]
        t.add_row("precomputed votes", f"{pre['path']}: {pre['lfs']} LFs" + (
            f"; {pre['compared']} named like a spec LF, compared with it in lf_analysis.csv" if pre.get("compared") else ""))
    g = result["gold"]
    t.add_row("gold", f"{g['path']}: {g['items']:,} items (dev {g['dev']:,} / test {g['test']:,}), ids in the corpus"
              if g else "none (no evaluation)")
    a = result["annotations"]
    t.add_row("annotations", f"{a['path']}: {a['ratings']:,} ratings by {a['annotators']} annotators"
              if a else "none")
    t.add_row("output", result["output_dir"])
    (console or _console()).print(t)


# ---------------------------------------------------------------- wslab lfs


def print_authoring(result, console: Console | None = None) -> None:
    """``wslab lfs author``: every candidate and the decision on it, and the spend."""
    console = console or _console()
    t = Table(title=f"LF candidates ({len(result.candidates)}; model {result.model})")
    for col, justify in (("round", "right"), ("LF", "left"), ("kind", "left"), ("label", "left"),
                         ("decision", "left"), ("dev acc [95% CI]", "right"), ("dev n", "right"),
                         ("coverage", "right"), ("reason", "left")):
        t.add_column(col, justify=justify)
    for c in result.candidates:
        acc = "-" if c.dev_accuracy is None else f"{c.dev_accuracy:.2f} [{c.dev_ci[0]:.2f}, {c.dev_ci[1]:.2f}]"
        t.add_row(str(c.round), c.name, c.kind, str(c.label or "-"), c.decision, acc,
                  "-" if c.dev_n is None else str(c.dev_n),
                  "-" if c.coverage is None else f"{c.coverage:.3f}", c.reason)
    console.print(t)
    u = result.usage
    console.print(f"{len(result.accepted)} LFs accepted in {result.rounds_run} rounds -> {result.out_path} "
                  f"(report: {result.report_path.name})")
    console.print(f"LLM: {u.get('calls', 0)} paid calls, {u.get('cache_hits', 0)} cache hits, "
                  f"{u.get('input_tokens', 0):,} tokens in / {u.get('output_tokens', 0):,} out, "
                  f"${u.get('cost_usd', 0.0):.4f}")
    console.print(f"dev scores over {result.dev_n} gold dev items (shown to the model, so optimistic); "
                  f"coverage over {result.coverage_docs:,} documents. Add the file to lfs.files to use it.")


def print_lf_analysis(result, console: Console | None = None) -> None:
    """``wslab lfs analyze``: the LF table."""
    console = console or _console()
    console.print(lf_table(result.table, limit=max(result.table.height, 1)))
    console.print(f"{result.n_docs:,} documents; dev accuracy over {result.n_dev} gold dev items")


# ---------------------------------------------------------------- wslab prompts compare


def print_prompt_comparison(result: dict, console: Console | None = None) -> None:
    """``wslab prompts compare``: each instruction's scores and cost, the difference, McNemar."""
    console = console or _console()
    t = Table(title=f"Prompts compared on {result['n']} gold dev items ({result['model']})")
    for col in ("prompt", "file", "accuracy", "macro F1", "paid calls", "cost", "cost / 1k docs"):
        t.add_column(col, justify="left" if col in ("prompt", "file") else "right")
    for key, p in result["prompts"].items():
        per1k = p["per_1k_docs"]
        cost = "unknown" if per1k["cost_usd"] is None else f"${per1k['cost_usd']:.4f}"
        t.add_row(key.upper(), p["file"], f"{p['accuracy']:.3f}", f"{p['macro_f1']:.3f}", str(p["usage"]["calls"]),
                  f"${p['usage']['cost_usd']:.4f}", ("~" if per1k["basis"] == "estimate" else "") + cost)
    console.print(t)
    d = result["difference"]
    console.print(f"B - A: accuracy {_fmt(d['accuracy']['value'], d['accuracy']['ci'])}, "
                  f"macro F1 {_fmt(d['macro_f1']['value'], d['macro_f1']['ci'])} (paired bootstrap 95% CI)")
    m = result["mcnemar"]
    console.print(f"McNemar's test ({'exact' if m['exact'] else 'chi-square, continuity-corrected'}): "
                  f"only A right {m['table'][0][1]}, only B right {m['table'][1][0]}, p = {m['pvalue']:.4g}")
    if result["cost_usd"] == 0:
        console.print("nothing paid: every answer came from the store (~ = estimated cost)", style="dim")


# ---------------------------------------------------------------- wslab llm-label


def print_llm_label(result, summary: dict, console: Console | None = None) -> None:
    """``wslab llm-label``: documents, answers, statuses, spend, masking."""
    t = Table(title=f"llm-label -> {summary['out']}")
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("documents", str(summary["documents"]))
    t.add_row("annotated (not abstained)", str(summary["annotated"]))
    for k, v in sorted(result.status.items()):
        t.add_row(f"status {k}", str(v))
    t.add_row("from earlier runs", str(result.resumed))
    t.add_row("paid calls / cache hits", f"{result.usage['calls']} / {result.usage['cache_hits']}")
    t.add_row("tokens in / out", f"{result.usage['input_tokens']} / {result.usage['output_tokens']}")
    t.add_row("cost (USD)", f"{result.usage['cost_usd']:.4f}")
    t.add_row("PII masked", ", ".join(f"{k} {v}" for k, v in sorted(result.masked.items())) or "none")
    (console or _console()).print(t)


# ---------------------------------------------------------------- wslab relabel


def print_relabel_import(summary: dict, into: Any = None) -> None:
    """``wslab relabel import``: one line; a review round (--config) or a new file version (--into)."""
    import typer

    if into is None:
        typer.echo(f"round {summary['round']}: {summary['answers']} answers ({summary['changed']} changed a label, "
                   f"{summary['accepted']} took the suggestion) appended to {summary['store']}")
    else:
        typer.echo(f"{summary['changed']} of {summary['applied']} answered labels changed; wrote {summary['output']} "
                   f"and {summary['audit']} ({into} unchanged)")


# ---------------------------------------------------------------- wslab demo


def print_demo(summary, console: Console | None = None) -> None:
    """``wslab demo``: the classes written and what to run next."""
    table = Table(title=f"{summary.out_dir} (seed {summary.seed})")
    table.add_column("tag" if summary.multilabel else "class")
    table.add_column("messages", justify="right")
    table.add_column("share", justify="right")
    for label, n in summary.class_counts.items():
        table.add_row(label, f"{n:,}", f"{n / summary.n_docs:.1%}")
    console = console or _console()
    console.print(table)
    console.print(f"{summary.n_gold:,} gold items, {summary.n_annotations:,} ratings of {summary.n_annotated_items:,} "
                  f"items by 3 assessors, {summary.n_lfs} LFs")
    console.print(f"next: cd {summary.out_dir} && wslab apply config.yaml")


def exit_if_stopped(result) -> None:
    """``wslab lfs author`` stopped by its budget: say what was kept, exit with the budget code (3)."""
    if not result.stopped:
        return
    import typer

    from wslab.core.errors import BudgetExceeded

    n = len(result.accepted)
    typer.echo(f"error: stopped early, {n} LF{'' if n == 1 else 's'} written to {result.out_path}: "
               f"{result.stopped}", err=True)
    raise typer.Exit(BudgetExceeded.exit_code)
