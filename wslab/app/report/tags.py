"""The report's sections for a multi-label run (``metrics.json`` ``multilabel: true``).

A multi-label run scores tag sets: micro / macro F1, subset accuracy and Hamming loss overall,
precision / recall / F1 per tag, each with its bootstrap CI, for the final tags, majority vote
and (with gold) gold only; the pipeline is chosen per tag (``chosen`` = {tag: candidate},
``candidates`` = {tag: candidate table}). The "classes" and "confusion" sections become the tag
distribution and the tag co-occurrence matrix of labels.parquet's ``tags``
(:func:`wslab.app.report.load._tag_counts`). Like :mod:`wslab.app.report.sections`: values only,
no HTML but the SVG chart.
"""

from __future__ import annotations

from typing import Any

from wslab.app.report.cells import Badge, Cell, Table, ci, integer, num, pct, scored
from wslab.app.report.charts import BLUE, GREY, bar_chart, nice_range
from wslab.app.report.sections import SECTIONS, candidates

__all__ = ["TAG_ROWS", "TAG_SECTIONS", "compute_tag_sections", "is_multilabel", "tag_summary"]

TAG_ROWS = (("final", "Final tags"), ("majority_vote", "Majority vote"), ("gold_only", "Gold only"))
OVERALL = (("micro_f1", "micro F1"), ("macro_f1", "macro F1"), ("subset_accuracy", "subset accuracy"),
           ("hamming_loss", "Hamming loss (lower is better)"))


def is_multilabel(d: dict[str, Any]) -> bool:
    return bool(d["metrics"].get("multilabel"))


def _tags(d: dict[str, Any]) -> list[str]:
    m = d["metrics"]
    return [str(t) for t in m.get("labels") or []] or list((d.get("tags") or {}).get("tags") or [])


def _chosen(d: dict[str, Any]) -> dict[str, str]:
    chosen = d["metrics"].get("chosen") or d["manifest"].get("chosen") or {}
    return {str(k): str(v) for k, v in chosen.items()} if isinstance(chosen, dict) else {}


