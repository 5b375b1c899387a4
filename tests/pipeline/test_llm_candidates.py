"""LLM labels as a source in selection (issue 21, item 2): the labels of ``wslab llm-label`` (made
here by the noisy-oracle test server) compete as candidates out of fold on gold dev, with their
cost beside their dev score. A strong LLM beside weak LFs is chosen; a weak one is not."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from rich.console import Console

from wslab.app.llm_label import cost_manifest_path, llm_label
from wslab.app.pipeline import run_apply
from wslab.app.render import candidates_table
from wslab.core.config import load_config

_spec = importlib.util.spec_from_file_location(
    "fake_openai_server", Path(__file__).parents[1] / "llm" / "fake_openai_server.py")
fos = sys.modules.setdefault("fake_openai_server", importlib.util.module_from_spec(_spec))
if not hasattr(fos, "FakeOpenAIServer"):
    _spec.loader.exec_module(fos)

WEAK_LFS = {"lfs": [{"name": "kw_again", "label": "neg", "kind": "keywords", "keywords": ["again"]},
                    {"name": "kw_service", "label": "pos", "kind": "keywords", "keywords": ["service"]}]}
"""Filler words of the review corpus: LFs no better than chance."""

LLM_KINDS = ("llm", "votes+llm", "gold+llm")


def oracle_confusion(accuracy: float, abstain: float = 0.0) -> dict:
    """Right ``accuracy`` of the time where it answers; no answer ``abstain`` of the time."""
    a = 1 - abstain
    return {t: {t: a * accuracy, o: a * (1 - accuracy), "ABSTAIN": abstain} for t, o in (("pos", "neg"), ("neg", "pos"))}


@pytest.fixture(scope="module")
def corpus(make_review_corpus):
    """The review corpus: a third of its texts carry no word of their class, so a text model
    trained on gold cannot tell them apart."""
    df, y = make_review_corpus(600, np.random.default_rng(21))
    return df, np.where(y == 1, "neg", "pos")


@pytest.fixture(scope="module")
def plain_corpus(corpus):
    """The same corpus with one more word of its class in every text: a text model trained on
    gold tells the classes apart, and a weak LLM has nothing to add."""
    df, truth = corpus
    rng = np.random.default_rng(22)
    words = {"neg": ["terrible", "hate", "awful", "broken"], "pos": ["great", "love", "excellent", "happy"]}
    texts = [f"{t} {rng.choice(words[c])}" for t, c in zip(df["text"], truth, strict=True)]
    return df.with_columns(pl.Series("text", texts)), truth


def write_llm_project(folder: Path, corpus, project_writer, lfs: dict, base_url: str, *, bootstrap: int) -> Path:
    """The project of these tests: 300 gold (half dev), weak LFs, the test LLM server at ``base_url``."""
    df, truth = corpus
    gold_idx = np.random.default_rng(4).choice(len(df), 300, replace=False)
    gold = pl.DataFrame({"id": df["id"].gather(gold_idx), "label": truth[gold_idx]})
    return project_writer(folder, tables={"corpus.csv": df, "gold.csv": gold}, lfs=lfs, config={
        "seed": 3, "gold": {"path": "gold.csv", "dev_fraction": 0.5}, "lfs": {"files": ["lfs.yaml"]},
        "label_model": {"restarts": 1, "n_epochs": 100}, "selection": {"folds": 3},
        "evaluation": {"bootstrap": bootstrap}, "suspicious": {"enabled": False},
        "end_model": {"max_features": 5000},
        "llm": {"base_url": base_url, "model": "oracle", "api_key_env": "TEST_LLM_KEY", "concurrency": 8,
                "backoff_base_s": 0.01, "prices": {"oracle": {"input_per_1m": 0.15, "output_per_1m": 0.6}}}})


def llm_project(folder: Path, corpus, project_writer, monkeypatch, accuracy: float, abstain: float = 0.0):
    """A project with weak LFs whose ``llm_labels`` file an oracle of ``accuracy`` wrote
    through ``wslab llm-label``; returns (config path, the run's result)."""
    df, truth = corpus
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
    oracle = fos.NoisyOracle(dict(zip(df["text"], truth, strict=True)), oracle_confusion(accuracy, abstain), seed=5)
    with fos.FakeOpenAIServer(oracle) as srv:
        config = write_llm_project(folder, corpus, project_writer, WEAK_LFS, srv.base_url, bootstrap=200)
        llm_label(folder / "llm.csv", config=config)
        assert len(srv.paid()) == len(df)
    cfg = yaml.safe_load(config.read_text())
    cfg["llm_labels"] = "llm.csv"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return config, run_apply(load_config(config))


@pytest.fixture(scope="module")
def strong(tmp_path_factory, corpus, project_writer):
    with pytest.MonkeyPatch.context() as mp:
        return llm_project(tmp_path_factory.mktemp("strong"), corpus, project_writer, mp, 0.95, abstain=0.1)


@pytest.fixture(scope="module")
def weak(tmp_path_factory, plain_corpus, project_writer):
    with pytest.MonkeyPatch.context() as mp:
        return llm_project(tmp_path_factory.mktemp("weak"), plain_corpus, project_writer, mp, 0.60)


def rows_by_name(result) -> dict:
    return {r["name"]: r for r in result.metrics["candidates"]["rows"]}


def test_the_llm_candidates_are_scored_out_of_fold(strong):
    config, res = strong
    rows = rows_by_name(res)
    for name in ("llm", "llm+gold", "llm+gold+votes", "majority_vote+llm", "weighted_vote+llm", "label_model(dev)+llm"):
        assert name in rows, name
        assert rows[name]["oof"]["n"] == 150 and rows[name]["test"]["n"] == 150
    assert rows["llm"]["kind"] == "llm" and rows["llm+gold"]["kind"] == "gold+llm"
    assert rows["llm"]["uses_dev"] is False and rows["llm+gold"]["uses_dev"] is True
    # the LLM alone on dev: right 95% of the 90% it answers, a coin (the uniform prior) elsewhere
    assert rows["llm"]["oof"]["value"] == pytest.approx(0.9 * 0.95 + 0.1 * 0.5, abs=0.06)


def test_a_strong_llm_beside_weak_lfs_is_chosen_and_named(strong):
    config, res = strong
    rows = rows_by_name(res)
    metrics = json.loads(res.files["metrics"].read_text())
    chosen = metrics["chosen"]
    assert chosen in ("llm", "llm+gold", "llm+gold+votes") and rows[chosen]["chosen"]
    assert res.manifest["chosen"] == chosen
    best_plain = max(r["oof"]["value"] for r in rows.values() if r["kind"] not in LLM_KINDS)
    assert rows[chosen]["oof"]["value"] > best_plain + 0.05
    labels = pl.read_parquet(res.files["labels"])
    answered = labels["id"].is_in(pl.read_csv(config.parent / "llm.csv", schema_overrides={"id": pl.String})["id"].implode())
    assert 0.85 < answered.mean() < 0.95
    if chosen == "llm":  # the LLM's label where it answered, the prior elsewhere
        assert (labels["source"].to_numpy() == np.where(answered.to_numpy(), "llm", "prior")).all()
    else:
        assert (labels["source"] == chosen).all()


def test_a_weak_llm_is_not_chosen(weak):
    config, res = weak
    rows = rows_by_name(res)
    assert rows["llm"]["oof"]["value"] == pytest.approx(0.60, abs=0.1)
    chosen = res.metrics["chosen"]
    assert rows[chosen]["kind"] not in LLM_KINDS and rows[chosen]["llm_cost"] is None
    assert rows["gold_only"]["oof"]["value"] > rows["llm"]["oof"]["value"] + 0.2


def test_cost_column_beside_the_dev_score(strong):
    config, res = strong
    rows = rows_by_name(res)
    side = json.loads(cost_manifest_path(config.parent / "llm.csv").read_text())
    assert side["documents"] == 600 and side["cost_usd"] > 0
    for name in ("llm", "llm+gold"):
        assert rows[name]["llm_cost"] == {"usd": pytest.approx(side["cost_usd"]), "basis": "llm.csv.cost.json"}
    # LF-only and gold-only candidates read no paid source (the LFs here are keywords)
    assert rows["gold_only"]["llm_cost"] is None and rows["majority_vote"]["llm_cost"] is None
    console = Console(width=240, record=True)
    console.print(candidates_table(res.metrics["candidates"]))
    text = console.export_text()
    assert "LLM cost" in text and f"${side['cost_usd']:.4f}" in text
    html = (res.run_dir / "report.html").read_text()
    assert ">LLM cost<" in html and f"${side['cost_usd']:.4f}" in html and "llm.csv.cost.json" in html
    assert f"the LLM labels it reads cost ${side['cost_usd']:.4f} (llm.csv.cost.json)" in html  # the summary card


def test_prompt_lfs_are_the_llm_source_without_a_file(tmp_path, corpus, project_writer, monkeypatch):
    """No llm_labels file: the prompt LFs' labels make the LLM candidates (not ``+llm`` ones,
    they are among the LFs already), and every candidate reading them carries their cost."""
    df, truth = corpus
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
    lfs = {"lfs": [*WEAK_LFS["lfs"], {"name": "llm_says", "kind": "prompt", "instruction": "pos or neg?"}]}
    oracle = fos.NoisyOracle(dict(zip(df["text"], truth, strict=True)), oracle_confusion(0.95), seed=5)
    with fos.FakeOpenAIServer(oracle) as srv:
        config = write_llm_project(tmp_path, corpus, project_writer, lfs, srv.base_url, bootstrap=100)
        res = run_apply(load_config(config))
        again = run_apply(load_config(config))  # answers from the vote store: nothing paid, cost unknown
    rows = rows_by_name(res)
    assert "llm" in rows and "llm+gold" in rows and not any(n.endswith("+llm") or n == "llm+gold+votes" for n in rows)
    assert rows["llm"]["oof"]["value"] == pytest.approx(0.95, abs=0.06)
    paid = res.manifest["llm"]["cost_usd"]
    assert paid > 0
    for name in ("llm", "majority_vote", "gold+votes", "end_model(majority_vote)"):
        assert rows[name]["llm_cost"] == {"usd": pytest.approx(paid), "basis": "prompt LFs, paid this run"}, name
    assert rows["gold_only"]["llm_cost"] is None
    assert rows_by_name(again)["llm"]["llm_cost"]["usd"] is None
    console = Console(width=240, record=True)
    console.print(candidates_table(again.metrics["candidates"]))
    assert "unknown" in console.export_text()


def test_cost_manifest_survives_a_rerun_and_estimates_a_budget_stop(strong, corpus, tmp_path, project_writer,
                                                                   monkeypatch):
    from wslab.core.errors import BudgetExceeded

    config, _ = strong
    side = cost_manifest_path(config.parent / "llm.csv")
    first = json.loads(side.read_text())
    assert first["estimated"] is False and first["cost_usd"] == pytest.approx(first["this_run"]["cost_usd"])
    # a rerun answers from the store: the server is gone, nothing is paid, the total stays
    _, summary = llm_label(config.parent / "llm.csv", config=config)
    again = json.loads(side.read_text())
    assert summary["usage"]["calls"] == 0 and again["cost_usd"] == first["cost_usd"]

    # stopped at the budget (no manifest written), then resumed: the earlier answers are costed
    # like the resumed run's paid calls; a fresh full run in another folder is the truth
    df, truth = corpus
    small = df.head(200)
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
    oracle = fos.NoisyOracle(dict(zip(df["text"], truth, strict=True)), oracle_confusion(0.95), seed=5)
    costs = {}
    with fos.FakeOpenAIServer(oracle) as srv:
        for name in ("stopped", "full"):
            cfg = project_writer(tmp_path / name, tables={"corpus.csv": small}, config={
                "llm": {"base_url": srv.base_url, "model": "oracle", "api_key_env": "TEST_LLM_KEY", "concurrency": 1,
                        "backoff_base_s": 0.01, "prices": {"oracle": {"input_per_1m": 0.15, "output_per_1m": 0.6}}}})
            out = tmp_path / name / "llm.csv"
            if name == "stopped":
                with pytest.raises(BudgetExceeded):
                    llm_label(out, config=cfg, max_cost_usd=0.002)
                assert not cost_manifest_path(out).exists() and 0 < len(srv.paid()) < 200
            llm_label(out, config=cfg)
            costs[name] = json.loads(cost_manifest_path(out).read_text())
    assert costs["stopped"]["estimated"] is True and costs["full"]["estimated"] is False
    assert costs["stopped"]["cost_usd"] == pytest.approx(costs["full"]["cost_usd"], rel=0.1)
    assert costs["stopped"]["this_run"]["cost_usd"] < 0.9 * costs["full"]["cost_usd"]


def test_every_kind_has_a_sentence_and_its_paid_sources():
    from wslab.app.report.sections import PIPELINE_TEXT
    from wslab.labeling.selection import KIND_ORDER, LLM_SOURCES, llm_cost

    assert set(PIPELINE_TEXT) == set(KIND_ORDER)
    assert set(LLM_SOURCES) == set(KIND_ORDER) - {"gold"}
    costs = {"lfs": {"usd": 0.25, "basis": "prompt LFs, paid this run"}, "llm": {"usd": None, "basis": "x"}}
    assert llm_cost("votes+llm", costs) == {"usd": None, "basis": "prompt LFs, paid this run + x"}
    assert llm_cost("end_model", costs) == {"usd": 0.25, "basis": "prompt LFs, paid this run"}
    assert llm_cost("gold", costs) is None and llm_cost("llm", {}) is None


@pytest.mark.parametrize("rows, match", [
    ([("d00001", "pos"), ("d00002", "maybe")], r"llm\.csv: llm_labels row 2 \(id 'd00002'\) has label 'maybe'; expected one of"),
    ([("d00001", "pos"), ("d00001", "neg")], r"llm\.csv: llm_labels row 2: id 'd00001' is labelled twice"),
])
def test_bad_llm_labels_file_is_one_line_naming_the_row(tmp_path, corpus, project_writer, rows, match):
    from wslab.app.project import open_project
    from wslab.app.llm_source import llm_label_votes
    from wslab.core.errors import InputError

    df, _ = corpus
    config = project_writer(tmp_path, tables={"corpus.csv": df, "llm.csv": pl.DataFrame(rows, schema=["id", "label"],
                                                                                       orient="row")},
                            lfs=WEAK_LFS, config={"lfs": {"files": ["lfs.yaml"]}, "llm_labels": "llm.csv"})
    with pytest.raises(InputError, match=match):
        llm_label_votes(open_project(load_config(config)))


def test_llm_labels_map_to_corpus_rows_and_ignore_unknown_ids(tmp_path, corpus, project_writer):
    from wslab.app.project import open_project
    from wslab.app.llm_source import llm_label_votes

    df, _ = corpus
    llm = pl.DataFrame({"id": ["d00003", "zzz", "d00001", "d00003"], "annotator": ["a", "a", "b", "b"],
                        "label": ["neg", "pos", "pos", "pos"]})
    config = project_writer(tmp_path, tables={"corpus.csv": df, "llm.csv": llm}, lfs=WEAK_LFS,
                            config={"lfs": {"files": ["lfs.yaml"]}, "llm_labels": "llm.csv"})
    names, votes = llm_label_votes(open_project(load_config(config)))
    assert names == ["llm:a", "llm:b"] and votes.shape == (600, 2)
    assert votes[3].tolist() == [1, 0] and votes[1].tolist() == [-1, 0]  # labels index: pos 0, neg 1
    assert (votes != -1).sum() == 3


def test_an_llm_candidate_can_be_pinned(strong):
    config, _ = strong
    cfg = yaml.safe_load(config.read_text())
    cfg["selection"]["candidate"] = "llm+gold"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    res = run_apply(load_config(config))
    assert res.metrics["chosen"] == "llm+gold" and res.metrics["candidates"]["pinned"]
