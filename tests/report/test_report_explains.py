"""The report explains the labels (issue 14.5): learned beside dev LF accuracy with the flags
explained, evaluation bars on an axis that starts near the smallest value, class health."""

from __future__ import annotations

import re
import shutil

import polars as pl
import pytest

from wslab.app.report import build_report
from wslab.app.report.charts import nice_range

from .test_report import section


def test_lf_table_shows_learned_beside_dev_accuracy(run_dir):
    lfs = pl.read_csv(run_dir / "lf_analysis.csv")
    assert "learned_accuracy" in lfs.columns
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    body = section(page, "lfs").replace("<wbr>", "")
    assert "learned accuracy</th>" in body
    for r in lfs.iter_rows(named=True):
        row = re.search(rf"<tr><td[^>]*><code class=\"name\">{re.escape(r['lf'])}</code></td>(.*?)</tr>", body).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        # polarity, coverage, overlaps, conflicts, dev accuracy [CI], learned, dev n, chance, lost / won, flags
        assert cells[4].startswith(f"{r['dev_accuracy']:.2f} <span class=\"ci\">[{r['dev_ci_low']:.2f}, "
                                   f"{r['dev_ci_high']:.2f}]</span>"), cells[4]
        assert cells[5] == f"{r['learned_accuracy']:.2f}", cells[5]
        assert cells[8] == f"{r['conflict_cost']:.1f} / {r['conflict_gain']:.1f}", cells[8]
    assert "lost / won on conflicts</th>" in body


@pytest.fixture()
def flagged_run(run_dir, tmp_path):
    from wslab.core.io import write_table

    dest = tmp_path / "run"
    shutil.copytree(run_dir, dest)
    lfs = pl.read_csv(dest / "lf_analysis.csv")
    flags = ["below_floor,below_label_model", "duplicate_of:kw_pos", *[""] * (lfs.height - 2)]
    write_table(dest / "lf_analysis.csv", lfs.with_columns(pl.Series("flags", flags)))
    return dest


def test_lf_flags_are_badges_with_their_meaning(flagged_run):
    body = section(build_report(flagged_run), "lfs")
    assert "6 LFs, 2 flagged." in body
    badges = {text: title for title, text in re.findall(r'<span class="badge warn" title="([^"]*)">([^<]*)</span>',
                                                        body)}
    assert set(badges) == {"below_floor", "below_label_model", "duplicate_of:kw_pos"}
    assert "accuracy floor" in badges["below_floor"] and "label model" in badges["below_label_model"]
    assert badges["duplicate_of:kw_pos"].endswith(": kw_pos")
    legend = re.search(r'<dl class="flags">(.*?)</dl>', body).group(1)
    for flag in ("below_floor", "below_label_model", "duplicate_of", "below_chance", "zero_coverage", "no_dev_votes",
                 "costly_conflicts", "precomputed_mismatch"):
        assert f">{flag}" in legend, flag
    assert re.search(r"below_floor</span> ×1</dt>", legend)


def test_evaluation_axis_starts_near_the_smallest_value(run_dir):
    import json

    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    shown = [v for r in test.values() if isinstance(r, dict) and "accuracy" in r
             for v in (r["accuracy"], r["macro_f1"], *r["ci"]["accuracy"], *r["ci"]["macro_f1"])]
    svg = re.search(r"<svg.*?</svg>", section((run_dir / "report.html").read_text(), "evaluation"), re.S).group(0)
    ticks = [float(t) for t in re.findall(r'class="tick">([0-9.]+)</text>', svg)]
    assert 0 < ticks[0] <= min(shown) < ticks[0] + 0.2, (ticks, min(shown))
    assert ticks[-1] >= max(shown)
    assert f"the axis starts at {ticks[0]:.1f}, not 0" in svg


def test_nice_range_reference_values():
    assert nice_range([0.71, 0.82]) == (0.6, 0.9)
    assert nice_range([0.05, 0.97]) == (0.0, 1.0)
    assert nice_range([0.2, 0.4], floor_at_zero=True) == (0.0, 0.4)
    assert nice_range([None, float("nan")]) == (0.0, 1.0)


def test_class_health_table(run_dir):
    health = pl.read_csv(run_dir / "class_health.csv")
    body = section((run_dir / "report.html").read_text(), "classes")
    assert "<h3>Class health</h3>" in body
    for r in health.iter_rows(named=True):
        row = re.search(rf"<tr><td[^>]*>{re.escape(r['class'])}</td>(.*?)</tr>", body.split("Class health")[1]).group(1)
        assert f"<td class=\"num\">{r['n']}</td>" in row
        assert f"{100 * r['flagged_share']:.1f}% <span class=\"ci\">{r['flagged']} flagged</span>" in row
        if r["most_confused_with"]:
            assert f">{r['most_confused_with']} <span class=\"ci\">{r['confused']} (" in row


def test_class_health_absent_says_not_run(run_dir, tmp_path):
    dest = tmp_path / "run"
    shutil.copytree(run_dir, dest)
    (dest / "class_health.csv").unlink()
    body = section(build_report(dest), "classes")
    assert "<h3>Class health</h3>" in body and "no class_health.csv" in body
