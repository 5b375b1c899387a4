"""The run report: one self-contained ``report.html`` built from the files of a run folder.

:func:`build_report` reads what ``wslab apply`` wrote (``manifest.json``, ``metrics.json``,
``lf_analysis.csv``, ``labels.parquet``, ``agreement.json``, ``cartography.parquet``,
``queue.csv``) and returns HTML with inline CSS and inline SVG charts: no JavaScript, CSS or
fonts from anywhere else, so the page opens offline. The interactive data map is the page of
:func:`wslab.cartography.plots.data_map_html`, embedded in an ``<iframe srcdoc>``.

Every text from the run (document texts, ids, label and LF names, file paths) is untrusted
data: it is HTML-escaped, so a document containing ``<script>`` shows as text. A stage that
did not run (no gold, no quality stage, no annotations) gets a short "not run" note.

The page holds no timestamp and no absolute run-folder path, so rebuilding a report from the
same files (``wslab report RUN_DIR``) gives the same bytes.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from wslab import artifacts as A
from wslab import io
from wslab.errors import InputError

__all__ = ["build_report", "REPORT_SECTIONS"]

REPORT_SECTIONS = ("summary", "evaluation", "lfs", "classes", "confusion", "agreement", "data-map", "queue", "rounds", "run")
"""The ``id`` of every ``<section>`` of the report, in page order."""

MODEL_ROWS = (("majority_vote", "Majority vote"), ("label_model", "Label model (Snorkel)"),
              ("end_model", "End model (TF-IDF + LR)"), ("final", "Final labels"),
              ("llm_zero_shot", "LLM zero-shot (baseline)"))
QUEUE_ROWS = 25
TEXT_CHARS = 280


# ---------------------------------------------------------------- reading the run folder


def _read_json(path: Path, *, required: bool) -> Any:
    if not path.is_file():
        if required:
            raise InputError(f"{path}: file not found; expected a run folder written by wslab apply")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: bytes that are not UTF-8; expected the JSON file wslab apply writes") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); "
                         "expected the JSON file wslab apply writes") from None


def _read_frame(path: Path, what: str, dtypes: dict | None = None) -> pl.DataFrame | None:
    """An optional table of the run folder (may have zero rows); None when absent."""
    if not path.is_file():
        return None
    lf = io.scan_table(path, what=what)
    if dtypes:
        names = lf.collect_schema().names()
        lf = lf.with_columns(pl.col(c).cast(t) for c, t in dtypes.items() if c in names)
    try:
        return lf.collect()
    except Exception as exc:  # polars raises several error types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read {what}: {first}") from None


def _load(run_dir: Path) -> dict[str, Any]:
    if not run_dir.exists():
        raise InputError(f"{run_dir}: run folder not found")
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: is a file; expected a run folder written by wslab apply")
    manifest = _read_json(run_dir / A.MANIFEST, required=True)
    metrics = _read_json(run_dir / A.METRICS, required=True)
    for name, obj in ((A.MANIFEST, manifest), (A.METRICS, metrics)):
        if not isinstance(obj, dict):
            raise InputError(f"{run_dir / name}: expected a JSON object; got {type(obj).__name__}")
    labels_frame = _read_frame(run_dir / A.LABELS, "labels")
    class_counts = None
    if labels_frame is not None and "label" in labels_frame.columns:
        class_counts = {str(k): int(v) for k, v in labels_frame["label"].value_counts().iter_rows()}
        sources = (labels_frame["source"].value_counts().sort("source") if "source" in labels_frame.columns
                   else None)
        class_counts = {"counts": class_counts, "n": labels_frame.height,
                        "sources": {str(k): int(v) for k, v in sources.iter_rows()} if sources is not None else {}}
    return {
        "manifest": manifest,
        "metrics": metrics,
        "lfs": _read_frame(run_dir / A.LF_ANALYSIS, "LF analysis"),
        "classes": class_counts,
        "agreement": _read_json(run_dir / A.AGREEMENT, required=False),
        "cartography": _read_frame(run_dir / A.CARTOGRAPHY, "cartography"),
        "queue": _read_frame(run_dir / A.QUEUE, "relabel queue", A.QUEUE_DTYPES),
    }


# ---------------------------------------------------------------- formatting


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num(x: Any, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if _ok(x) else "—"


def _pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if _ok(x) else "—"


def _ci(ci: Sequence[float] | None, digits: int = 3) -> str:
    if not ci or len(ci) != 2 or not all(_ok(v) for v in ci):
        return ""
    return f'<span class="ci">[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]</span>'


def _int(x: Any) -> str:
    return f"{int(x):,}" if _ok(x) else "—"


def _not_run(text: str) -> str:
    return f'<p class="not-run"><strong>Not run.</strong> {text}</p>'


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, num_cols: Sequence[int] = (),
           cls: str = "") -> str:
    """An HTML table; cells are already-escaped HTML; ``num_cols`` are right-aligned."""
    num = set(num_cols)
    th = "".join(f'<th class="{"num" if i in num else ""}">{h}</th>' for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i in num else ""}">{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _section(sid: str, title: str, body: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{sid}"><h2>{_e(title)}</h2>{lead_html}{body}</section>'


# ---------------------------------------------------------------- SVG charts

_BLUE, _GREY, _DARK = "#2563eb", "#9ca3af", "#111827"


def _bar_chart(groups: Sequence[tuple[str, Sequence[tuple[str, float, Sequence[float] | None, str]]]], *,
               title: str, width: int = 720, xmax: float = 1.0, fmt=lambda v: f"{v:.3f}") -> str:
    """Horizontal bars with optional CI whiskers.

    ``groups``: [(group label, [(series label, value, [lo, hi] or None, colour), ...]), ...].
    """
    label_w, right, bar_h, gap, top = 190, 120, 16, 14, 26
    n_bars = sum(len(bars) for _, bars in groups)
    height = top + n_bars * (bar_h + 3) + len(groups) * gap + 24
    plot_w = width - label_w - right

    def x(v: float) -> float:
        return label_w + plot_w * max(0.0, min(v, xmax)) / xmax

    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    step = 0.1 if xmax <= 0.5 else 0.2
    for i in range(int(xmax / step + 1e-9) + 1):
        v = step * i
        parts.append(f'<line x1="{x(v):.1f}" y1="{top - 6}" x2="{x(v):.1f}" y2="{height - 20}" stroke="#e5e7eb"/>'
                     f'<text x="{x(v):.1f}" y="{height - 6}" text-anchor="middle" class="tick">{_e(fmt(v))}</text>')
    y = top
    for group, bars in groups:
        gy = y
        for name, value, ci, colour in bars:
            if not _ok(value):
                y += bar_h + 3
                continue
            parts.append(f'<rect x="{label_w}" y="{y}" width="{x(value) - label_w:.1f}" height="{bar_h}" '
                         f'fill="{colour}" rx="2"><title>{_e(group)} {_e(name)}: {_e(fmt(value))}</title></rect>')
            end = x(value)
            if ci and len(ci) == 2 and all(_ok(c) for c in ci):
                lo, hi, cy = x(ci[0]), x(ci[1]), y + bar_h / 2
                parts.append(f'<path d="M{lo:.1f},{cy} H{hi:.1f} M{lo:.1f},{cy - 5} V{cy + 5} '
                             f'M{hi:.1f},{cy - 5} V{cy + 5}" stroke="{_DARK}" stroke-width="1.4" fill="none"/>')
                end = max(end, hi)
            label = fmt(value) + (f"  {name}" if len(bars) > 1 else "")
            parts.append(f'<text x="{end + 6:.1f}" y="{y + bar_h - 3}" class="val">{_e(label)}</text>')
            y += bar_h + 3
        mid = gy + (y - gy) / 2 + 4
        parts.append(f'<text x="{label_w - 8}" y="{mid:.1f}" text-anchor="end" class="lab">{_e(group)}</text>')
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{_e(t)}</span>' for t, c in items) + "</div>"


# ---------------------------------------------------------------- sections


def _summary(d: dict[str, Any]) -> str:
    m, man = d["metrics"], d["manifest"]
    rows = man.get("rows", {})
    cards: list[tuple[str, str, str]] = []
    final = (m.get("test") or {}).get("final")
    if final:
        cards.append(("Final labels, macro F1 on gold test", _num(final.get("macro_f1")),
                      f'{_ci((final.get("ci") or {}).get("macro_f1"))} n={_int(final.get("n"))}; '
                      f'accuracy {_num(final.get("accuracy"))}'))
    else:
        cards.append(("Quality on gold", "—", "no gold set in the config"))
    n_docs, covered = rows.get("corpus"), rows.get("covered")
    cov = covered / n_docs if _ok(covered) and _ok(n_docs) and n_docs else None
    cards.append(("LF coverage", _pct(cov), f"{_int(covered)} of {_int(n_docs)} documents have an LF vote"))
    cards.append(("Labels from", f'<span class="word">{_e(_model_name(m.get("chosen_label_model") or man.get("label_model")))}</span>',
                  f'{_int(rows.get("lfs"))} LFs; the end model labels the rest'))
    q = man.get("quality")
    if q:
        cards.append(("Flagged for relabeling", _int(q.get("flagged")),
                      f'of {_int(q.get("checked"))} checked; {_int(q.get("cleanlab_issues"))} cleanlab issues'))
    else:
        cards.append(("Flagged for relabeling", "—", "quality stage not run"))
    ag = d["agreement"]
    if ag:
        ka = ag.get("krippendorff_alpha") or {}
        cards.append(("Annotator agreement (Krippendorff's α)", _num(ka.get("value")),
                      f'{_ci(ka.get("ci"))} {_e(ka.get("band") or "")}; '
                      f'{len((ag.get("data") or {}).get("annotators", []))} annotators'))
    llm = man.get("llm") or {}
    tokens = (llm.get("tokens_in") or 0) + (llm.get("tokens_out") or 0)
    if tokens:
        cards.append(("LLM cost", f'${llm.get("cost_usd", 0.0) or 0.0:.4f}', f"{tokens:,} tokens in and out"))
    else:
        cards.append(("LLM cost", "$0", "no LLM calls in this run"))
    html_cards = "".join(f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{v}</div>'
                         f'<div class="s">{s}</div></div>' for k, v, s in cards)
    notes = [*m.get("notes", []), *((ag or {}).get("warnings", []))]
    notes_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return _section("summary", "Summary", f'<div class="cards">{html_cards}</div>{notes_html}')


def _model_name(key: str | None) -> str:
    return dict(MODEL_ROWS).get(key or "", key or "—")


def _evaluation(d: dict[str, Any]) -> str:
    m = d["metrics"]
    test = m.get("test")
    if not test:
        return _section("evaluation", "Majority vote vs label model vs end model",
                        _not_run("No gold set in the config (key <code>gold</code>), so nothing is scored."))
    chosen = m.get("chosen_label_model")
    rows, groups = [], []
    for key, title in MODEL_ROWS:
        r = test.get(key)
        if not r:
            continue
        ci = r.get("ci") or {}
        star = ' <span class="badge ok">used</span>' if key == chosen else ""
        rows.append([_e(title) + star, _int(r.get("n")),
                     f'{_num(r.get("accuracy"))} {_ci(ci.get("accuracy"))}',
                     f'<strong>{_num(r.get("macro_f1"))}</strong> {_ci(ci.get("macro_f1"))}',
                     f'{_num(r.get("weighted_f1"))} {_ci(ci.get("weighted_f1"))}', _pct(r.get("coverage"))])
        groups.append((title, [("accuracy", r.get("accuracy"), ci.get("accuracy"), _GREY),
                               ("macro F1", r.get("macro_f1"), ci.get("macro_f1"), _BLUE)]))
    gold = m.get("gold") or {}
    lead = (f'Scored on the gold <strong>test</strong> split (n={_int(gold.get("n_test"))}) with 95% bootstrap CIs; '
            f'gold dev (n={_int(gold.get("n_dev"))}) chose the label model. Majority vote and the label model give '
            'uncovered items the most likely class of the prior; <em>coverage</em> says how many had an LF vote.')
    body = _table(["model", "n", "accuracy [95% CI]", "macro F1 [95% CI]", "weighted F1 [95% CI]", "coverage"],
                  rows, num_cols=(1, 2, 3, 4, 5))
    body += _legend([("accuracy", _GREY), ("macro F1", _BLUE), ("95% CI", _DARK)])
    body += _bar_chart(groups, title="accuracy and macro F1 with 95% CIs")
    final = test.get("final") or test.get(chosen or "")
    if final and final.get("per_class"):
        pc_ci = (final.get("ci") or {}).get("per_class") or {}
        pc_rows = []
        for lab, s in final["per_class"].items():
            c = pc_ci.get(lab) or {}
            pc_rows.append([_e(lab), f'{_num(s.get("precision"))} {_ci(c.get("precision"))}',
                            f'{_num(s.get("recall"))} {_ci(c.get("recall"))}',
                            f'{_num(s.get("f1"))} {_ci(c.get("f1"))}', _int(s.get("support"))])
        body += "<h3>Final labels per class (gold test)</h3>" + _table(
            ["class", "precision [95% CI]", "recall [95% CI]", "F1 [95% CI]", "support"], pc_rows,
            num_cols=(1, 2, 3, 4))
    body += _candidates(d)
    return _section("evaluation", "Majority vote vs label model vs end model", body, lead)


def _score_cell(s: dict | None) -> str:
    return "—" if not s else f'{_num(s.get("value"))} {_ci(s.get("ci"))}'


def _candidates(d: dict[str, Any]) -> str:
    block = d["metrics"].get("candidates")
    if not block:
        return ""
    rows = []
    for r in block["rows"]:
        mark = ('<span class="badge ok">chosen</span>' if r["chosen"] else ("" if r["eligible"] else "learning curve"))
        rows.append([_e(r["name"]), _e(r["kind"]), _score_cell(r["oof"]), _score_cell(r["test"]), mark])
    lead = (f'Every whole pipeline scored by <strong>{_e(block["metric"])}</strong>, {_int(block["folds"])}-fold out of '
            'fold on gold dev (a candidate that learns from dev labels is refitted without the held-out fold). The '
            'best dev score chose, or a simpler candidate within one standard error of it'
            + (' (here pinned in the config)' if block.get("pinned") else '') +
            '. Gold test is scored for every candidate and never used to choose. "gold_only(25%)" and "(50%)": '
            'the golden set alone with part of dev, so you can see what more expert labels would buy.')
    body = _table(["candidate", "kind", "dev OOF [95% CI]", "test [95% CI]", ""], rows, num_cols=(2, 3))
    return f'<h3 id="candidates">Pipeline candidates</h3><p class="lead">{lead}</p>{body}'


_FLAG_HELP = {"zero_coverage": "never votes", "below_chance": "dev accuracy below chance",
              "no_dev_votes": "no vote on gold dev"}


def _lfs(d: dict[str, Any]) -> str:
    t = d["lfs"]
    if t is None:
        return _section("lfs", "Labeling functions", _not_run("lf_analysis.csv is not in the run folder."))
    has_dev = "dev_accuracy" in t.columns
    rows = []
    for r in t.iter_rows(named=True):
        cov = r.get("coverage")
        bar = (f'<span class="mini"><i style="width:{100 * cov:.1f}%"></i></span>' if _ok(cov) else "")
        flags = [f for f in str(r.get("flags") or "").split(",") if f]
        badges = " ".join(f'<span class="badge warn" title="{_e(_FLAG_HELP.get(f, f))}">{_e(f)}</span>'
                          for f in flags)
        row = [f"<code>{_e(r.get('lf'))}</code>", _e(r.get("polarity")), f"{bar}{_pct(cov)}",
               _pct(r.get("overlaps")), _pct(r.get("conflicts"))]
        if has_dev:
            acc = r.get("dev_accuracy")
            row += [f'{_num(acc, 2)} {_ci([r.get("dev_ci_low"), r.get("dev_ci_high")], 2) if _ok(acc) else ""}',
                    _int(r.get("dev_n")), _num(r.get("chance"), 2)]
        rows.append(row + [badges])
    head = ["LF", "polarity", "coverage", "overlaps", "conflicts"]
    if has_dev:
        head += ["dev accuracy [95% CI]", "dev n", "chance"]
    head.append("flags")
    num_cols = (2, 3, 4, 5, 6, 7) if has_dev else (2, 3, 4)
    n_flagged = sum(1 for f in t["flags"].to_list() if f) if "flags" in t.columns else 0
    lead = (f"{t.height} LFs, {n_flagged} flagged. Coverage, overlaps and conflicts are shares of all documents; "
            + ("dev accuracy is over the gold dev items the LF votes on (Wilson 95% CI), beside the accuracy of "
               "an LF voting the same labels at random (chance)." if has_dev else "no gold, so no dev accuracy."))
    return _section("lfs", "Labeling functions", _table(head, rows, num_cols=num_cols, cls="lf"), lead)


def _classes(d: dict[str, Any]) -> str:
    c = d["classes"]
    m = d["metrics"]
    labels = [str(x) for x in m.get("labels") or []]
    if c is None:
        return _section("classes", "Class distribution", _not_run("labels.parquet is not in the run folder."))
    labels = labels or sorted(c["counts"])
    n = c["n"] or 1
    gold_pc = ((m.get("test") or {}).get("final") or {}).get("per_class")
    gold_n = sum(v.get("support", 0) for v in gold_pc.values()) if gold_pc else 0
    groups, rows = [], []
    for lab in labels:
        share = c["counts"].get(lab, 0) / n
        bars = [("final labels", share, None, _BLUE)]
        gshare = None
        if gold_pc and gold_n:
            gshare = (gold_pc.get(lab) or {}).get("support", 0) / gold_n
            bars.append(("gold test", gshare, None, _GREY))
        groups.append((lab, bars))
        rows.append([_e(lab), _int(c["counts"].get(lab, 0)), _pct(share)]
                    + ([_int((gold_pc.get(lab) or {}).get("support", 0)), _pct(gshare)] if gold_pc else []))
    xmax = max([b[1] for _, bars in groups for b in bars if _ok(b[1])] + [0.05])
    xmax = min(1.0, math.ceil(xmax * 10 + 0.5) / 10)
    chart = _bar_chart(groups, title="class distribution", xmax=xmax, fmt=lambda v: f"{100 * v:.0f}%")
    legend = _legend([(f"final labels (n={c['n']:,})", _BLUE)] + ([(f"gold test (n={gold_n:,})", _GREY)] if gold_pc else []))
    head = ["class", "final labels", "share"] + (["gold test", "share"] if gold_pc else [])
    src = ", ".join(f"{_e(_model_name(k))}: {v:,}" for k, v in c["sources"].items())
    lead = f"Labels in <code>labels.parquet</code> ({c['n']:,} documents; by source: {src or '—'})."
    body = (f'<div class="two"><div>{legend}{chart}</div><div>'
            f'{_table(head, rows, num_cols=(1, 2, 3, 4))}</div></div>')
    return _section("classes", "Class distribution", body, lead)


def _confusion_table(labels: Sequence[str], matrix: Sequence[Sequence[int]], *, rows_are: str = "gold",
                     cols_are: str = "predicted") -> str:
    head = f'<th class="corner">{_e(rows_are)} ↓ / {_e(cols_are)} →</th>' + "".join(
        f"<th>{_e(lab)}</th>" for lab in labels) + '<th class="num">n</th><th class="num">recall</th>'
    body = []
    for i, (lab, line) in enumerate(zip(labels, matrix)):
        total = sum(line) or 1
        cells = []
        for j, v in enumerate(line):
            share = v / total
            alpha = 0.08 + 0.85 * share if v else 0.0
            colour = "#fff" if alpha > 0.55 else _DARK
            base = "37,99,235" if i == j else "220,38,38"
            cells.append(f'<td class="heat{" diag" if i == j else ""}" style="background:rgba({base},{alpha:.2f});'
                         f'color:{colour}" title="{_e(lab)} → {_e(labels[j])}: {v} ({100 * share:.1f}% of row)">'
                         f'{v:,}<small>{100 * share:.0f}%</small></td>')
        body.append(f"<tr><th>{_e(lab)}</th>{''.join(cells)}<td class='num'>{sum(line):,}</td>"
                    f"<td class='num'>{_pct(line[i] / total if i < len(line) else None)}</td></tr>")
    return f'<table class="confusion"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _confusion(d: dict[str, Any]) -> str:
    m = d["metrics"]
    test = m.get("test") or {}
    labels = [str(x) for x in m.get("labels") or []]
    shown = [(k, t) for k, t in MODEL_ROWS if (test.get(k) or {}).get("confusion")]
    if not shown or not labels:
        return _section("confusion", "Confusion matrix", _not_run("No gold set in the config, so no confusion matrix."))
    key, title = next(((k, t) for k, t in shown if k == "final"), shown[0])
    body = _confusion_table(labels, test[key]["confusion"])
    others = [(k, t) for k, t in shown if k != key]
    if others:
        body += "<details><summary>Other models</summary>" + "".join(
            f"<h3>{_e(t)}</h3>{_confusion_table(labels, test[k]['confusion'])}" for k, t in others) + "</details>"
    lead = (f"{_e(title)} on gold test; rows are the expert's label, columns the predicted one. Cell colour: "
            "share of the row (blue on the diagonal = correct, red = confusions).")
    return _section("confusion", "Confusion matrix", body, lead)


def _coef_row(name: str, c: dict[str, Any] | None) -> list[str]:
    c = c or {}
    value = _num(c.get("value")) if _ok(c.get("value")) else f'undefined: {_e(c.get("note", ""))}'
    return [_e(name), f"<strong>{value}</strong>", _ci(c.get("ci")), _int(c.get("n")), _e(c.get("band") or "—"),
            f'<small>{_e(c.get("ci_method") or "")}</small>']


def _agreement(d: dict[str, Any]) -> str:
    a = d["agreement"]
    title = "Agreement between annotators"
    if not a:
        return _section("agreement", title, _not_run("No annotations in the config (key <code>annotations</code>); "
                                                     "<code>wslab agreement</code> measures them on their own."))
    data = a.get("data") or {}
    rows = [_coef_row("percent agreement (pairwise)", a.get("percent_agreement")),
            _coef_row("Fleiss' kappa", a.get("fleiss_kappa"))]
    for level, c in ((a.get("krippendorff_alpha") or {}).get("levels") or {}).items():
        rows.append(_coef_row(f"Krippendorff's alpha ({level})", c))
    rows.append(_coef_row("Gwet's AC1", a.get("gwet_ac1")))
    body = _table(["coefficient", "value", "95% CI", "n items", "band", "CI method"], rows, num_cols=(1, 2, 3))
    pairs = a.get("cohen_kappa") or []
    if pairs:
        body += "<h3>Cohen's kappa by pair</h3>" + _table(
            ["annotators", "kappa", "95% CI", "n", "band"],
            [[_e(" × ".join(p.get("annotators", []))), _num(p.get("value")), _ci(p.get("ci")), _int(p.get("n")),
              _e(p.get("band") or "—")] for p in pairs], num_cols=(1, 2, 3))
    vs = a.get("vs_gold") or {}
    if vs.get("sources"):
        body += f"<h3>Each annotator against gold ({_int(vs.get('n_gold'))} gold items)</h3>" + _table(
            ["source", "n", "accuracy [95% CI]", "kappa [95% CI]", "band", "macro F1"],
            [[_e(s.get("name")), _int(s.get("n")),
              f'{_num((s.get("accuracy") or {}).get("value"))} {_ci((s.get("accuracy") or {}).get("ci"))}',
              f'{_num((s.get("cohen_kappa") or {}).get("value"))} {_ci((s.get("cohen_kappa") or {}).get("ci"))}',
              _e((s.get("cohen_kappa") or {}).get("band") or "—"), _num(s.get("macro_f1"))]
             for s in vs["sources"]], num_cols=(1, 2, 3, 5))
    batches = a.get("batches") or {}
    if batches.get("rows"):
        body += f'<p>{_int(batches.get("n_flagged"))} annotator batches below gold accuracy {_num(batches.get("threshold"), 2)}.</p>'
    body += "".join(f'<p class="note">{_e(w)}</p>' for w in a.get("warnings", []))
    scale = a.get("scale") or {}
    lead = (f'{_int(data.get("n_items"))} items, {len(data.get("annotators", []))} annotators '
            f'({_e(", ".join(map(str, data.get("annotators", []))))}), {_int(data.get("n_ratings"))} ratings. '
            f'Bands: {_e(scale.get("name", ""))} ({_e(scale.get("reference", ""))}). High agreement is not '
            "correctness: the table against gold says who is right.")
    return _section("agreement", title, body, lead)


def _data_map(d: dict[str, Any]) -> str:
    title = "Data map (dataset cartography)"
    carto = d["cartography"]
    if carto is None or carto.height == 0:
        return _section("data-map", title, _not_run("The quality stage did not run (key <code>quality.enabled</code>)."))
    from wslab.cartography.plots import data_map_html

    page = data_map_html(carto, title="Data map of the aggregated labels")
    d["script_hashes"] = _script_hashes(page)
    regions = (carto["region"].value_counts().sort("region").iter_rows() if "region" in carto.columns else [])
    lead = (f"{carto.height:,} labelled documents, each placed by the training dynamics of a model fit to the "
            "aggregated labels: <em>confidence</em> in the given label (y) and its <em>variability</em> across epochs "
            "(x). Hard-to-learn items (low confidence) are often mislabelled. Hover a point to read it. Regions: "
            + ", ".join(f"{_e(r)} {n:,}" for r, n in regions) + ".")
    frame = (f'<iframe class="map" title="interactive data map" sandbox="allow-scripts" '
             f'srcdoc="{html.escape(page, quote=True)}"></iframe>')
    return _section("data-map", title, frame, lead)


def _script_hashes(page: str) -> list[str]:
    """CSP hashes of the executable inline scripts of ``page`` (the data map's code, not its JSON data)."""
    import base64
    import hashlib
    import re

    return [f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
            for m in re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)]


