"""Issue 22.11: the queue is calibrated on gold dev items checked with the chosen pipeline's
out-of-fold labels (a gold-trained pipeline labels its own training items nearly right, so its
delivered labels leave calibration no wrong label to learn from); gold test changes no choice."""

from __future__ import annotations

import json
import shutil

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.quality.queue_calibration import calibrate_queue


def _apply(config) -> dict:
    from wslab.app.cli import app

    res = CliRunner().invoke(app, ["apply", str(config), "-q"])
    assert res.exit_code == 0, res.output
    run = config.parent / "run"
    return {"manifest": json.loads((run / "manifest.json").read_text()),
            "scores": pl.read_parquet(run / "scores.parquet"), "labels": pl.read_parquet(run / "labels.parquet"),
            "dev_ids": pl.read_csv(config.parent / "wslab_split.csv").filter(pl.col("split") == "dev")["id"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, make_review_corpus, make_review_lfs, project_writer):
    """One project with gold_only pinned (it trains on gold dev), applied; then a copy (stored
    split included) whose gold test labels are shuffled, applied again."""
    rng = np.random.default_rng(5)
    df, y = make_review_corpus(300, rng)
    gold = pl.DataFrame({"id": df["id"][:160], "label": np.where(y[:160] == 1, "neg", "pos").tolist()})
    folder = tmp_path_factory.mktemp("oof") / "a"
    config = project_writer(folder, tables={"corpus.csv": df, "gold.csv": gold}, lfs=make_review_lfs(), config={
        "seed": 1, "gold": {"path": "gold.csv"}, "lfs": {"files": ["lfs.yaml"]}, "evaluation": {"bootstrap": 0},
        "selection": {"candidate": "gold_only", "folds": 3}, "end_model": {"max_features": 1000},
        "suspicious": {"epochs": 2, "folds": 3}})
    first = _apply(config)
    copy = folder.parent / "b"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("run"))
    split = pl.read_csv(copy / "wslab_split.csv")
    test_ids = split.filter(pl.col("split") == "test")["id"].cast(pl.String)
    g = pl.read_csv(copy / "gold.csv")
    is_test = g["id"].is_in(test_ids.implode())
    shuffled = g.filter(is_test)["label"].shuffle(seed=3)
    labels = g["label"].to_list()
    for pos, lab in zip(np.flatnonzero(is_test.to_numpy()), shuffled.to_list()):
        labels[pos] = lab
    assert labels != g["label"].to_list()  # the test labels did move
    g.with_columns(pl.Series("label", labels)).write_csv(copy / "gold.csv")
    return first, _apply(copy / "config.yaml")


def test_calibration_sees_the_gold_trained_pipelines_out_of_fold_errors(runs):
    first, _ = runs
    cal = first["manifest"]["quality"]["queue_calibration"]
    assert first["manifest"]["chosen"] == "gold_only"
    gold_dev = first["labels"].filter(pl.col("gold_label").is_not_null()).select("id", "gold_label", "label")
    dev = first["scores"].join(gold_dev, on="id").filter(pl.col("id").is_in(first["dev_ids"].implode()))
    assert dev.height == cal["dev_items"] > 0
    oof_wrong = int((dev["given_label"] != dev["gold_label"]).sum())
    in_sample_wrong = int((dev["label"] != dev["gold_label"]).sum())
    assert cal["dev_wrong"] == oof_wrong > in_sample_wrong  # main counted the in-sample ones
    assert oof_wrong >= 5
    # the same ranking calibrated on the delivered (in-sample) labels chooses another threshold
    in_sample = first["scores"].join(first["labels"].select("id", "label"), on="id", how="left").with_columns(
        pl.coalesce("label", "given_label").alias("given_label")).drop("label")
    truth = dev.select("id", pl.col("gold_label").alias("label"))
    _, naive = calibrate_queue(in_sample, truth, ["pos", "neg"])
    assert naive["dev_wrong"] == in_sample_wrong
    assert naive["threshold"] != cal["threshold"]
    assert cal["given_on_dev"] == "out of fold (gold_only)"


