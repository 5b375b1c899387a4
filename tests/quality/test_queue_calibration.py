"""Issue 22.11/12: the queue's flag is selective and its suggestion shown only where it beats the
given label on gold dev; the Label Studio task puts the text first and the meta lines small."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
from typer.testing import CliRunner

from wslab.quality.queue import build_queue, to_label_studio_tasks
from wslab.quality.queue_calibration import calibrate_queue


def _trec_like(n: int = 400, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A queue where cleanlab's own flag fires on half the items (as on TREC) at 20% precision,
    while its score ranks the 10% wrong labels near the top; gold dev for every other item."""
    rng = np.random.default_rng(seed)
    wrong = rng.random(n) < 0.1
    quality = np.where(wrong, rng.uniform(0.0, 0.5, n), rng.uniform(0.2, 1.0, n))
    items = pl.DataFrame({
        "id": [f"q{i}" for i in range(n)], "text": ["t"] * n, "given_label": ["a"] * n,
        "suggested_label": np.where(rng.random(n) < 0.5, "c", "a").tolist(),  # "c" is never right
        "label_quality": quality, "is_label_issue": quality < 0.6, "p_suggested": rng.uniform(0.5, 1.0, n),
    })
    truth = pl.DataFrame({"id": items["id"], "label": np.where(wrong, "b", "a").tolist()})[::2]
    return build_queue(items), truth


def test_flag_is_selective_and_at_least_as_precise_as_the_better_signal():
    queue, truth = _trec_like()
    assert queue["flagged"].mean() > 0.45  # the signals' own thresholds: about half the items
    out, summary = calibrate_queue(queue, truth, ["a", "b", "c"])
    assert out["priority"].to_list() == queue["priority"].to_list()  # the ranking stays
    assert out["flagged"].mean() < 0.25
    assert summary["flagged"]["precision"] >= summary["best_signal_precision"] > 0
    assert summary["flagged"]["n"] >= 5 and len(summary["flagged"]["ci"]) == 2
    flagged = out.filter("flagged")
    assert flagged["priority"].min() >= out.filter(~pl.col("flagged"))["priority"].max()


def test_suggestion_hidden_where_the_given_label_is_right_more_often():
    queue, truth = _trec_like()  # the suggestion is never right: the given label is right more often
    out, summary = calibrate_queue(queue, truth, ["a", "b", "c"])
    s = summary["suggestion"]
    assert s["threshold"] is None and s["suggestion_right"]["precision"] == 0 <= s["given_right"]["precision"]
    assert not out["show_suggestion"].any()
    tasks = to_label_studio_tasks(out.filter("flagged"))
    assert tasks and all("predictions" not in t and t["data"]["suggested_label"] == "" for t in tasks)
    assert any("not right more often than the given label" in t["data"]["suggestion_note"] for t in tasks)


def test_suggestion_shown_where_it_beats_the_given_label():
    queue, truth = _trec_like()
    truth = truth.join(queue.select("id", "suggested_label", "flagged"), on="id").with_columns(
        pl.when(pl.col("flagged")).then(pl.col("suggested_label")).otherwise(pl.col("label")).alias("label"))
    out, summary = calibrate_queue(queue, truth.select("id", "label"), ["a", "b", "c"])
    s = summary["suggestion"]
    assert s["threshold"] is not None
    assert s["shown"]["suggestion_right"]["precision"] > s["shown"]["given_right"]["precision"]
    shown = out.filter(pl.col("show_suggestion"))
    assert shown.height and (shown["suggested_label"] != shown["given_label"]).all()
    task = to_label_studio_tasks(shown.head(1))[0]
    assert task["predictions"][0]["result"][0]["value"]["choices"] == [shown["suggested_label"][0]]


def test_apply_writes_the_calibrated_queue_and_task_layout(tmp_path, make_review_corpus, make_review_lfs,
                                                            project_writer):
    """Through wslab apply: summary, queue column, tasks and the labeling config agree."""
    from wslab.app.cli import app

    rng = np.random.default_rng(2)
    df, y = make_review_corpus(300, rng)
    gold = pl.DataFrame({"id": df["id"][:120], "label": np.where(y[:120] == 1, "neg", "pos").tolist()})
    config = project_writer(tmp_path, tables={"corpus.csv": df, "gold.csv": gold}, lfs=make_review_lfs(), config={
        "seed": 1, "gold": {"path": "gold.csv"}, "lfs": {"files": ["lfs.yaml"]}, "evaluation": {"bootstrap": 0},
        "selection": {"enabled": False}, "end_model": {"max_features": 1000}, "suspicious": {"epochs": 2, "folds": 3}})
    res = CliRunner().invoke(app, ["apply", str(config), "-q"])
    assert res.exit_code == 0, res.output
    run = tmp_path / "run"
    manifest = json.loads((run / "manifest.json").read_text())
    cal = next(v for k, v in _walk(manifest) if k == "queue_calibration")
    assert cal["dev_items"] > 0 and "flagged" in cal and "signals" in cal
    queue = pl.read_csv(run / "queue.csv")
    tasks = json.loads((run / "label_studio.json").read_text())
    assert len(tasks) == queue.height
    for row, task in zip(queue.iter_rows(named=True), tasks):
        assert ("predictions" in task) == bool(row["show_suggestion"])
        assert task["data"]["suggestion_note"]
    xml = (run / "label_studio_config.xml").read_text()
    text_at, given_at = xml.index('<Text name="text"'), xml.index("Given label: $given_label")
    assert text_at < given_at < xml.index("Why queued") < xml.index("<Choices")
    assert re.search(r'<View style="font-size: 20px[^"]*">\s*<Text name="text"', xml)
    for line in re.findall(r"<Header [^>]*>", xml):
        assert 'size="6"' in line and "font-size: 13px" in line and "font-weight: normal" in line


def _walk(obj, key=None):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from _walk(v, k)
