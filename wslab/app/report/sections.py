"""What each section of the report shows, computed from the loaded run folder.

One function per section (:data:`SECTIONS`): it takes what :func:`wslab.app.report.load.load_run`
read and returns the section's values (tables of :class:`~wslab.app.report.cells.Cell`, numbers,
charts), or None when the stage behind it did not run. No HTML here except the SVG charts of
:mod:`wslab.app.report.charts`; the templates under ``templates/sections/`` lay the values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from wslab.app.report.cells import (Badge, Cell, Table, ci, decision_text, integer, llm_cost_bases, llm_cost_text, num,
                                    pct, scored, vs_best_text)
from wslab.app.report.charts import BLUE, GREY, bar_chart, finite, nice_range

__all__ = ["MODEL_ROWS", "SECTIONS", "compute_sections"]

MODEL_ROWS = (("majority_vote", "Majority vote"), ("label_model", "Label model (Snorkel)"),
              ("end_model", "End model (TF-IDF + LR)"), ("final", "Final labels"),
              ("llm_zero_shot", "LLM zero-shot (baseline)"), ("llm_few_shot", "LLM few-shot (baseline)"))
QUEUE_ROWS = 25
TEXT_CHARS = 280

FLAG_HELP = {
    "zero_coverage": "never votes on any document",
    "full_coverage": "votes one label on every document: it tells no document from another",
    "no_dev_votes": "votes on no gold dev item, so its accuracy is unknown",
    "below_chance": "dev accuracy below chance: worse than voting the same labels at random",
    "below_floor": "the whole dev-accuracy CI lies below the accuracy floor (config lfs.accuracy_floor)",
    "below_label_model": "the dev-accuracy CI lies far below the accuracy the label model learned: "
                         "the label model trusts the LF more than gold says it should",
    "duplicate_of": "fires on nearly the same documents with the same votes as the named earlier LF",
    "costly_conflicts": "where it conflicts with other LFs, its vote loses majority vote at least 3 more gold dev "
                        "items than it wins (lost / won column): dropping or fixing it would help",
    "precomputed_mismatch": "the precomputed votes stored under its name agree with the LF spec's votes on "
                            "fewer than 95% of the documents (or of the gold items) either votes on; "
                            "the spec's votes are used",
}
"""What each flag of ``lf_analysis.csv`` means (``duplicate_of:<LF>`` names the other LF)."""


def model_name(key: str | None) -> str:
    return dict(MODEL_ROWS).get(key or "", key or "—")


PIPELINE_TEXT = {
    "votes": "{lfs} LFs' votes combined by {name}; documents no LF voted on keep the class prior",
    "votes+end_model": "{lfs} LFs' votes combined by {src} where an LF voted; the end model labels the rest",
    "gold": "a text model trained on the gold dev labels labels every document",
    "gold+votes": "a text model trained on the gold dev labels (texts and LF votes) labels every document",
    "llm": "the LLM's labels (from llm_labels) label the documents it answered; the rest keep the class prior",
    "votes+llm": "{lfs} LFs' votes and the LLM's labels combined by {src}; documents without a vote keep the class prior",
    "gold+llm": "a text model trained on the gold dev labels (texts and the LLM's labels) labels every document",
    "end_model": "an end model trained on the weak labels of {src} labels every document",
    "end_model+gold": "an end model trained on the weak labels of {src} and on gold dev labels every document",
}
"""What each kind of pipeline (:data:`wslab.labeling.selection.KIND_ORDER`) does, in a sentence."""


def pipeline_kind(name: str, candidates: dict[str, Any] | None) -> str:
    """The kind of the chosen pipeline: from the candidate table, or (default pipeline) its name."""
    for r in (candidates or {}).get("rows", []):
        if r.get("name") == name:
            return str(r.get("kind"))
    return "votes+end_model" if name.endswith("+end_model") else "votes"


def pipeline_text(name: str, kind: str, lfs: Any) -> str:
    """One sentence on what the chosen pipeline ``name`` of ``kind`` does."""
    src = name.removesuffix("+end_model").removesuffix("+llm")
    if kind.startswith("end_model"):
        src = name.removeprefix("end_model(").split(")+gold")[0].removesuffix(")")
    return PIPELINE_TEXT.get(kind, "{name}").format(name=name, src=src, lfs=integer(lfs))


# ---------------------------------------------------------------- summary


def summary(d: dict[str, Any]) -> dict[str, Any]:
    m, man, ag = d["metrics"], d["manifest"], d["agreement"]
    rows = man.get("rows", {})
    cards = []
    final = (m.get("test") or {}).get("final")
    if final:
        cards.append(_card("Final labels, macro F1 on gold test", num(final.get("macro_f1")),
                           f'n={integer(final.get("n"))}; accuracy {num(final.get("accuracy"))}',
                           ci=ci((final.get("ci") or {}).get("macro_f1"))))
    else:
        cards.append(_card("Quality on gold", "—", "no gold set in the config"))
    n_docs, covered = rows.get("corpus"), rows.get("covered")
    cov = covered / n_docs if finite(covered) and finite(n_docs) and n_docs else None
    cards.append(_card("LF coverage", pct(cov), f"{integer(covered)} of {integer(n_docs)} documents have an LF vote"))
    chosen = m.get("chosen") or man.get("chosen")
    how = ("chosen on gold dev (out of fold)" if m.get("candidates") else "the default pipeline (no selection on gold dev)")
    paid = next((r.get("llm_cost") for r in (m.get("candidates") or {}).get("rows", []) if r.get("name") == chosen), None)
    cost = f'; the LLM labels it reads cost {llm_cost_text({"llm_cost": paid})} ({paid["basis"]})' if paid else ""
    cards.append(_card("Labels from", chosen or "—",
                       f'{pipeline_text(chosen, pipeline_kind(chosen, m.get("candidates")), rows.get("lfs"))}; {how}{cost}'
                       if chosen else "", word=True))
    q = man.get("quality")
    cards.append(_card("Flagged for relabeling", integer(q.get("flagged")),
                       f'of {integer(q.get("checked"))} checked; {integer(q.get("cleanlab_issues"))} cleanlab issues')
                 if q else _card("Flagged for relabeling", "—", "suspicious-label stage not run"))
    if ag:
        ka = ag.get("krippendorff_alpha") or {}
        cards.append(_card("Annotator agreement (Krippendorff's α)", num(ka.get("value")),
                           f'{ka.get("band") or ""}; {len((ag.get("data") or {}).get("annotators", []))} annotators',
                           ci=ci(ka.get("ci"))))
    llm = man.get("llm") or {}
    tokens = (llm.get("tokens_in") or 0) + (llm.get("tokens_out") or 0)
    cards.append(_card("LLM cost", f'${llm.get("cost_usd", 0.0) or 0.0:.4f}', f"{tokens:,} tokens in and out")
                 if tokens else _card("LLM cost", "$0", "no LLM calls in this run"))
    return {"cards": cards, "notes": [*m.get("notes", []), *((ag or {}).get("warnings", []))]}


def _card(key: str, value: str, sub: str, *, ci: str = "", word: bool = False) -> dict[str, Any]:
    return {"k": key, "v": value, "s": sub, "ci": ci, "word": word}


# ---------------------------------------------------------------- evaluation


def evaluation(d: dict[str, Any]) -> dict[str, Any] | None:
    m = d["metrics"]
    test = m.get("test")
    if not test:
        return None
    chosen = m.get("chosen")
    rows, groups = [], []
    for key, title in MODEL_ROWS:
        r = test.get(key)
        if not r:
            continue
        c = r.get("ci") or {}
        badges = (Badge(chosen, "ok", title="the pipeline that wrote labels.parquet"),) if key == "final" and chosen else ()
        rows.append([Cell(title, badges=badges), integer(r.get("n")),
                     scored(r.get("accuracy"), c.get("accuracy")),
                     scored(r.get("macro_f1"), c.get("macro_f1"), style="strong"),
                     scored(r.get("weighted_f1"), c.get("weighted_f1")), pct(r.get("coverage"))])
        groups.append((title, [("accuracy", r.get("accuracy"), c.get("accuracy"), GREY),
                               ("macro F1", r.get("macro_f1"), c.get("macro_f1"), BLUE)]))
    shown = [v for _, bars in groups for _, value, bounds, _ in bars for v in (value, *(bounds or ()))]
    xmin, xmax = nice_range(shown)
    axis = "score" + (f" (the axis starts at {xmin:.1f}, not 0)" if xmin > 0 else "")
    gold = m.get("gold") or {}
    return {
        "n_test": integer(gold.get("n_test")), "n_dev": integer(gold.get("n_dev")), "xmin": xmin,
        "table": Table.of(["model", "n", "accuracy [95% CI]", "macro F1 [95% CI]", "weighted F1 [95% CI]",
                           "coverage"], rows, num=(1, 2, 3, 4, 5)),
        "chart": bar_chart(groups, title="accuracy and macro F1 with 95% CIs", axis=axis, xmin=xmin, xmax=xmax),
        "per_class": _per_class(test.get("final")),
        "candidates": candidates(m.get("candidates")),
        "llm": _llm_baselines(test, m.get("llm_baseline") or {}),
    }


def _llm_baselines(test: dict[str, Any], info: dict[str, Any]) -> Table | None:
    """Per LLM baseline row and class: precision / recall / F1 with CIs; tokens and cost per 1,000 documents."""
    rows = []
    for key, title in MODEL_ROWS:
        if key not in info or not test.get(key):
            continue
        r, per1k = test[key], info[key].get("per_1k_docs") or {}
        pc_ci = (r.get("ci") or {}).get("per_class") or {}
        tokens = (per1k.get("tokens_in") or 0) + (per1k.get("tokens_out") or 0)
        approx = "~" if per1k.get("basis") == "estimate" else ""
        cost = f'{approx}${per1k["cost_usd"]:.4f}' if finite(per1k.get("cost_usd")) else "unknown"
        for i, (lab, s) in enumerate((r.get("per_class") or {}).items()):
            c = pc_ci.get(lab) or {}
            rows.append([title if i == 0 else "", str(lab), scored(s.get("precision"), c.get("precision")),
                         scored(s.get("recall"), c.get("recall")), scored(s.get("f1"), c.get("f1")),
                         f"{approx}{tokens:,.0f}" if i == 0 else "", cost if i == 0 else ""])
    if not rows:
        return None
    return Table.of(["LLM baseline", "class", "precision [95% CI]", "recall [95% CI]", "F1 [95% CI]",
                     "tokens / 1k docs", "cost / 1k docs"], rows, num=(2, 3, 4, 5, 6))


def _per_class(final: dict[str, Any] | None) -> Table | None:
    if not final or not final.get("per_class"):
        return None
    pc_ci = (final.get("ci") or {}).get("per_class") or {}
    rows = []
    for lab, s in final["per_class"].items():
        c = pc_ci.get(lab) or {}
        rows.append([str(lab), scored(s.get("precision"), c.get("precision")), scored(s.get("recall"), c.get("recall")),
                     scored(s.get("f1"), c.get("f1")), integer(s.get("support"))])
    return Table.of(["class", "precision [95% CI]", "recall [95% CI]", "F1 [95% CI]", "support"], rows,
                    num=(1, 2, 3, 4))


def _score_cell(s: dict | None) -> Cell:
    return Cell("—") if not s else scored(s.get("value"), s.get("ci"))


def candidates(block: dict[str, Any] | None) -> dict[str, Any] | None:
    """The pipeline candidates of ``metrics.json`` (selection), or None without selection."""
    if not block:
        return None
    rows, decides = [], any(r.get("decision") for r in block["rows"])
    compared = any(r.get("vs_best") for r in block["rows"])
    paid = any(r.get("llm_cost") for r in block["rows"])
    for r in block["rows"]:
        mark = (Cell(badges=(Badge("chosen", "ok"),)) if r["chosen"]
                else Cell("learning curve" if not r["eligible"] else
                          f"over budget: {r['text_rows']:,} texts" if r.get("over_budget") else ""))
        rows.append([str(r["name"]), str(r["kind"]), _score_cell(r["oof"]), _score_cell(r["test"]),
                     *([decision_text(r.get("decision"))] if decides else []),
                     *([vs_best_text(r)] if compared else []), *([llm_cost_text(r)] if paid else []), mark])
    return {"metric": block["metric"], "folds": integer(block["folds"]), "pinned": bool(block.get("pinned")),
            "rule": block.get("rule"), "llm_cost_basis": llm_cost_bases(block["rows"]) if paid else None,
            "table": Table.of(["candidate", "kind", "dev OOF [95% CI]", "test [95% CI]",
                               *(["decision (dev OOF)"] if decides else []),
                               *(["vs best dev OOF (paired SE)"] if compared else []),
                               *(["LLM cost"] if paid else []), ""], rows,
                              num=(2, 3, *([len(rows[0]) - 2] if paid and rows else [])))}


# ---------------------------------------------------------------- labeling functions


def _flag_badge(flag: str) -> Badge:
    name, _, other = flag.partition(":")
    help_text = FLAG_HELP.get(name, flag)
    return Badge(flag, "warn", f"{help_text}: {other}" if other else help_text)


def harm(r: dict[str, Any]) -> tuple:
    """The LF table's order, most harmful first: LFs whose dev accuracy lies below the accuracy
    floor, then by the gold dev items their vote loses on conflicts (``conflict_cost``, more
    first), then by those it wins (fewer first), then as listed."""
    flags = {f.partition(":")[0] for f in str(r.get("flags") or "").split(",") if f}
    cost, gain = r.get("conflict_cost"), r.get("conflict_gain")
    return ("below_floor" not in flags, -(cost if finite(cost) else 0.0), gain if finite(gain) else 0.0)


def lfs(d: dict[str, Any]) -> dict[str, Any] | None:
    t = d["lfs"]
    if t is None:
        return None
    has_dev, learned = "dev_accuracy" in t.columns, "learned_accuracy" in t.columns
    costs, stored = "conflict_cost" in t.columns, "precomputed_agreement" in t.columns
    rows, seen = [], {}
    for r in sorted(t.iter_rows(named=True), key=harm):
        flags = [f for f in str(r.get("flags") or "").split(",") if f]
        for f in flags:
            seen[f.partition(":")[0]] = seen.get(f.partition(":")[0], 0) + 1
        cov = r.get("coverage")
        row: list[Cell | str] = [Cell(str(r.get("lf")), style="name", note=str(r.get("description") or "")),
                                 str(r.get("polarity") or ""),
                                 Cell(pct(cov), bar=cov if finite(cov) else None),
                                 pct(r.get("overlaps")), pct(r.get("conflicts"))]
        if has_dev:
            acc = r.get("dev_accuracy")
            row.append(scored(acc, [r.get("dev_ci_low"), r.get("dev_ci_high")] if finite(acc) else None, digits=2))
        if learned:
            row.append(num(r.get("learned_accuracy"), 2))
        if has_dev:
            row += [integer(r.get("dev_n")), num(r.get("chance"), 2)]
        if costs:
            row.append(f'{num(r.get("conflict_cost"), 1)} / {num(r.get("conflict_gain"), 1)}')
        if stored:
            row.append(pct(r.get("precomputed_agreement")))
        rows.append([*row, Cell(badges=tuple(_flag_badge(f) for f in flags))])
    head = ["LF", "polarity", "coverage", "overlaps", "conflicts"]
    head += ["dev accuracy [95% CI]"] if has_dev else []
    head += ["learned accuracy"] if learned else []
    head += ["dev n", "chance"] if has_dev else []
    head += ["dev items lost / won on conflicts"] if costs else []
    head += ["agrees with stored votes"] if stored else []
    head.append("flags")
    return {"n": t.height, "n_flagged": sum(1 for r in rows if r[-1].badges), "has_dev": has_dev, "learned": learned,
            "costs": costs, "stored": stored,
            "table": Table.of(head, rows, num=range(2, len(head) - 1), cls_="lf"),
            "flags": [(name, help_text, seen.get(name, 0)) for name, help_text in FLAG_HELP.items()]}


# ---------------------------------------------------------------- classes


def classes(d: dict[str, Any]) -> dict[str, Any] | None:
    c, m = d["classes"], d["metrics"]
    if c is None:
        return None
    labels = [str(x) for x in m.get("labels") or []] or sorted(c["counts"])
    n = c["n"] or 1
    gold_pc = ((m.get("test") or {}).get("final") or {}).get("per_class")
    gold_n = sum(v.get("support", 0) for v in gold_pc.values()) if gold_pc else 0
    groups, rows = [], []
    for lab in labels:
        share = c["counts"].get(lab, 0) / n
        bars = [("final labels", share, None, BLUE)]
        gshare = (gold_pc.get(lab) or {}).get("support", 0) / gold_n if gold_pc and gold_n else None
        if gshare is not None:
            bars.append(("gold test", gshare, None, GREY))
        groups.append((lab, bars))
        rows.append([lab, integer(c["counts"].get(lab, 0)), pct(share)]
                    + ([integer((gold_pc.get(lab) or {}).get("support", 0)), pct(gshare)] if gold_pc else []))
    _, xmax = nice_range([b[1] for _, bars in groups for b in bars] + [0.05], floor_at_zero=True)
    legend = [(f"final labels (n={c['n']:,})", BLUE)] + ([(f"gold test (n={gold_n:,})", GREY)] if gold_pc else [])
    return {
        "n": f"{c['n']:,}", "sources": ", ".join(f"{model_name(k)}: {v:,}" for k, v in c["sources"].items()),
        "legend": legend,
        "chart": bar_chart(groups, title="class distribution", axis="share of documents", xmax=xmax,
                           fmt=lambda v: f"{100 * v:.0f}%"),
        "table": Table.of(["class", "final labels", "share"] + (["gold test", "share"] if gold_pc else []), rows,
                          num=(1, 2, 3, 4)),
        "health": class_health(d["health"]),
    }


def class_health(h: pl.DataFrame | None) -> Table | None:
    """The class-health table of ``class_health.csv`` (:mod:`wslab.quality.health`), or None."""
    if h is None or h.height == 0:
        return None
    rows = []
    for r in h.iter_rows(named=True):
        other = r.get("most_confused_with")
        rows.append([str(r.get("class")), integer(r.get("n")),
                     Cell(pct(r.get("flagged_share")), note=f"{integer(r.get('flagged'))} flagged"),
                     integer(r.get("cleanlab_issues")) if r.get("cleanlab_issues") is not None else "—",
                     Cell(str(other) if other is not None else "—",
                          note=f"{integer(r.get('confused'))} ({pct(r.get('confused_share'))})" if other else ""),
                     num(r.get("label_noise"), 3),
                     Cell(str(r.get("overlaps_with") or "—"), note=num(r.get("overlap"), 3)
                          if finite(r.get("overlap")) else "")])
    return Table.of(["class", "checked", "flagged share", "cleanlab issues", "most often suggested instead",
                     "label noise", "overlaps with (joint p)"], rows, num=(1, 2, 3, 5))


# ---------------------------------------------------------------- confusion


def _matrix(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> list[dict[str, Any]]:
    """The rows of a heat-map confusion table: per cell its count, share of the row and colour."""
    out = []
    for i, (lab, line) in enumerate(zip(labels, matrix)):
        total = sum(line) or 1
        cells = []
        for j, v in enumerate(line):
            share = v / total
            alpha = 0.08 + 0.85 * share if v else 0.0
            cells.append({"v": f"{v:,}", "share": f"{100 * share:.0f}%", "diag": i == j,
                          "title": f"{lab} → {labels[j]}: {v} ({100 * share:.1f}% of row)",
                          "style": f"background:rgba({'37,99,235' if i == j else '220,38,38'},{alpha:.2f});"
                                   f"color:{'#fff' if alpha > 0.55 else '#111827'}"})
        out.append({"label": lab, "cells": cells, "n": f"{sum(line):,}",
                    "recall": pct(line[i] / total if i < len(line) else None)})
    return out


def confusion(d: dict[str, Any]) -> dict[str, Any] | None:
    m = d["metrics"]
    test = m.get("test") or {}
    labels = [str(x) for x in m.get("labels") or []]
    shown = [(k, t) for k, t in MODEL_ROWS if (test.get(k) or {}).get("confusion")]
    if not shown or not labels:
        return None
    key, title = next(((k, t) for k, t in shown if k == "final"), shown[0])
    return {"title": title, "labels": labels, "rows": _matrix(labels, test[key]["confusion"]),
            "others": [(t, _matrix(labels, test[k]["confusion"])) for k, t in shown if k != key]}


# ---------------------------------------------------------------- agreement


def _coef_row(name: str, c: dict[str, Any] | None) -> list[Cell | str]:
    c = c or {}
    value = num(c.get("value")) if finite(c.get("value")) else f'undefined: {c.get("note", "")}'
    return [name, Cell(value, style="strong"), Cell(style="", ci=ci(c.get("ci"))), integer(c.get("n")),
            str(c.get("band") or "—"), Cell(str(c.get("ci_method") or ""), style="small")]


def _vs_gold(vs: dict[str, Any]) -> Table | None:
    if not vs.get("sources"):
        return None
    rows = [[str(s.get("name")), integer(s.get("n")),
             scored((s.get("accuracy") or {}).get("value"), (s.get("accuracy") or {}).get("ci")),
             scored((s.get("cohen_kappa") or {}).get("value"), (s.get("cohen_kappa") or {}).get("ci")),
             str((s.get("cohen_kappa") or {}).get("band") or "—"), num(s.get("macro_f1"))] for s in vs["sources"]]
    return Table.of(["source", "n", "accuracy [95% CI]", "kappa [95% CI]", "band", "macro F1"], rows, num=(1, 2, 3, 5))


def agreement(d: dict[str, Any]) -> dict[str, Any] | None:
    a = d["agreement"]
    if not a:
        return None
    data, scale, batches = a.get("data") or {}, a.get("scale") or {}, a.get("batches") or {}
    rows = [_coef_row("percent agreement (pairwise)", a.get("percent_agreement")),
            _coef_row("Fleiss' kappa", a.get("fleiss_kappa"))]
    for level, c in ((a.get("krippendorff_alpha") or {}).get("levels") or {}).items():
        rows.append(_coef_row(f"Krippendorff's alpha ({level})", c))
    rows.append(_coef_row("Gwet's AC1", a.get("gwet_ac1")))
    pairs = [[" × ".join(p.get("annotators", [])), num(p.get("value")), Cell(ci=ci(p.get("ci"))), integer(p.get("n")),
              str(p.get("band") or "—")] for p in a.get("cohen_kappa") or []]
    llm = a.get("llm_raters") or {}
    llm_pairs = [[str(p.get("rater")), str(p.get("annotator")), num(p.get("value")), Cell(ci=ci(p.get("ci"))),
                  integer(p.get("n")), str(p.get("band") or "—")] for p in llm.get("cohen_kappa") or []]
    return {
        "llm_raters": [str(x) for x in llm.get("names") or []],
        "llm_pairs": Table.of(["LLM", "annotator", "kappa", "95% CI", "n", "band"], llm_pairs, num=(2, 3, 4))
        if llm_pairs else None,
        "n_items": integer(data.get("n_items")), "annotators": [str(x) for x in data.get("annotators", [])],
        "n_ratings": integer(data.get("n_ratings")), "scale": scale.get("name", ""),
        "reference": scale.get("reference", ""), "warnings": a.get("warnings", []),
        "table": Table.of(["coefficient", "value", "95% CI", "n items", "band", "CI method"], rows, num=(1, 2, 3)),
        "pairs": Table.of(["annotators", "kappa", "95% CI", "n", "band"], pairs, num=(1, 2, 3)) if pairs else None,
        "vs_gold": _vs_gold(a.get("vs_gold") or {}), "n_gold": integer((a.get("vs_gold") or {}).get("n_gold")),
        "batches": ({"n": integer(batches.get("n_flagged")), "threshold": num(batches.get("threshold"), 2)}
                    if batches.get("rows") else None),
    }


# ---------------------------------------------------------------- data map, queue, rounds, run


def data_map(d: dict[str, Any]) -> dict[str, Any] | None:
    carto = d["cartography"]
    if carto is None or carto.height == 0:
        return None
    from wslab.cartography.plots import data_map_html

    regions = carto["region"].value_counts().sort("region").iter_rows() if "region" in carto.columns else []
    return {"page": data_map_html(carto, title="Data map of the aggregated labels"), "n": f"{carto.height:,}",
            "regions": ", ".join(f"{r} {n:,}" for r, n in regions)}


def _change(given: Any, suggested: Any) -> Cell:
    given_text = "" if given is None else str(given)
    if given == suggested:
        return Cell(given_text, note="(keep; check)")
    return Cell(given_text, style="change", to="" if suggested is None else str(suggested))


def queue(d: dict[str, Any]) -> dict[str, Any] | None:
    q = d["queue"]
    if q is None:
        return None
    summ = d["manifest"].get("quality") or {}
    flagged = q.filter(pl.col("flagged")) if "flagged" in q.columns else q
    if "rank" in flagged.columns:
        flagged = flagged.sort("rank")
    rows = []
    for r in flagged.head(QUEUE_ROWS).iter_rows(named=True):
        text = str(r.get("text") or "")
        rows.append([integer(r.get("rank")), Cell(str(r.get("id")), style="id"),
                     _change(r.get("given_label"), r.get("suggested_label")), num(r.get("priority")),
                     Cell(str(r.get("reasons") or ""), style="small"),
                     Cell(text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else ""), style="txt")])
    regions = summ.get("regions") or {}
    return {"checked": integer(summ.get("checked", q.height)), "folds": integer(summ.get("folds")),
            "epochs": integer(summ.get("epochs")), "issues": integer(summ.get("cleanlab_issues")),
            "hard": integer(regions.get("hard-to-learn")), "ambiguous": integer(regions.get("ambiguous")),
            "flagged": f"{flagged.height:,}", "shown": min(QUEUE_ROWS, flagged.height),
            "table": Table.of(["rank", "id", "given → suggested", "priority", "reasons", "text"], rows, num=(0, 3),
                              cls_="queue") if rows else None}


def _precision_cell(p: dict[str, Any] | None) -> Cell:
    if not p or not p.get("n"):
        return Cell("—")
    return Cell(pct(p["precision"]), ci=ci(p.get("ci"), 2), note=f"n={integer(p['n'])}")


def rounds(d: dict[str, Any]) -> dict[str, Any] | None:
    """Review rounds: answers, changed labels, final labels on the frozen gold test, queue precision."""
    from wslab.app.review_loop import SIGNALS

    rounds_ = d["metrics"].get("rounds") or []
    if not rounds_:
        return None
    head = ["Round", "Answers", "Changed", "Test accuracy", "Test macro F1", "Queue precision",
            *(f"Precision: {s}" for s in SIGNALS)]
    rows = []
    for r in rounds_:
        test = r.get("test") or {}
        c = test.get("ci") or {}
        rows.append([integer(r["round"]), integer(r["answers"]), integer(r["changed"]),
                     scored(test.get("accuracy"), c.get("accuracy")), scored(test.get("macro_f1"), c.get("macro_f1")),
                     _precision_cell(r["queue_precision"]),
                     *(_precision_cell(r["per_signal"].get(s)) for s in SIGNALS)])
    return {"table": Table.of(head, rows, num=range(1, len(head)), cls_="rounds")}


def run(d: dict[str, Any]) -> dict[str, Any]:
    man = d["manifest"]
    rows, llm = man.get("rows") or {}, man.get("llm") or {}
    info: list[list[Cell | str]] = [
        ["config", Cell(str(man.get("config_path") or "—"), style="code")],
        ["config hash", Cell(str(man.get("config_hash")), style="code")], ["seed", str(man.get("seed"))],
        ["documents", integer(rows.get("corpus"))], ["LFs", integer(rows.get("lfs"))],
        ["covered by an LF", integer(rows.get("covered"))],
        ["gold dev / test", f'{integer(rows.get("gold_dev"))} / {integer(rows.get("gold_test"))}'],
        ["LLM tokens in / out", f'{integer(llm.get("tokens_in", 0))} / {integer(llm.get("tokens_out", 0))}'],
        ["LLM cost (USD)", f'{llm.get("cost_usd", 0.0) or 0.0:.4f}']]
    info += [[f"LLM {k}", str(v)] for k, v in llm.items()
             if k not in ("tokens_in", "tokens_out", "cost_usd") and isinstance(v, (int, float, str))]
    timings = {k: v for k, v in (man.get("timings_s") or {}).items() if finite(v)}
    total = sum(timings.values())
    trows: list[list[Cell | str]] = [[k, f"{v:.2f}", pct(v / total if total else None)] for k, v in timings.items()]
    trows.append([Cell("total", style="strong"), Cell(f"{total:.2f}", style="strong"), ""])
    files = [[str(k), Cell(str(v), style="code")] for k, v in (man.get("files") or {}).items()]
    return {"info": Table.of(["item", "value"], info),
            "timings": Table.of(["stage", "seconds", "share"], trows, num=(1, 2)),
            "versions": Table.of(["package", "version"], [[str(k), Cell(str(v), style="code")]
                                                          for k, v in (man.get("versions") or {}).items()]),
            "files": Table.of(["artefact", "file"], [*files, ["report", Cell("report.html", style="code")]])}


SECTIONS = {"summary": summary, "evaluation": evaluation, "lfs": lfs, "classes": classes, "confusion": confusion,
            "agreement": agreement, "data-map": data_map, "queue": queue, "rounds": rounds, "run": run}
"""Each section's ``id`` (page order) and the function computing its values."""


def compute_sections(d: dict[str, Any]) -> dict[str, Any]:
    """The values of every section (None for a stage that did not run), by section id."""
    return {sid: fn(d) for sid, fn in SECTIONS.items()}