def _change(given: Any, suggested: Any) -> str:
    if given == suggested:
        return f'{_e(given)} <span class="ci">(keep; check)</span>'
    return f"{_e(given)} → <strong>{_e(suggested)}</strong>"


def _queue(d: dict[str, Any]) -> str:
    q = d["queue"]
    title = "Top of the relabel queue"
    if q is None:
        return _section("queue", title, _not_run("The quality stage did not run, so there is no queue.csv."))
    summ = d["manifest"].get("quality") or {}
    flagged = q.filter(pl.col("flagged")) if "flagged" in q.columns else q
    if "rank" in flagged.columns:
        flagged = flagged.sort("rank")
    head = ["rank", "id", "given → suggested", "priority", "reasons", "text"]
    rows = []
    for r in flagged.head(QUEUE_ROWS).iter_rows(named=True):
        text = str(r.get("text") or "")
        cut = text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else "")
        rows.append([_int(r.get("rank")), f"<code>{_e(r.get('id'))}</code>",
                     _change(r.get("given_label"), r.get("suggested_label")),
                     _num(r.get("priority")), f'<small>{_e(r.get("reasons"))}</small>', f'<span class="txt">{_e(cut)}</span>'])
    regions = summ.get("regions") or {}
    lead = (f'{_int(summ.get("checked", q.height))} labelled documents checked with cleanlab '
            f'({_int(summ.get("folds"))}-fold out-of-sample probabilities) and cartography ({_int(summ.get("epochs"))} '
            f'epochs): {_int(summ.get("cleanlab_issues"))} cleanlab issues, {_int(regions.get("hard-to-learn"))} '
            f'hard-to-learn, {_int(regions.get("ambiguous"))} ambiguous; <strong>{flagged.height:,} flagged</strong>. '
            f'The first {min(QUEUE_ROWS, flagged.height)} by priority; all of them are in <code>queue.csv</code> and '
            "<code>label_studio.json</code> (<code>wslab relabel export</code>).")
    body = _table(head, rows, num_cols=(0, 3), cls="queue") if rows else "<p>No item was flagged.</p>"
    return _section("queue", title, body, lead)


