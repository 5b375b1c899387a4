"""Issue 19.7: the report of a multi-label run.

A hand-made run folder in the issue's contract (metrics.json ``multilabel: true`` with per-tag
``chosen`` / ``candidates`` and ``test.final`` / ``test.majority_vote`` / ``test.gold_only`` holding
micro/macro F1, subset accuracy, Hamming loss and ``per_tag`` scores with CIs; labels.parquet with
``tags``, ``p_<tag>``, ``source_<tag>``): the page shows every number with its CI, the chosen
candidate per tag, and the tag co-occurrence counted independently here; at 1,400 px in Chromium
no table is wider than the page.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wslab.app.report import build_report
from wslab.app.report.cells import ci as ci_text
from wslab.app.report.cells import num

from .test_report_layout import measure, parse, table

TAGS = ["tariff", "card", "loan", "fraud", "a_rather_long_tag_name_for_wrapping"]
CHOSEN = {"tariff": "label_model(dev)+end_model", "card": "gold+votes", "loan": "majority_vote",
          "fraud": "gold_only", "a_rather_long_tag_name_for_wrapping": "weighted_vote"}
ROWS = ("final", "majority_vote", "gold_only")


def _interval(rng: np.random.Generator, v: float) -> list[float]:
    return [round(max(0.0, v - rng.uniform(0.01, 0.08)), 4), round(min(1.0, v + rng.uniform(0.01, 0.08)), 4)]


def _row(rng: np.random.Generator, n: int) -> dict:
    per, per_ci = {}, {}
    for t in TAGS:
        s = {k: round(float(rng.uniform(0.5, 0.99)), 4) for k in ("precision", "recall", "f1")}
        per[t] = {**s, "support": int(rng.integers(5, 60))}
        per_ci[t] = {k: _interval(rng, v) for k, v in s.items()}
    top = {"micro_f1": rng.uniform(0.7, 0.95), "macro_f1": rng.uniform(0.6, 0.9),
           "subset_accuracy": rng.uniform(0.5, 0.8), "hamming_loss": rng.uniform(0.02, 0.1)}
    top = {k: round(float(v), 4) for k, v in top.items()}
    return {"n": n, **top, "per_tag": per, "ci": {**{k: _interval(rng, v) for k, v in top.items()}, "per_tag": per_ci}}


def _candidates(rng: np.random.Generator, chosen: str) -> dict:
    names = ["majority_vote", "weighted_vote", "label_model(dev)+end_model", "gold_only", "gold+votes"]
    rows = []
    for name in names:
        v, t = round(float(rng.uniform(0.6, 0.9)), 4), round(float(rng.uniform(0.6, 0.9)), 4)
        rows.append({"name": name, "kind": "votes", "uses_dev": False, "eligible": True, "chosen": name == chosen,
                     "oof": {"value": v, "ci": _interval(rng, v), "se": 0.02, "n": 100},
                     "test": {"value": t, "ci": _interval(rng, t), "se": 0.02, "n": 100}})
    return {"metric": "f1", "folds": 5, "chosen": chosen, "pinned": False, "rows": rows, "learning_curve": []}


@pytest.fixture(scope="module")
def tag_run(tmp_path_factory) -> Path:
    rng = np.random.default_rng(19)
    run = tmp_path_factory.mktemp("tags") / "run"
    run.mkdir()
    n = 300
    has = rng.random((n, len(TAGS))) < np.array([0.3, 0.35, 0.15, 0.1, 0.05])
    labels = pl.DataFrame({
        "id": [f"d{i:04d}" for i in range(n)],
        "tags": [[t for t, h in zip(TAGS, row) if h] for row in has],
        **{f"p_{t}": np.where(has[:, k], rng.uniform(0.5, 1, n), rng.uniform(0, 0.5, n)) for k, t in enumerate(TAGS)},
        **{f"source_{t}": [CHOSEN[t]] * n for t in TAGS},
    }, schema_overrides={"tags": pl.List(pl.String)})
    labels.write_parquet(run / "labels.parquet")
    metrics = {"multilabel": True, "labels": TAGS, "chosen": CHOSEN, "notes": [],
               "gold": {"n_dev": 120, "n_test": 118},
               "candidates": {t: _candidates(rng, c) for t, c in CHOSEN.items()},
               "test": {k: _row(rng, 118) for k in ROWS}}
    (run / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    manifest = {"config_hash": "abc123", "config_path": "/somewhere/config.yaml", "seed": 13,
                "versions": {"wslab": "0"}, "timings_s": {"apply": 1.0}, "chosen": CHOSEN, "llm": {},
                "rows": {"corpus": n, "lfs": 12, "covered": 250, "gold_dev": 120, "gold_test": 118},
                "quality": None, "texts": {}, "files": {}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (run / "report.html").write_text(build_report(run), encoding="utf-8")
    return run


def shown(value, bounds) -> str:
    return f"{num(value)} {ci_text(bounds)}"


def test_overall_scores_with_cis(tag_run):
    m = json.loads((tag_run / "metrics.json").read_text())
    p = parse((tag_run / "report.html").read_text())
    rows = {r[0]: r for r in table(p, "evaluation", "tags from")[1:]}
    for key, title in (("final", "Final tags"), ("majority_vote", "Majority vote"), ("gold_only", "Gold only")):
        r = m["test"][key]
        assert rows[title][1:] == [str(r["n"]), *(shown(r[k], r["ci"][k]) for k in
                                                  ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"))]
    card = next(c for c in p.cards if c.startswith("Final tags, micro F1"))
    assert shown(m["test"]["final"]["micro_f1"], m["test"]["final"]["ci"]["micro_f1"]).split(" ", 1)[1] in card
    tags_card = next(c for c in p.cards if c.startswith("Tags from"))
    assert all(f"{t}: {c}" in tags_card for t, c in CHOSEN.items())


def test_per_tag_tables_with_chosen_candidate(tag_run):
    m = json.loads((tag_run / "metrics.json").read_text())
    p = parse((tag_run / "report.html").read_text())
    per_tag = [rows for sid, rows in p.tables if sid == "evaluation" and rows and rows[0][0] == "tag"]
    assert len(per_tag) == 3  # final, majority vote, gold only
    final, mv = per_tag[0], per_tag[1]
    assert final[0] == ["tag", "chosen candidate", "precision [95% CI]", "recall [95% CI]", "F1 [95% CI]", "support"]
    assert [r[0] for r in final[1:]] == TAGS
    for key, rows, lead in (("final", final, 2), ("majority_vote", mv, 1)):
        row = m["test"][key]
        for r in rows[1:]:
            s, c = row["per_tag"][r[0]], row["ci"]["per_tag"][r[0]]
            assert r[lead:] == [shown(s["precision"], c["precision"]), shown(s["recall"], c["recall"]),
                                shown(s["f1"], c["f1"]), str(s["support"])], (key, r)
            if key == "final":
                assert r[1] == CHOSEN[r[0]]
    page = (tag_run / "report.html").read_text()
    for t in TAGS:  # one candidate table per tag, its chosen row marked
        assert f"<strong>{t}</strong>: {CHOSEN[t]}" in page


def test_cooccurrence_matrix_counts_documents_with_both_tags(tag_run):
    labels = pl.read_parquet(tag_run / "labels.parquet")
    sets = [set(ts) for ts in labels["tags"].to_list()]
    p = parse((tag_run / "report.html").read_text())
    rows = table(p, "confusion", "tag ↓ / also carries →")
    assert rows[0][1:-1] == TAGS
    got = {r[0]: r[1:-1] for r in rows[1:]}
    for a, b in [*combinations(TAGS, 2), *((t, t) for t in TAGS)]:
        want = sum(1 for s in sets if a in s and b in s)
        for x, y in ((a, b), (b, a)):
            cell = got[x][TAGS.index(y)]
            assert cell.split("%")[0].startswith(f"{want:,}"), (x, y, cell, want)
    assert sum(1 for s in sets if len(s) >= 2) > 20, "the fixture has co-occurring tags"
    dist = table(p, "classes", "tag")
    assert {r[0]: r[1] for r in dist[1:]} == {t: f"{sum(t in s for s in sets):,}" for t in TAGS}


def test_single_label_sections_are_not_used(tag_run):
    page = (tag_run / "report.html").read_text()
    assert 'href="#classes">Tags<' in page and 'href="#confusion">Co-occurrence<' in page
    assert "Confusion matrix" not in page and "Class distribution" not in page


def test_no_table_wider_than_the_page_at_1400px(chromium, tag_run, tmp_path):
    got = measure(chromium, tag_run / "report.html", tmp_path)
    assert got["docW"] <= got["W"] == 1400
    assert {t["section"] for t in got["tables"]} >= {"evaluation", "classes", "confusion"}
    for t in got["tables"]:
        assert t["right"] <= got["W"] and t["boxScroll"] <= t["box"], t


def test_screenshot_at_1400px(chromium, tag_run):
    """The picture a reviewer looks at (test-artifacts/report-tags-1400.png)."""
    from .test_report import ARTIFACTS

    chromium.screenshot(tag_run / "report.html", ARTIFACTS / "report-tags-1400.png", width=1400, height=3400)
    assert (ARTIFACTS / "report-tags-1400.png").stat().st_size > 10_000
