"""``--fail-under`` / ``--fail-over METRIC=VALUE`` on apply, lfs analyze and agreement: values, verdicts, exit codes."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.errors import InputError
from wslab.app.gates import COMMAND_METRICS, Measure, evaluate_gates, parse_gates

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


# ------------------------------------------------------------------ the library


def test_parse_accepts_repeated_metric_value_pairs():
    gates = parse_gates(["accuracy=0.8", " lf_accuracy = 0.6"], over=["flagged_share=0.2", "accuracy=0.99"],
                        command="apply")
    assert [(g.metric, g.threshold, g.direction) for g in gates] == [
        ("accuracy", 0.8, "under"), ("lf_accuracy", 0.6, "under"), ("flagged_share", 0.2, "over"), ("accuracy", 0.99, "over")]
    assert parse_gates(["0.6"], command="agreement", default_metric="fleiss_kappa")[0].metric == "fleiss_kappa"
    assert parse_gates([], over=["0.9"], command="agreement", default_metric="gwet_ac1")[0].direction == "over"


@pytest.mark.parametrize("spec, command, expected", [
    ("acuracy=0.8", "apply", "metric 'acuracy' is unknown; expected one of accuracy, macro_f1"),
    ("accuracy=0.8", "lfs analyze", "is not measured by lfs analyze; expected one of coverage, lf_accuracy"),
    ("accuracy=high", "apply", "value 'high' for accuracy; expected a number"),
    ("accuracy=nan", "apply", "expected a number"),
    ("0.8", "apply", "expected METRIC=VALUE"),
    ("=0.8", "apply", "expected METRIC=VALUE"),
    ("flagged_share=0.1", "apply", "--fail-under 'flagged_share=0.1': flagged_share is a ceiling (lower is better); "
                                   "expected --fail-over flagged_share=0.1 (exit 1 above it)"),
])
def test_parse_errors_name_the_metric_and_the_known_ones(spec, command, expected):
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")) as exc:
        parse_gates([spec], command=command)
    assert "\n" not in str(exc.value)


def test_fail_over_errors_name_their_option():
    with pytest.raises(InputError, match=r"^--fail-over 'kappa=1': metric 'kappa' is unknown"):
        parse_gates([], over=["kappa=1"], command="apply")
    with pytest.raises(InputError, match=r"^--fail-over 'coverage=x': value 'x'"):
        parse_gates([], over=["coverage=x"], command="lfs analyze")


def test_floor_ceiling_and_undefined_verdicts():
    gates = parse_gates(["accuracy=0.8", "macro_f1=0.8", "coverage=0.5"], over=["flagged_share=0.1", "accuracy=0.8"],
                        command="apply")
    out = evaluate_gates(gates, {"accuracy": Measure(0.8), "macro_f1": Measure(0.79),
                                 "flagged_share": Measure(0.1000001), "coverage": Measure(None, note="empty corpus")})
    assert [g["passed"] for g in out] == [True, False, False, False, True]  # a value at the threshold passes both ways
    assert [g["direction"] for g in out] == ["under", "under", "under", "over", "over"]
    assert out[1]["message"] == "fail: macro_f1 = 0.790 is below --fail-under 0.8"
    assert out[2]["value"] is None and out[2]["message"] == ("fail: coverage is undefined (empty corpus); "
                                                             "--fail-under 0.5 cannot pass")
    assert out[3]["message"] == "fail: flagged_share = 0.100 is above --fail-over 0.1"
    assert out[4]["message"] == "pass: accuracy = 0.800 <= 0.8"
    assert set(out[0]) == {"metric", "value", "threshold", "direction", "passed", "message"}
    over = evaluate_gates(parse_gates([], over=["accuracy=0.7"], command="apply"), {"accuracy": Measure(0.71)})
    assert not over[0]["passed"] and over[0]["message"] == "fail: accuracy = 0.710 is above --fail-over 0.7"


def test_every_metric_belongs_to_a_command():
    from wslab.app.gates import GATE_METRICS

    assert set(GATE_METRICS) == {m for names in COMMAND_METRICS.values() for m in names}


# ------------------------------------------------------------------ the commands


def test_apply_gates_use_the_run_numbers_and_exit_1_naming_each_failure(gate_project):
    run = gate_project.parent / "run"
    res = invoke("apply", str(gate_project), "--json", "--fail-under", "accuracy=0.5", "--fail-under", "macro_f1=0.999",
                 "--fail-under", "coverage=0.1", "--fail-under", "lf_accuracy=0.99", "--fail-over", "flagged_share=1.0",
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
    assert {m: g["direction"] for m, g in gates.items()} == {**{m: "under" for m in gates}, "flagged_share": "over"}
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
    ceiling = invoke("apply", str(gate_project), "--fail-under", "flagged_share=0.1")
    assert ceiling.exit_code == 2 and ceiling.stderr.count("\n") == 1
    assert "expected --fail-over flagged_share=0.1" in ceiling.stderr
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
    cov = out["covered"] / out["n_docs"]
    over = invoke("lfs", "analyze", str(gate_project), "--json", "--fail-over", f"coverage={cov - 0.01}",
                  "--fail-over", f"lf_accuracy={worst['dev_accuracy']}")
    assert over.exit_code == 1
    assert [(g["direction"], g["passed"]) for g in json.loads(over.stdout)["gates"]] == [("over", False), ("over", True)]
    assert f"fail: coverage = {cov:.3f} is above --fail-over {cov - 0.01:g}" in over.stderr


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
    over = invoke("agreement", "--annotations", ann, "--json", "--fail-over", "percent_agreement=0.5",
                  "--fail-over", "0.99", "--metric", "gwet_ac1")
    assert over.exit_code == 1
    verdicts = {g["metric"]: g for g in json.loads(over.stdout)["gates"]}
    assert not verdicts["percent_agreement"]["passed"] and verdicts["gwet_ac1"]["passed"]
    assert {g["direction"] for g in verdicts.values()} == {"over"}
    assert "is above --fail-over 0.5" in over.stderr