def tag_summary(d: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The summary of :func:`wslab.app.report.sections.summary` (``base``, computed without the
    per-tag keys) with the quality card and the "labels from" card of a multi-label run."""
    final = (d["metrics"].get("test") or {}).get("final")
    cards = list(base["cards"])
    if final:
        c = final.get("ci") or {}
        cards[0] = {"k": "Final tags, micro F1 on gold test", "v": num(final.get("micro_f1")),
                    "s": f'n={integer(final.get("n"))}; macro F1 {num(final.get("macro_f1"))}; subset accuracy '
                         f'{num(final.get("subset_accuracy"))}', "ci": ci(c.get("micro_f1")), "word": False}
    chosen = _chosen(d)
    kinds = sorted(set(chosen.values()))
    cards[2] = {"k": "Tags from", "v": kinds[0] if len(kinds) == 1 else f"{len(kinds)} pipelines",
                "s": "; ".join(f"{t}: {p}" for t, p in chosen.items()) + ("; each chosen on gold dev (out of fold) "
                                                                         "for its tag" if chosen else ""),
                "ci": "", "word": True}
    return {**base, "cards": cards}


def tag_evaluation(d: dict[str, Any]) -> dict[str, Any] | None:
    m = d["metrics"]
    test = m.get("test")
    if not test:
        return None
    rows, groups = [], []
    for key, title in TAG_ROWS:
        r = test.get(key)
        if not r:
            continue
        c = r.get("ci") or {}
        rows.append([Cell(title), integer(r.get("n")), *(scored(r.get(k), c.get(k), style="strong" if k == "micro_f1"
                                                                else "") for k, _ in OVERALL)])
        groups.append((title, [("micro F1", r.get("micro_f1"), c.get("micro_f1"), BLUE),
                               ("macro F1", r.get("macro_f1"), c.get("macro_f1"), GREY)]))
    shown = [v for _, bars in groups for _, value, bounds, _ in bars for v in (value, *(bounds or ()))]
    xmin, xmax = nice_range(shown)
    gold = m.get("gold") or {}
    return {"n_test": integer(gold.get("n_test")), "n_dev": integer(gold.get("n_dev")), "xmin": xmin,
            "table": Table.of(["tags from", "n", *(f"{name} [95% CI]" for _, name in OVERALL)], rows,
                              num=(1, 2, 3, 4, 5)),
            "chart": bar_chart(groups, title="micro and macro F1 with 95% CIs",
                               axis="score" + (f" (the axis starts at {xmin:.1f}, not 0)" if xmin > 0 else ""),
                               xmin=xmin, xmax=xmax),
            "per_tag": [(title, _per_tag(test[key], _tags(d), _chosen(d) if key == "final" else None))
                        for key, title in TAG_ROWS if (test.get(key) or {}).get("per_tag")],
            "candidates": _tag_candidates(m.get("candidates"), _chosen(d))}


def _per_tag(row: dict[str, Any], tags: list[str], chosen: dict[str, str] | None) -> Table:
    """Per tag: precision / recall / F1 with CIs and support; the chosen candidate for the final tags."""
    per, pci = row.get("per_tag") or {}, (row.get("ci") or {}).get("per_tag") or {}
    rows = []
    for t in tags or list(per):
        s, c = per.get(t) or {}, pci.get(t) or {}
        cells: list[Cell | str] = [Cell(t, style="strong")]
        if chosen is not None:
            cells.append(Cell(badges=(Badge(chosen[t], "ok", title=f"the pipeline that wrote p_{t}"),))
                         if t in chosen else "—")
        rows.append([*cells, scored(s.get("precision"), c.get("precision")), scored(s.get("recall"), c.get("recall")),
                     scored(s.get("f1"), c.get("f1"), style="strong"), integer(s.get("support"))])
    head = ["tag", *(["chosen candidate"] if chosen is not None else []), "precision [95% CI]", "recall [95% CI]",
            "F1 [95% CI]", "support"]
    first = 2 if chosen is not None else 1
    return Table.of(head, rows, num=range(first, first + 4))


def _tag_candidates(block: Any, chosen: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]] | None:
    """Per tag: (tag, chosen candidate, the candidate table of :func:`sections.candidates`)."""
    if not isinstance(block, dict) or not block:
        return None
    out = []
    for tag, table in block.items():
        if isinstance(table, dict) and table.get("rows"):
            out.append((str(tag), chosen.get(str(tag), str(table.get("chosen") or "—")), candidates(table)))
    return out or None


def tag_distribution(d: dict[str, Any]) -> dict[str, Any] | None:
    """Tags in labels.parquet: per tag its documents, share, gold test support and sources."""
    c = d.get("tags")
    if c is None:
        return None
    tags = [t for t in _tags(d) if t in c["counts"]] or c["tags"]
    n = c["n"] or 1
    per = ((d["metrics"].get("test") or {}).get("final") or {}).get("per_tag") or {}
    n_test = ((d["metrics"].get("test") or {}).get("final") or {}).get("n")
    groups, rows = [], []
    for t in tags:
        share = c["counts"][t] / n
        sup = (per.get(t) or {}).get("support")
        gshare = sup / n_test if per and n_test else None
        groups.append((t, [("final tags", share, None, BLUE)] + ([("gold test", gshare, None, GREY)] if per else [])))
        src = ", ".join(f"{k}: {v:,}" for k, v in (c["sources"].get(t) or {}).items()) or "—"
        rows.append([Cell(t, style="strong"), integer(c["counts"][t]), pct(share),
                     *([integer(sup), pct(gshare)] if per else []), Cell(src, style="small")])
    _, xmax = nice_range([b[1] for _, bars in groups for b in bars] + [0.05], floor_at_zero=True)
    legend = [(f"final tags (n={c['n']:,})", BLUE)] + ([(f"gold test (n={integer(n_test)})", GREY)] if per else [])
    return {"n": f"{c['n']:,}", "legend": legend,
            "sizes": ", ".join(f"{k} tag{'' if k == 1 else 's'}: {v:,} ({pct(v / n)})" for k, v in c["sizes"].items()),
            "chart": bar_chart(groups, title="tag distribution", axis="share of documents", xmax=xmax,
                               fmt=lambda v: f"{100 * v:.0f}%"),
            "table": Table.of(["tag", "documents", "share", *(["gold test", "share"] if per else []), "source"],
                              rows, num=(1, 2, 3, 4) if per else (1, 2))}


def tag_cooccurrence(d: dict[str, Any]) -> dict[str, Any] | None:
    """The co-occurrence heat map: documents carrying both tags; a cell's colour is its share of
    the row tag's documents (the diagonal: the tag's own count)."""
    c = d.get("tags")
    if c is None or not c["tags"]:
        return None
    order = [t for t in _tags(d) if t in c["tags"]] or c["tags"]
    idx = [c["tags"].index(t) for t in order]
    rows = []
    for i in idx:
        own = c["matrix"][i][i]
        cells = []
        for j in idx:
            v = c["matrix"][i][j]
            share = v / own if own else 0.0
            alpha = 0.06 + 0.85 * share if v and i != j else (0.85 if v else 0.0)
            cells.append({"v": f"{v:,}", "share": "" if i == j else f"{100 * share:.0f}%", "diag": i == j,
                          "title": (f"{c['tags'][i]}: {v:,} documents" if i == j else
                                    f"{v:,} of the {own:,} {c['tags'][i]} documents also carry {c['tags'][j]} "
                                    f"({100 * share:.1f}%)"),
                          "style": f"background:rgba({'107,114,128' if i == j else '37,99,235'},{alpha:.2f});"
                                   f"color:{'#fff' if alpha > 0.55 else '#111827'}"})
        rows.append({"label": c["tags"][i], "cells": cells, "n": f"{own:,}"})
    return {"labels": order, "rows": rows, "n": f"{c['n']:,}"}


def tag_rounds(d: dict[str, Any]) -> dict[str, Any] | None:
    """Review rounds of a multi-label run: each round's final tags on the frozen gold test scored
    as the evaluation scores them (micro / macro F1, subset accuracy, Hamming loss, with CIs)."""
    from wslab.app.report.sections import _precision_cell
    from wslab.app.review_loop import SIGNALS

    rounds_ = d["metrics"].get("rounds") or []
    if not rounds_:
        return None
    head = ["Round", "Answers", "Changed", *(f"Test {name}" for _, name in OVERALL), "Queue precision",
            *(f"Precision: {s}" for s in SIGNALS)]
    rows = []
    for r in rounds_:
        test = r.get("test") or {}
        c = test.get("ci") or {}
        rows.append([integer(r.get("round")), integer(r.get("answers")), integer(r.get("changed")),
                     *(scored(test.get(k), c.get(k), style="strong" if k == "micro_f1" else "") for k, _ in OVERALL),
                     _precision_cell(r.get("queue_precision")),
                     *(_precision_cell((r.get("per_signal") or {}).get(s)) for s in SIGNALS)])
    return {"table": Table.of(head, rows, num=range(1, len(head)), cls_="rounds")}


def _coef(name: str, c: dict[str, Any] | None, tag: str = "") -> list[Cell | str]:
    from wslab.app.report.sections import _coef_row

    row = _coef_row(name, c)
    return [row[0], Cell(tag or "all tags"), *row[1:]]


def tag_agreement(d: dict[str, Any]) -> dict[str, Any] | None:
    """Agreement of a multi-label run (agreement.json of :func:`wslab.quality.agreement_tags.
    tag_agreement_report`): Krippendorff's alpha on tag sets (MASI), per tag the headline
    coefficients, Cohen's kappa per annotator pair and tag, and per tag each rater (annotators, the
    tag's LFs) against gold -- every row names its tag."""
    a = d["agreement"]
    if not a:
        return None
    if not a.get("multilabel"):
        from wslab.app.report.sections import agreement

        return agreement(d)
    data, per_tag = a.get("data") or {}, a.get("per_tag") or {}
    lowest = [("percent agreement (pairwise), lowest tag", "percent_agreement"),
              ("Fleiss' kappa, lowest tag", "fleiss_kappa"), ("Gwet's AC1, lowest tag", "gwet_ac1")]
    rows = [_coef("Krippendorff's alpha (MASI distance on tag sets)", a.get("masi_alpha")),
            *(_coef(name, a.get(k), str((a.get(k) or {}).get("tag") or "")) for name, k in lowest)]
    prevalence = data.get("prevalence") or {}
    per = [[Cell(str(r.get("tag")), style="strong"), pct(prevalence.get(r.get("tag"), r.get("prevalence"))),
            *(num(r.get(k)) for k in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1",
                                      "mean_kappa_vs_gold"))] for r in a.get("tag_table") or []]
    pairs = [[Cell(str(p.get("tag")), style="strong"), " × ".join(p.get("annotators", [])), num(p.get("value")),
              Cell(ci=ci(p.get("ci"))), integer(p.get("n")), str(p.get("band") or "—")]
             for p in a.get("cohen_kappa") or []]
    gold = []
    for tag, rep in per_tag.items():
        for src in ((rep or {}).get("vs_gold") or {}).get("sources") or []:
            acc, kappa = src.get("accuracy") or {}, src.get("cohen_kappa") or {}
            gold.append([Cell(str(tag), style="strong"), str(src.get("name")), integer(src.get("n")),
                         scored(acc.get("value"), acc.get("ci")), scored(kappa.get("value"), kappa.get("ci")),
                         str(kappa.get("band") or "—")])
    scale = next((rep.get("scale") or {} for rep in per_tag.values() if rep), {})
    return {"n_items": integer(data.get("n_items")), "annotators": [str(x) for x in data.get("annotators", [])],
            "n_ratings": integer(data.get("n_ratings")), "scale": scale.get("name", ""),
            "reference": scale.get("reference", ""), "warnings": a.get("warnings", []),
            "table": Table.of(["coefficient", "tag", "value", "95% CI", "n items", "band", "CI method"], rows,
                              num=(2, 3, 4)),
            "per_tag": Table.of(["tag", "prevalence", "percent agreement", "Fleiss' kappa", "Krippendorff's alpha",
                                 "Gwet's AC1", "mean kappa vs gold"], per, num=range(1, 7)) if per else None,
            "pairs": Table.of(["tag", "annotators", "kappa", "95% CI", "n", "band"], pairs, num=(2, 3, 4))
            if pairs else None,
            "vs_gold": Table.of(["tag", "rater", "n", "accuracy [95% CI]", "kappa [95% CI]", "band"], gold,
                                num=(2, 3, 4)) if gold else None}


TAG_SECTIONS = {"evaluation": tag_evaluation, "classes": tag_distribution, "confusion": tag_cooccurrence,
                "rounds": tag_rounds, "agreement": tag_agreement}
"""The sections a multi-label run computes here instead of in :mod:`wslab.app.report.sections`."""


def compute_tag_sections(d: dict[str, Any]) -> dict[str, Any]:
    """Every section's values for a multi-label run: evaluation, tags and co-occurrence from
    :data:`TAG_SECTIONS`; the other sections of :data:`wslab.app.report.sections.SECTIONS` see the
    metrics without the per-tag keys; the summary gets the multi-label cards."""
    per_tag = ("chosen", "candidates", "test")
    plain = {**d, "metrics": {k: v for k, v in d["metrics"].items() if k not in per_tag},
             "manifest": {k: v for k, v in d["manifest"].items() if k != "chosen"}}
    values = {sid: TAG_SECTIONS[sid](d) if sid in TAG_SECTIONS else fn(plain) for sid, fn in SECTIONS.items()}
    values["summary"] = tag_summary(d, values["summary"])
    return values
