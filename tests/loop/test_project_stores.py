"""Steps return values; the orchestrator alone writes (issue 20.4).

The gold split and the round of a run are project files outside the run folder: ``run_apply``
writes them only after every stage succeeded, so a run that fails leaves neither behind; the
gates read the agreement report from the run's result, not back from agreement.json."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from wslab.app.gates import run_measures
from wslab.app.pipeline import run_apply
from wslab.core.config import load_config

FAST = {"suspicious": {"enabled": False}, "end_model": {"enabled": False}, "selection": {"enabled": False},
        "label_model": {"restarts": 1, "n_epochs": 50}, "evaluation": {"bootstrap": 0}}


@pytest.fixture
def config(tmp_path, make_review_corpus, make_review_lfs, project_writer):
    corpus, y = make_review_corpus(300, np.random.default_rng(7))
    names = np.array(["pos", "neg"])
    gold = pl.DataFrame({"id": corpus["id"][:80], "label": names[y[:80]].tolist()})
    ann = pl.DataFrame({"id": [i for i in corpus["id"][:40] for _ in range(2)], "annotator": ["a", "b"] * 40,
                        "label": [names[k] for k in y[:40] for _ in range(2)]})
    return project_writer(tmp_path, tables={"corpus.csv": corpus, "gold.csv": gold, "annotations.csv": ann},
                          lfs=make_review_lfs(), config={"gold": {"path": "gold.csv"}, "annotations": "annotations.csv",
                                                         "lfs": {"files": ["lfs.yaml"]}, **FAST})


def test_failed_run_leaves_no_split_and_no_round(config, monkeypatch):
    cfg = load_config(config)
    split, rounds = cfg.review_path("split"), cfg.review_path("rounds")

    def broken(run_dir):
        raise RuntimeError("the report failed")

    monkeypatch.setattr("wslab.app.report.build_report", broken)  # the last stage of the run
    with pytest.raises(RuntimeError, match="the report failed"):
        run_apply(cfg)
    assert not split.exists() and not rounds.exists()
    assert not cfg.resolve(cfg.output.dir).exists()

    monkeypatch.undo()
    result = run_apply(cfg)
    stored = pl.read_csv(split)
    assert sorted(stored["id"].to_list()) == sorted(result.stores.split["id"].to_list())
    assert stored.filter(pl.col("split") == "test").height == result.metrics["gold"]["n_test"]
    assert pl.read_csv(rounds)["round"].to_list() == [0] * result.metrics["gold"]["n_test"]
    assert [r["round"] for r in result.metrics["rounds"]] == [0]  # this run's round, scored before it was stored
    assert result.metrics["rounds"][0]["test"]["n"] == result.metrics["gold"]["n_test"]


def test_gates_read_agreement_from_the_result(config):
    result = run_apply(load_config(config))
    (result.run_dir / "agreement.json").unlink()  # nothing is read back from the run folder
    measures = run_measures(result)
    assert measures["percent_agreement"].value == pytest.approx(1.0)  # both annotators copy the gold label
    assert measures["percent_agreement"].value == result.agreement["percent_agreement"]["value"]
