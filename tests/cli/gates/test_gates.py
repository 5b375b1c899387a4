"""``--fail-under METRIC=VALUE`` on apply, lfs analyze and agreement: values, verdicts, exit codes."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.cli import app
from wslab.errors import InputError
from wslab.gates import COMMAND_METRICS, Measure, evaluate_gates, parse_gates

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


# ------------------------------------------------------------------ the library


def test_parse_accepts_repeated_metric_value_pairs():
    gates = parse_gates(["accuracy=0.8", " lf_accuracy = 0.6", "flagged_share=0.2"], command="apply")
    assert [(g.metric, g.threshold) for g in gates] == [("accuracy", 0.8), ("lf_accuracy", 0.6), ("flagged_share", 0.2)]
    assert parse_gates(["0.6"], command="agreement", default_metric="fleiss_kappa")[0].metric == "fleiss_kappa"


@pytest.mark.parametrize("spec, command, expected", [
    ("acuracy=0.8", "apply", "metric 'acuracy' is unknown; expected one of accuracy, macro_f1"),
    ("accuracy=0.8", "lfs analyze", "is not measured by lfs analyze; expected one of coverage, lf_accuracy"),
    ("accuracy=high", "apply", "value 'high' for accuracy; expected a number"),
    ("accuracy=nan", "apply", "expected a number"),
    ("0.8", "apply", "expected METRIC=VALUE"),
    ("=0.8", "apply", "expected METRIC=VALUE"),
])
def test_parse_errors_name_the_metric_and_the_known_ones(spec, command, expected):
    with pytest.raises(InputError, match=expected.replace("(", r"\(")) as exc:
        parse_gates([spec], command=command)
    assert "\n" not in str(exc.value)


def test_floor_ceiling_and_undefined_verdicts():
    gates = parse_gates(["accuracy=0.8", "macro_f1=0.8", "flagged_share=0.1", "coverage=0.5"], command="apply")
    out = evaluate_gates(gates, {"accuracy": Measure(0.8), "macro_f1": Measure(0.79),
                                 "flagged_share": Measure(0.1000001), "coverage": Measure(None, note="empty corpus")})
    assert [g["passed"] for g in out] == [True, False, False, False]
    assert out[1]["message"] == "fail: macro_f1 = 0.790 is below --fail-under 0.8"
    assert "above the --fail-under ceiling 0.1" in out[2]["message"]
    assert out[3]["value"] is None and "undefined (empty corpus)" in out[3]["message"]
    assert set(out[0]) == {"metric", "value", "threshold", "passed", "message"}


def test_every_metric_belongs_to_a_command():
    from wslab.gates import GATE_METRICS

    assert set(GATE_METRICS) == {m for names in COMMAND_METRICS.values() for m in names}


# ------------------------------------------------------------------ the commands


def test_apply_gates_use_the_run_numbers_and_exit_1_naming_each_failure(gate_project):
    run = gate_project.parent / "run"
    res = invoke("apply", str(gate_project), "--json", "--fail-under", "accuracy=0.5", "--fail-under", "macro_f1=0.999",
                 "--fail-under", "coverage=0.1", "--fail-under", "lf_accuracy=0.99", "--fail-under", "flagged_share=1.0",
                 "--fail-under", "krippendorff_alpha=0.99")
    assert res.exit_code == 1, res.output
    gates = {g["metric"]: g for g in json.loads(res.stdout)["gates"]}
    metrics = json.loads((run / "metrics.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    lfs = pl.read_csv(run / "lf_analysis.csv")
    agreement = json.loads((run / "agreement.json").read_text())
    assert gates["accuracy"]["value"] == metrics["test"]["final"]["accuracy"]
    assert gates["macro_f1"]["value"] == metrics["test"]["final"]["macro_f1"]
    assert gates["coverage"]["value"] == manifest["rows"]["covered"] / manifest["rows"]["corpus"]
    assert gates["lf_accuracy"]["value"] == pytest.approx(lfs.filter(pl.col("dev_n") > 0)["dev_accuracy"].min())
    assert gates["flagged_share"]["value"] == manifest["quality"]["flagged"] / manifest["quality"]["items"]
    assert gates["krippendorff_alpha"]["value"] == agreement["krippendorff_alpha"]["value"]
    assert 0 < gates["flagged_share"]["value"] < 1 and 0.5 < gates["accuracy"]["value"] < 0.999
    passed = {m for m, g in gates.items() if g["passed"]}
    assert passed == {"accuracy", "coverage", "flagged_share"}
    failed_lines = [line for line in res.stderr.splitlines() if line.startswith("fail:")]
    assert len(failed_lines) == 3
    for metric in ("macro_f1", "lf_accuracy", "krippendorff_alpha"):
        assert any(line.startswith(f"fail: {metric}") for line in failed_lines), res.stderr
    assert "lowest: " in next(line for line in failed_lines if "lf_accuracy" in line)

    quiet = invoke("apply", str(gate_project), "-q", "--fail-under", "accuracy=0.5")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_apply_checks_the_gates_before_any_work(gate_project):
    res = invoke("apply", str(gate_project), "--fail-under", "kappa=0.5")
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "metric 'kappa' is unknown" in res.stderr and "gwet_ac1" in res.stderr
    assert not (gate_project.parent / "run").exists()


def test_apply_without_annotations_fails_an_agreement_gate(gate_project):
    text = gate_project.read_text().replace("annotations: ann.csv\n", "")
    gate_project.write_text(text)
    res = invoke("apply", str(gate_project), "-q", "--fail-under", "fleiss_kappa=0.1")
    assert res.exit_code == 1
    assert res.stderr.strip() == ("fail: fleiss_kappa is undefined (no annotations in the config); "
                                  "--fail-under 0.1 cannot pass")


def test_lfs_analyze_gates(gate_project):
    res = invoke("lfs", "analyze", str(gate_project), "--json", "--fail-under", "coverage=0.5",
                 "--fail-under", "lf_accuracy=0.3")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rows = [r for r in out["lfs"] if r["dev_n"]]
    assert [g["metric"] for g in out["gates"]] == ["coverage", "lf_accuracy"]
    assert out["gates"][0]["value"] == out["covered"] / out["n_docs"] and 0.5 < out["covered"] / out["n_docs"] < 1
    assert out["gates"][1]["value"] == min(r["dev_accuracy"] for r in rows)
    worst = min(rows, key=lambda r: r["dev_accuracy"])
    fail = invoke("lfs", "analyze", str(gate_project), "--fail-under", f"lf_accuracy={worst['dev_accuracy'] + 0.01}")
    assert fail.exit_code == 1
    assert f"fail: lf_accuracy (lowest: {worst['lf']})" in fail.stderr
    bad = invoke("lfs", "analyze", str(gate_project), "--fail-under", "accuracy=0.5")
    assert bad.exit_code == 2 and "not measured by lfs analyze" in bad.stderr


def test_agreement_metric_value_form_beside_the_legacy_form(gate_project):
    ann = str(gate_project.parent / "ann.csv")
    res = invoke("agreement", "--annotations", ann, "--json", "--fail-under", "percent_agreement=0.5",
                 "--fail-under", "gwet_ac1=0.99", "--fail-under", "0.99", "--metric", "fleiss_kappa")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    gates = {g["metric"]: g for g in out["gates"]}
    assert gates["percent_agreement"]["value"] == out["percent_agreement"]["value"] and gates["percent_agreement"]["passed"]
    assert gates["gwet_ac1"]["value"] == out["gwet_ac1"]["value"] and not gates["gwet_ac1"]["passed"]
    assert not gates["fleiss_kappa"]["passed"]
    assert "fail: gwet_ac1 = " in res.stderr and "fail: fleiss_kappa = " in res.stderr
    assert "pass: percent_agreement = " in res.stderr
    quiet = invoke("agreement", "--annotations", ann, "-q", "--fail-under", "percent_agreement=0.5")
    assert quiet.exit_code == 0 and quiet.output == ""
    bad = invoke("agreement", "--annotations", ann, "--fail-under", "accuracy=0.5")
    assert bad.exit_code == 2 and "not measured by agreement" in bad.stderr