def _precision_cell(p: dict[str, Any] | None) -> str:
    if not p or not p.get("n"):
        return "—"
    return f"{_pct(p['precision'])} {_ci(p.get('ci'), 2)} <span class=\"ci\">n={_int(p['n'])}</span>"


def _rounds(d: dict[str, Any]) -> str:
    """Review rounds: answers, changed labels, final labels on the frozen gold test, queue precision."""
    from wslab.loop import SIGNALS

    title = "Review rounds"
    rounds = d["metrics"].get("rounds") or []
    if not rounds:
        return _section("rounds", title, _not_run("No gold set, so no round can be scored on a frozen test."))
    head = ["Round", "Answers", "Changed", "Test accuracy", "Test macro F1", "Queue precision",
            *(f"Precision: {s}" for s in SIGNALS)]
    rows = []
    for r in rounds:
        test = r.get("test") or {}
        ci = test.get("ci") or {}
        rows.append([_int(r["round"]), _int(r["answers"]), _int(r["changed"]),
                     f"{_num(test.get('accuracy'))} {_ci(ci.get('accuracy'))}",
                     f"{_num(test.get('macro_f1'))} {_ci(ci.get('macro_f1'))}", _precision_cell(r["queue_precision"]),
                     *(_precision_cell(r["per_signal"].get(s)) for s in SIGNALS)])
    lead = ("Each round's answers (wslab relabel import) and the final labels of the run that used them, scored "
            "on the same frozen gold test with today's gold labels (95% bootstrap CIs). Queue precision: the share "
            "of reviewed items whose label the expert changed (Wilson 95% CI), overall and per signal that flagged "
            "them. Round 0 is the run before any answer.")
    return _section("rounds", title, _table(head, rows, num_cols=range(1, len(head)), cls="rounds"), lead)


