"""``wslab apply`` end to end on a small project, through the real CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.config import load_config
from wslab.app.pipeline import run_apply

runner = CliRunner()


def test_apply_writes_every_artefact_and_scores_models(project):
    result = runner.invoke(app, ["apply", str(project)])
    assert result.exit_code == 0, result.output
    assert "majority vote" in result.output and "label model" in result.output and "end model" in result.output
    run = project.parent / "run"
    matrix = pl.read_parquet(run / "label_matrix.parquet")
    assert matrix.columns == ["id", "kw_pos", "kw_neg", "kw_ru_pos", "re_ru_neg", "stars_low", "stars_high", "neg_not_pos"]
    assert all(matrix.schema[c] == pl.Int8 for c in matrix.columns[1:])
    assert matrix.height == 1200
    labels = pl.read_parquet(run / "labels.parquet")
    assert labels.columns == ["id", "label", "confidence", "p_pos", "p_neg", "source", "gold_label"]
    assert labels["label"].is_in(["pos", "neg"]).all()
    np.testing.assert_allclose((labels["p_pos"] + labels["p_neg"]).to_numpy(), 1.0, atol=1e-6)
    uncovered = (matrix.drop("id").to_numpy() == -1).all(axis=1)
    assert uncovered.sum() > 0
    metrics = json.loads((run / "metrics.json").read_text())
    chosen = metrics["candidates"]["chosen"]
    assert set(labels.filter(pl.Series(uncovered))["source"]) <= {"end_model", "prior", chosen}
    gold = pl.read_csv(project.parent / "gold.csv", schema_overrides={"id": pl.String})
    with_gold = labels.filter(pl.col("gold_label").is_not_null())
    assert with_gold.height == 400 and with_gold.join(gold, on="id")["label_right"].equals(
        with_gold.join(gold, on="id")["gold_label"], check_names=False)
    for split in ("test", "dev"):
        for model in ("majority_vote", "label_model", "end_model", "final"):
            m = metrics[split][model]
            assert 0 <= m["accuracy"] <= 1 and m["n"] == 200
            assert m["ci"]["accuracy"][0] <= m["accuracy"] <= m["ci"]["accuracy"][1]
            assert set(m["per_class"]) == {"pos", "neg"}
    # the LFs are informative: every model beats the majority-class rate by a clear margin
    assert metrics["test"]["label_model"]["accuracy"] > 0.8
    assert metrics["test"]["end_model"]["coverage"] == 1.0
    assert metrics["test"]["majority_vote"]["coverage"] < 1.0
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["rows"]["corpus"] == 1200 and manifest["versions"]["snorkel"] != "absent"
    lf = pl.read_csv(run / "lf_analysis.csv")
    assert lf["lf"].to_list() == matrix.columns[1:]


def test_apply_is_deterministic_for_a_seed(project):
    cfg = load_config(project)
    a = run_apply(cfg)
    first = pl.read_parquet(a.files["labels"])
    b = run_apply(cfg)
    assert first.equals(pl.read_parquet(b.files["labels"]))
    assert a.metrics == b.metrics


def _edit(config, section: str, **values) -> None:
    raw = yaml.safe_load(config.read_text())
    raw.setdefault(section, {}).update(values)
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


@pytest.mark.parametrize("balance,want", [("gold_dev", "label_model(dev)+end_model"),
                                          ("uniform", "label_model(uniform)+end_model")])
def test_without_selection_the_default_pipeline_is_named_everywhere(project, balance, want):
    """Selection off: the label model where an LF voted, the end model elsewhere, reported under
    its candidate name in metrics.json, the manifest, the run result and labels.parquet."""
    _edit(project, "label_model", class_balance=balance)
    _edit(project, "selection", enabled=False)
    res = run_apply(load_config(project))
    metrics = json.loads((res.run_dir / "metrics.json").read_text())
    manifest = json.loads((res.run_dir / "manifest.json").read_text())
    assert res.chosen == metrics["chosen"] == manifest["chosen"] == want
    assert set(pl.read_parquet(res.files["labels"])["source"]) == {want.removesuffix("+end_model"), "end_model"}


def test_chosen_candidate_named_everywhere(project):
    res = run_apply(load_config(project))
    metrics = json.loads((res.run_dir / "metrics.json").read_text())
    manifest = json.loads((res.run_dir / "manifest.json").read_text())
    chosen = metrics["candidates"]["chosen"]
    assert res.chosen == metrics["chosen"] == manifest["chosen"] == chosen
    sources = set(pl.read_parquet(res.files["labels"])["source"])
    assert sources <= {chosen, chosen.removesuffix("+end_model"), "end_model", "prior"}


def test_label_model_kind_is_a_one_line_error_naming_the_replacement(project):
    from wslab.core.errors import ConfigError

    _edit(project, "label_model", kind="auto")
    with pytest.raises(ConfigError, match=r"config\.yaml: key 'label_model\.kind': removed: .*selection\.candidate"):
        load_config(project)


def test_json_output_and_module_entry_point(project):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "wslab", "apply", str(project), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["test"]) >= {"majority_vote", "label_model", "end_model"}


def test_apply_ranks_suspicious_labels_above_correct_ones(project):
    res = run_apply(load_config(project))
    run = res.run_dir
    for name in ("queue.csv", "label_studio.json", "cartography.parquet", "data_map.png", "data_map.html"):
        assert (run / name).stat().st_size > 0, name
    flagged = pl.read_csv(run / "queue.csv", schema_overrides={"id": pl.String})
    assert flagged["flagged"].all() and flagged.height > 0  # queue.csv: the flagged items, as `issues` writes it
    queue = pl.read_parquet(run / "scores.parquet")  # every checked item with its scores
    assert flagged["id"].to_list() == queue.filter(pl.col("flagged"))["id"].to_list()
    assert {"id", "text", "given_label", "suggested_label", "priority", "reasons"} <= set(queue.columns)
    assert queue["priority"].is_sorted(descending=True)
    gold = pl.read_csv(project.parent / "gold.csv", schema_overrides={"id": pl.String}).rename({"label": "gold"})
    checked = queue.join(gold, on="id")
    wrong = (checked["given_label"] != checked["gold"]).to_numpy()
    from sklearn.metrics import roc_auc_score

    assert wrong.sum() >= 5 and checked["flagged"].sum() >= 5
    # priority ranks the truly wrong aggregated labels above the right ones (0.5 = chance)
    assert roc_auc_score(wrong, checked["priority"].to_numpy()) > 0.6
    assert wrong[checked["flagged"].to_numpy()].mean() > wrong[~checked["flagged"].to_numpy()].mean()
    tasks = json.loads((run / "label_studio.json").read_text())
    assert len(tasks) == queue["flagged"].sum()
    # the suggestion is pre-filled only where it beat keeping the given label on gold dev (the queue says where)
    flagged = queue.filter(pl.col("flagged"))
    for task, row in zip(tasks, flagged.iter_rows(named=True)):
        if row["show_suggestion"]:
            assert task["predictions"][0]["result"][0]["value"]["choices"] == [row["suggested_label"]]
        else:
            assert "predictions" not in task


def test_apply_with_annotations_writes_agreement(project):
    rng = np.random.default_rng(0)
    gold = pl.read_csv(project.parent / "gold.csv")
    rows = []
    for ann, acc in (("a1", 0.9), ("a2", 0.8)):
        flip = rng.random(gold.height) > acc
        lab = np.where(flip, np.where(gold["label"].to_numpy() == "pos", "neg", "pos"), gold["label"].to_numpy())
        rows.append(pl.DataFrame({"id": gold["id"], "annotator": ann, "label": lab}))
    pl.concat(rows).write_csv(project.parent / "ann.csv")
    project.write_text(project.read_text() + "annotations: ann.csv\n")
    res = run_apply(load_config(project))
    report = json.loads((res.run_dir / "agreement.json").read_text())
    acc = {row["name"]: row["accuracy"]["value"] for row in report["vs_gold"]["sources"]}
    assert report["percent_agreement"]["n"] == 400
    assert 0.6 < report["percent_agreement"]["value"] < 0.85
    assert acc["a1"] > acc["a2"] > 0.7
