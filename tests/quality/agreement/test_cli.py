"""`wslab agreement` through the real command: outputs, gates and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app

KEYS = {"percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "vs_gold", "batches"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 60
    truth = rng.choice(["neg", "pos", "spam"], n, p=[0.6, 0.3, 0.1])
    wide = {"id": [f"i{i}" for i in range(n)], "label": truth, "text": ["some text"] * n}
    rows = []
    for a in ("assessor_1", "assessor_2", "llm"):
        lab = np.where(rng.random(n) < 0.2, rng.choice(["neg", "pos", "spam"], n), truth)
        wide[a] = lab
        rows += [(f"i{i}", a, lab[i], f"b{i % 2}") for i in range(n) if rng.random() < 0.9]
    pl.DataFrame(wide).write_csv(tmp_path / "gold.csv")
    pl.DataFrame(wide).select("id", "label").head(30).write_csv(tmp_path / "gold_small.csv")
    pl.DataFrame(rows, schema=["id", "annotator", "label", "batch"], orient="row").write_csv(tmp_path / "ann.csv")
    pl.DataFrame(wide).select("id", "assessor_1", "assessor_2").write_csv(tmp_path / "ann_wide.csv")
    pl.DataFrame({"id": wide["id"], "label": truth}).write_csv(tmp_path / "lm.csv")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(app, ["agreement", *args])


def test_gold_alone_wide(project):
    res = run("--gold", str(project / "gold.csv"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert KEYS <= set(out)
    assert out["data"]["annotators"] == ["assessor_1", "assessor_2", "llm"]  # 'text' is not an annotator
    for key in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"):
        assert set(out[key]) >= {"value", "ci", "n"} and len(out[key]["ci"]) == 2
    assert len(out["cohen_kappa"]) == 3
    names = [s["name"] for s in out["vs_gold"]["sources"]]
    assert names == ["assessor_1", "assessor_2", "llm", "majority"]
    assert out["scale"]["name"] == "landis-koch"


def test_gold_and_long_annotations_with_labels_and_batches(project):
    res = run("--gold", str(project / "gold_small.csv"), "--annotations", str(project / "ann.csv"),
              "--labels", f"lm={project / 'lm.csv'}", "--json", "--scale", "simple")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    lm = [s for s in out["vs_gold"]["sources"] if s["name"] == "lm"][0]
    assert lm["accuracy"]["value"] == 1.0 and lm["n"] == 30
    assert lm["confusion"]["matrix"][0][0] == lm["per_class"]["neg"]["support"]
    assert {r["batch"] for r in out["batches"]["rows"]} == {"b0", "b1"}
    assert out["fleiss_kappa"]["band"] in {"poor", "good", "very high"}


def test_annotations_alone_and_wide_and_console(project):
    res = run("--annotations", str(project / "ann.csv"))
    assert res.exit_code == 0, res.output
    assert "Fleiss' kappa" in res.stdout and "Krippendorff" in res.stdout
    res = run("--annotations", str(project / "ann_wide.csv"), "--format", "wide", "--json")
    assert json.loads(res.stdout)["data"]["annotators"] == ["assessor_1", "assessor_2"]


def test_ordered_labels_give_weighted_kappa_and_alpha_levels(tmp_path):
    pl.DataFrame({"id": ["1", "2", "3", "4"], "r1": ["low", "mid", "high", "mid"],
                  "r2": ["low", "high", "high", "low"]}).write_csv(tmp_path / "r.csv")
    res = run("--annotations", str(tmp_path / "r.csv"), "--format", "wide", "--order", "low,mid,high", "--json")
    out = json.loads(res.stdout)
    assert set(out["cohen_kappa"][0]["weighted"]) == {"linear", "quadratic"}
    assert out["krippendorff_alpha"]["level"] == "ordinal"
    assert set(out["krippendorff_alpha"]["levels"]) == {"nominal", "ordinal", "interval"}


def test_fail_under_gate(project):
    gold = str(project / "gold.csv")
    assert run("--gold", gold, "--quiet", "--fail-under", "0.1").exit_code == 0
    res = run("--gold", gold, "--quiet", "--fail-under", "0.99", "--metric", "fleiss_kappa")
    assert res.exit_code == 1 and "fleiss_kappa" in res.stderr
    res = run("--gold", gold, "--quiet", "--fail-under", "0.99", "--metric", "cohen_kappa")
    assert res.exit_code == 1 and "lowest pair" in res.stderr


def test_kappa_paradox_and_gold_gap_warnings(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    truth = np.where(rng.random(n) < 0.5, "pos", "neg")
    shared = np.where(rng.random(n) < 0.95, "neg", "pos")  # annotators copy one skewed, wrong view
    cols = {"id": [str(i) for i in range(n)], "label": truth}
    for a in ("a", "b", "c"):
        cols[a] = np.where(rng.random(n) < 0.05, np.where(shared == "neg", "pos", "neg"), shared)
    pl.DataFrame(cols).write_csv(tmp_path / "g.csv")
    out = json.loads(run("--gold", str(tmp_path / "g.csv"), "--json").stdout)
    text = " ".join(out["warnings"])
    assert "kappa paradox" in text and "Consistency is not correctness" in text


def test_degenerate_one_category_is_reported_not_nan(tmp_path):
    pl.DataFrame({"id": ["1", "2", "3"], "a": ["x"] * 3, "b": ["x"] * 3}).write_csv(tmp_path / "r.csv")
    res = run("--annotations", str(tmp_path / "r.csv"), "--format", "wide", "--json")
    out = json.loads(res.stdout)
    assert out["fleiss_kappa"]["value"] is None and "undefined" in out["fleiss_kappa"]["note"]
    assert out["percent_agreement"]["value"] == 1.0
    res = run("--annotations", str(tmp_path / "r.csv"), "--format", "wide", "--quiet", "--fail-under", "0.5")
    assert res.exit_code == 1 and "undefined" in res.stderr


def test_identical_duplicates_are_collapsed(tmp_path):
    pl.DataFrame({"id": ["1", "1", "2", "2"], "annotator": ["a", "a", "a", "b"],
                  "label": ["x", "x", "y", "y"]}).write_csv(tmp_path / "r.csv")
    out = json.loads(run("--annotations", str(tmp_path / "r.csv"), "--json").stdout)
    assert out["data"]["n_ratings"] == 3


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.write_csv(path)
    return str(path)


@pytest.mark.parametrize("case,args_fn,expected", [
    ("missing column", lambda t: ["--annotations", _write(t, "a.csv", pl.DataFrame({"id": ["1"], "label": ["x"]}))],
     "missing column 'annotator'"),
    ("empty annotator column", lambda t: ["--gold", _write(t, "g.csv", pl.DataFrame(
        {"id": ["1", "2"], "label": ["x", "y"], "a": ["x", "y"], "b": [None, None]}, schema_overrides={"b": pl.String}))],
     "annotator column 'b' is empty"),
    ("label not in set", lambda t: ["--annotations", _write(t, "a.csv", pl.DataFrame(
        {"id": ["1", "1", "2"], "annotator": ["a", "b", "a"], "label": ["x", "y", "z"]})), "--labels-set", "x,y"],
     "row 4: label 'z' of annotator 'a'"),
    ("label not in order", lambda t: ["--gold", _write(t, "g.csv", pl.DataFrame(
        {"id": ["1", "2"], "label": ["lo", "hi"], "a": ["lo", "mid"], "b": ["lo", "hi"]})), "--order", "lo,hi"],
     "label 'mid' of annotator 'a'"),
    ("conflicting duplicate", lambda t: ["--annotations", _write(t, "a.csv", pl.DataFrame(
        {"id": ["1", "2", "1"], "annotator": ["a", "a", "a"], "label": ["x", "y", "y"]}))],
     "row 4: duplicate (id, annotator) ('1', 'a') with different labels"),
    ("gold ids absent", lambda t: ["--annotations", _write(t, "a.csv", pl.DataFrame(
        {"id": ["1", "1"], "annotator": ["a", "b"], "label": ["x", "y"]})),
        "--gold", _write(t, "g.csv", pl.DataFrame({"id": ["1", "9"], "label": ["x", "y"]}))],
     "1 gold id(s) are absent from"),
    ("no input", lambda t: [], "nothing to measure"),
    ("bad labels spec", lambda t: ["--gold", _write(t, "g.csv", pl.DataFrame(
        {"id": ["1"], "label": ["x"], "a": ["x"]})), "--labels", "oops"], "expected NAME=FILE"),
    ("labels without gold", lambda t: ["--annotations", _write(t, "a.csv", pl.DataFrame(
        {"id": ["1"], "annotator": ["a"], "label": ["x"]})), "--labels", "llm=" + _write(
        t, "l.csv", pl.DataFrame({"id": ["1"], "label": ["x"]}))], "pass --gold too"),
    ("unknown metric", lambda t: ["--gold", "g.csv", "--metric", "nope"], "--metric must be one of"),
    ("missing file", lambda t: ["--gold", str(t / "nope.csv")], "file not found"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, case, args_fn, expected):
    res = run(*args_fn(tmp_path))
    assert res.exit_code == 2, (case, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (case, res.stderr)


def test_console_script_exit_codes(project):
    exe = Path(sys.executable).with_name("wslab")
    ok = subprocess.run([str(exe), "agreement", "--gold", str(project / "gold.csv"), "--quiet"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([str(exe), "agreement", "--gold", str(project / "missing.csv")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


def test_help_has_example():
    res = run("--help")
    assert res.exit_code == 0 and "wslab agreement --gold gold.csv" in res.stdout