def _run(d: dict[str, Any]) -> str:
    man = d["manifest"]
    rows = man.get("rows") or {}
    timings = man.get("timings_s") or {}
    llm = man.get("llm") or {}
    info = [["config", f"<code>{_e(man.get('config_path') or '—')}</code>"],
            ["config hash", f"<code>{_e(man.get('config_hash'))}</code>"],
            ["seed", _e(man.get("seed"))],
            ["documents", _int(rows.get("corpus"))], ["LFs", _int(rows.get("lfs"))],
            ["covered by an LF", _int(rows.get("covered"))],
            ["gold dev / test", f'{_int(rows.get("gold_dev"))} / {_int(rows.get("gold_test"))}'],
            ["LLM tokens in / out", f'{_int(llm.get("tokens_in", 0))} / {_int(llm.get("tokens_out", 0))}'],
            ["LLM cost (USD)", f'{llm.get("cost_usd", 0.0) or 0.0:.4f}']]
    for k, v in llm.items():
        if k not in ("tokens_in", "tokens_out", "cost_usd") and isinstance(v, (int, float, str)):
            info.append([f"LLM {_e(k)}", _e(v)])
    total = sum(v for v in timings.values() if _ok(v))
    trows = [[_e(k), f"{v:.2f}", _pct(v / total if total else None)] for k, v in timings.items() if _ok(v)]
    trows.append(["<strong>total</strong>", f"<strong>{total:.2f}</strong>", ""])
    vrows = [[_e(k), f"<code>{_e(v)}</code>"] for k, v in (man.get("versions") or {}).items()]
    files = man.get("files") or {}
    frows = [[_e(k), f"<code>{_e(v)}</code>"] for k, v in files.items()] + [["report", "<code>report.html</code>"]]
    body = (f'<div class="three"><div><h3>Run</h3>{_table(["item", "value"], info)}</div>'
            f'<div><h3>Timings (s)</h3>{_table(["stage", "seconds", "share"], trows, num_cols=(1, 2))}</div>'
            f'<div><h3>Versions</h3>{_table(["package", "version"], vrows)}'
            f'<h3>Files</h3>{_table(["artefact", "file"], frows)}</div></div>')
    return _section("run", "Run details", body)


