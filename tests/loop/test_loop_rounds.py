"""The review loop on the demo without a Label Studio server: apply -> relabel export (top 120) ->
the demo's true labels as a Label Studio JSON export (wslab.app.demo.expert) -> relabel import -> apply.

The demo is seeded, so the numbers are deterministic: the round after the answers must score
higher on the frozen gold test than the round before, with no gold test item moved, the
reviewed documents gone from the queue and marked ``expert`` in labels.parquet, and the answers
outside gold added to gold dev (what every candidate that trains on gold learns from).
The config is the demo's with a cheaper label model, fewer folds and smaller samples, to keep the
two applies fast.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.config import load_config
from wslab.app.demo import write_demo
from wslab.app.demo.expert import answer_tasks
from wslab.app.pipeline import run_apply

TOP = 120
EXPERT = "ann@bank.example"


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("loop")
    demo = write_demo(tmp / "demo", n_docs=2000, n_gold=400, seed=5).out_dir
    config = demo / "config.yaml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw.setdefault("label_model", {}).update(n_epochs=100, restarts=1)  # Snorkel's defaults: one label-model setting to select
    raw["selection"] = {"folds": 3, "max_train": 600, "max_features": 3000}
    raw["suspicious"].update(folds=3, epochs=3, max_items=1000)
    raw["evaluation"] = {"bootstrap": 200}
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    truth = dict(pl.read_parquet(demo / "data" / "truth.parquet").select("id", "label").iter_rows())
    first = run_apply(load_config(config))
    first_labels = pl.read_parquet(first.files["labels"])  # the run folder is replaced by the next apply
    first_flagged = pl.read_csv(first.files["queue"], infer_schema=False).height
    split_before = (demo / "data" / "wslab_split.csv").read_bytes()

    runner = CliRunner()
    tasks_file = tmp / "tasks.json"
    res = runner.invoke(app, ["relabel", "export", "--queue", str(first.files["queue"]), "--out", str(tasks_file),
                              "--top", str(TOP), "--config", str(config)])
    assert res.exit_code == 0, res.output
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    export = tmp / "export.json"
    export.write_text(json.dumps(answer_tasks(tasks, truth)), encoding="utf-8")
    res = runner.invoke(app, ["relabel", "import", "--answers", str(export), "--config", str(config),
                              "--expert", EXPERT, "--json"])
    assert res.exit_code == 0, res.output
    second = run_apply(load_config(config))
    return {"demo": demo, "truth": truth, "first": first, "first_labels": first_labels, "second": second,
            "first_flagged": first_flagged,
            "split_before": split_before, "answered": [t["data"]["wslab_id"] for t in tasks],
            "summary": json.loads(res.stdout)}


def test_round_one_beats_round_zero_on_the_frozen_test(loop):
    first, second = loop["first"], loop["second"]
    rounds = second.metrics["rounds"]
    assert [r["round"] for r in rounds] == [0, 1]
    before, after = rounds[0]["test"], rounds[1]["test"]
    assert before["n"] == after["n"] == second.metrics["gold"]["n_test"] == first.metrics["gold"]["n_test"] == 200
    assert before["accuracy"] == pytest.approx(first.metrics["test"]["final"]["accuracy"])
    assert after["accuracy"] == pytest.approx(second.metrics["test"]["final"]["accuracy"])
    print("rounds:", [(r["round"], r["answers"], r["changed"], r["test"]["accuracy"], r["test"]["macro_f1"])
                      for r in rounds], "chosen:", first.metrics["candidates"]["chosen"],
          second.metrics["candidates"]["chosen"])
    assert after["accuracy"] > before["accuracy"]
    assert after["macro_f1"] > before["macro_f1"]


def test_no_gold_test_item_moved_and_answers_joined_dev(loop):
    demo, first, second = loop["demo"], loop["first"], loop["second"]
    assert (demo / "data" / "wslab_split.csv").read_bytes() == loop["split_before"]
    split = pl.read_csv(demo / "data" / "wslab_split.csv", infer_schema=False)
    gold = set(pl.read_csv(demo / "data" / "gold.csv", infer_schema=False)["id"])
    answered = loop["answered"]
    outside_gold = [i for i in answered if i not in gold]
    assert set(split["id"]) == gold  # the split file holds the gold file's rows; answers are dev by rule
    assert second.metrics["gold"]["n_dev"] == first.metrics["gold"]["n_dev"] + len(outside_gold)
    assert len(outside_gold) > len(answered) // 2


def test_reviewed_items_left_the_queue_and_are_expert_labels(loop):
    second, truth, answered = loop["second"], loop["truth"], loop["answered"]
    # the export holds the top TOP flagged items, fewer when the flag (calibrated on gold dev) keeps fewer
    assert loop["summary"]["answers"] == len(answered) == min(TOP, loop["first_flagged"]) >= 50
    queue = pl.read_csv(second.files["queue"], infer_schema=False)
    assert queue.height > 0 and not set(queue["id"]) & set(answered)
    labels = pl.read_parquet(second.files["labels"])
    mine = labels.filter(pl.col("id").is_in(answered))
    assert mine.height == len(answered) and set(mine["source"]) == {"expert"}
    assert all(truth[i] == lab for i, lab in mine.select("id", "label").iter_rows())
    assert (mine["confidence"] == 1.0).all()
    before = loop["first_labels"].filter(pl.col("id").is_in(answered))
    assert "expert" not in set(before["source"])
    store = pl.read_csv(loop["demo"] / "data" / "wslab_answers.csv", infer_schema=False)
    assert set(store["expert"]) == {EXPERT} and set(store["round"]) == {"1"}