def test_shuffled_gold_test_labels_change_no_calibration_choice(runs):
    first, second = runs
    a, b = (r["manifest"]["quality"]["queue_calibration"] for r in runs)
    assert a == b
    cols = ["id", "given_label", "priority", "flagged", "show_suggestion"]
    assert first["scores"].select(cols).equals(second["scores"].select(cols))
    assert first["manifest"]["chosen"] == second["manifest"]["chosen"]


def test_a_ranking_no_better_than_chance_flags_only_the_top():
    """WRENCH sms's shape: 2 wrong of 200 dev labels, ranked about 60th and 70th, while many items carry
    a signal. The F1 rule would flag down to the second wrong one (a third of the items); no
    threshold beats the dev error rate, so only the top MIN_FLAGGED dev items' worth is flagged."""
    from wslab.quality.queue import build_queue
    from wslab.quality.queue_calibration import MIN_FLAGGED

    n = 400
    rng = np.random.default_rng(0)
    quality = rng.uniform(0.0, 1.0, n)
    wrong = np.zeros(n, dtype=bool)
    wrong[np.argsort(quality)[[120, 140]]] = True  # mid-ranked (about 60th and 70th of the dev items)
    ids = [f"s{i}" for i in range(n)]
    items = pl.DataFrame({"id": ids, "text": ["t"] * n, "given_label": ["ham"] * n, "suggested_label": ["ham"] * n,
                          "label_quality": quality, "is_label_issue": quality < 0.3})
    queue = build_queue(items)
    dev = [i for i in range(n) if i % 2 == 0 or wrong[i]]
    truth = pl.DataFrame({"id": [ids[i] for i in dev], "label": ["spam" if wrong[i] else "ham" for i in dev]})
    out, summary = calibrate_queue(queue, truth, ["ham", "spam"])
    assert summary["dev_wrong"] == 2
    assert summary["flagged"]["n"] == MIN_FLAGGED and summary["flagged"]["hits"] == 0
    assert out["flagged"].sum() <= 2 * MIN_FLAGGED + 2  # about the same share of the whole queue


def test_a_single_signal_more_precise_than_every_threshold_is_the_flag():
    """The demo's shape: cleanlab's own flag is right every time on gold dev, while the merged
    priority puts right labels with many LF conflicts on top; the flag is then cleanlab's own."""
    from wslab.quality.queue import build_queue

    n = 200
    rng = np.random.default_rng(1)
    kind = np.repeat(["caught", "missed", "conflicted", "plain"], [10, 10, 30, 150])  # first two: wrong labels
    quality = np.select([kind == "caught", kind == "missed", kind == "conflicted"],
                        [rng.uniform(0.2, 0.4, n), rng.uniform(0.6, 0.9, n), rng.uniform(0.45, 0.55, n)],
                        rng.uniform(0.6, 1.0, n))
    items = pl.DataFrame({"id": [f"c{i}" for i in range(n)], "text": ["t"] * n, "given_label": ["a"] * n,
                          "suggested_label": ["a"] * n, "label_quality": quality, "is_label_issue": kind == "caught",
                          "lf_conflicts": np.where(kind == "conflicted", 5, 0)})
    queue = build_queue(items)
    truth = pl.DataFrame({"id": items["id"], "label": np.where(np.isin(kind, ["caught", "missed"]), "b", "a")})
    out, summary = calibrate_queue(queue, truth, ["a", "b"])
    assert summary["signals"]["cleanlab"]["precision"] == 1.0 and summary["signals"]["cleanlab"]["n"] == 10
    assert summary["rule"] == "cleanlab's own flag" and summary["threshold"] is None
    assert sorted(out.filter("flagged")["id"].to_list()) == sorted(items.filter("is_label_issue")["id"].to_list())
    assert summary["flagged"]["precision"] >= summary["best_signal_precision"]
    assert out["priority"].to_list() == queue["priority"].to_list()  # the ranking stays