# ---------------------------------------------------------------- page

_CSS = """
:root{--fg:#111827;--mut:#6b7280;--line:#e5e7eb;--bg:#f9fafb;--blue:#2563eb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header{background:#111827;color:#fff;padding:18px 32px 12px}
header h1{margin:0;font-size:22px;font-weight:600}
header .meta{color:#d1d5db;font-size:13px;margin-top:4px}
header code{color:#fff}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px}
nav a{color:var(--fg);text-decoration:none;margin-right:18px;font-size:13px}
nav a:hover{color:var(--blue)}
main{max-width:1280px;margin:0 auto;padding:8px 32px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{font-size:18px;margin:0 0 6px}
h3{font-size:14px;margin:16px 0 6px}
.lead{color:var(--mut);margin:0 0 12px;max-width:980px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.card .k{color:var(--mut);font-size:12px}
.card .v{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0}
.card .v .word{display:block;font-size:17px;line-height:1.35;padding:5px 0 2px}
.card .s{font-size:12px;color:var(--mut)}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--bg);font-weight:600;font-size:12px;color:#374151;border-bottom:2px solid var(--line)}
tbody tr:nth-child(even){background:#fcfcfd}
td.num,th.num{text-align:right;white-space:nowrap}
.ci{color:var(--mut);font-size:12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:9px;margin:1px 2px 1px 0}
.badge.warn{background:#fef3c7;color:#92400e}
.badge.ok{background:#dbeafe;color:#1e40af}
.mini{display:inline-block;width:60px;height:8px;background:#eef2ff;margin-right:6px;vertical-align:middle}
.mini i{display:block;height:8px;background:var(--blue)}
.not-run{color:var(--mut);background:var(--bg);border-left:3px solid var(--line);padding:8px 12px}
.note{background:#fffbeb;border-left:3px solid #f59e0b;padding:6px 10px;margin:10px 0 0}
.legend{font-size:12px;color:var(--mut);margin:6px 0}
.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:-1px}
svg.chart{display:block;max-width:100%;height:auto}
svg .tick{font-size:11px;fill:#6b7280} svg .lab{font-size:12px;fill:#111827} svg .val{font-size:11px;fill:#374151}
.two{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:24px;align-items:start}
.three{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr) minmax(0,2fr);gap:24px}
table.confusion td.heat{text-align:center;min-width:64px;font-weight:600}
table.confusion td.heat small{display:block;font-weight:400;font-size:10px;opacity:.85}
table.confusion td.diag{outline:1px solid rgba(37,99,235,.35)}
table.confusion th.corner{font-size:11px;color:var(--mut)}
table.queue .txt{display:block;max-width:520px;white-space:pre-wrap;word-break:break-word}
iframe.map{width:100%;max-width:820px;height:720px;border:1px solid var(--line);border-radius:6px}
details summary{cursor:pointer;color:var(--blue);margin:8px 0}
@media (max-width:900px){.two,.three{grid-template-columns:1fr}}
"""

_NAV = (("summary", "Summary"), ("evaluation", "Evaluation"), ("lfs", "LFs"), ("classes", "Classes"),
        ("confusion", "Confusion"), ("agreement", "Agreement"), ("data-map", "Data map"), ("queue", "Relabel queue"),
        ("rounds", "Rounds"), ("run", "Run details"))


def build_report(run_dir: Path) -> str:
    """Return the self-contained HTML report of the run folder ``run_dir``.

    Needs ``manifest.json`` and ``metrics.json`` (InputError naming the file otherwise); every
    other artefact is optional and its section says "Not run" when it is absent.
    """
    run_dir = Path(run_dir)
    d = _load(run_dir)
    man = d["manifest"]
    labels = ", ".join(str(x) for x in d["metrics"].get("labels") or [])
    cfg = man.get("config_path")
    meta = (f"config <code>{_e(Path(cfg).name if cfg else '—')}</code> · hash <code>{_e(man.get('config_hash'))}</code>"
            f" · seed {_e(man.get('seed'))} · labels: {_e(labels)} · wslab {_e((man.get('versions') or {}).get('wslab', '?'))}")
    sections = [_summary(d), _evaluation(d), _lfs(d), _classes(d), _confusion(d), _agreement(d), _data_map(d),
                _queue(d), _rounds(d), _run(d)]
    nav = "".join(f'<a href="#{sid}">{_e(t)}</a>' for sid, t in _NAV)
    # Nothing loads from anywhere; the only script allowed to run is the data map's own code (by hash),
    # so even a text that escaped escaping could not execute.
    scripts = " ".join(d.get("script_hashes", [])) or "'none'"
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {scripts}; frame-src 'self'"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
            f"<title>wslab run report</title><style>{_CSS}</style></head><body>"
            f"<header><h1>wslab run report</h1><div class=\"meta\">{meta}</div></header>"
            f"<nav>{nav}</nav><main>{''.join(sections)}</main></body></html>\n")
