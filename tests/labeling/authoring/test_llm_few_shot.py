"""The few-shot LLM baseline of ``wslab apply``, against the noisy-oracle server: rows, cost per
1,000 documents, and from the server's request log, examples only from gold dev, never the document."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml
from sklearn.metrics import cohen_kappa_score

from wslab.app.pipeline import run_apply
from wslab.core.config import load_config
from wslab.core.data import load_gold

LFS = {"lfs": [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love", "excellent", "happy"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["terrible", "hate", "awful", "broken"]},
]}
CONFUSION = {"pos": {"pos": 0.75, "neg": 0.15, "ABSTAIN": 0.10},
             "neg": {"pos": 0.20, "neg": 0.80}}


@pytest.fixture
def with_lfs(project, update_config):
    (project.parent / "lfs.yaml").write_text(yaml.safe_dump(LFS), encoding="utf-8")
    update_config(project, lfs={"files": ["lfs.yaml"]})
    return project


def test_zero_and_few_shot_rows_with_examples_from_gold_dev_only(with_lfs, fake_server, update_config, llm_settings):
    cfg0 = load_config(with_lfs)
    corpus = pl.read_csv(cfg0.resolve(cfg0.corpus.path))
    gold_df = pl.read_csv(cfg0.resolve(cfg0.gold.path)).join(corpus, on="id")
    truth = dict(zip(gold_df["text"], gold_df["label"], strict=True))
    flip = {"pos": "neg", "neg": "pos"}
    ann = pl.concat([gold_df.select("id", pl.lit(who).alias("annotator"),
                                    pl.when(pl.int_range(pl.len()) % every == 0).then(pl.col("label").replace(flip))
                                    .otherwise(pl.col("label")).alias("label"))
                     for who, every in (("ann1", 7), ("ann2", 5))])
    ann.write_csv(with_lfs.parent / "annotations.csv")
    llm_file = gold_df.select("id", pl.lit("gpt-x").alias("annotator"), "label").head(150)
    llm_file.write_csv(with_lfs.parent / "llm_labels.csv")
    oracle = fake_server.NoisyOracle(truth, CONFUSION, few_shot_gain=0.6, seed=2)
    with fake_server.FakeOpenAIServer(oracle) as srv:
        update_config(with_lfs, llm=llm_settings(srv.base_url, prices={
            "author-model": {"input_per_1m": 1.0, "output_per_1m": 2.0}}),
            llm_baseline={"enabled": True, "shots": 2, "shot_selection": "similar"},
            end_model={"enabled": False}, selection={"enabled": False},  # only the baseline is under test
            annotations="annotations.csv", llm_labels="llm_labels.csv")
        cfg = load_config(with_lfs)
        res = run_apply(cfg)
        assert len(srv.paid()) == 400  # 200 gold items, zero- and few-shot
        again = run_apply(cfg)
        assert len(srv.paid()) == 400  # the rerun pays nothing
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=cfg.label_names, dev_fraction=0.5, seed=cfg.seed)
    text_of = dict(zip(corpus["id"], corpus["text"], strict=True))
    dev_texts = {text_of[i] for i in gold.dev_ids}
    test_texts = {text_of[i] for i in gold.test_ids}
    few = [c for c in oracle.log if c.examples]
    assert len(few) == 200 and {c.document for c in few} == dev_texts | test_texts
    for call in few:
        shown = [t for t, _ in call.examples]
        assert not set(shown) & test_texts, "a gold test item was shown as an example"
        assert call.document not in shown, "a document was shown its own gold label"
        assert set(shown) <= dev_texts and sorted(lab for _, lab in call.examples) == ["neg", "neg", "pos", "pos"]
        assert all(truth[t] == lab for t, lab in call.examples)
    for split in ("test", "dev"):
        zero, fs = res.metrics[split]["llm_zero_shot"], res.metrics[split]["llm_few_shot"]
        assert fs["accuracy"] > zero["accuracy"] + 0.1  # the oracle's known gain
        assert set(fs["ci"]["per_class"]) == {"pos", "neg"} and fs["n"] == zero["n"]
    info = res.metrics["llm_baseline"]
    assert info["llm_few_shot"]["shots"] == 2 and info["llm_few_shot"]["shot_selection"] == "similar"
    z, f = info["llm_zero_shot"]["per_1k_docs"], info["llm_few_shot"]["per_1k_docs"]
    assert z["basis"] == f["basis"] == "measured"
    assert f["tokens_in"] > 1.5 * z["tokens_in"] > 0 and f["cost_usd"] > z["cost_usd"] > 0
    # measured: the server's token counts per call, times 1000
    paid_in = sum(max(1, len(fake_server.all_text(r.body)) // 4) for r in srv.paid() if not prompt_has_examples(r.body))
    assert z["tokens_in"] == pytest.approx(paid_in / 200 * 1000, rel=1e-3)
    again_info = again.metrics["llm_baseline"]["llm_few_shot"]["per_1k_docs"]
    assert again_info["basis"] == "estimate" and again_info["tokens_in"] == pytest.approx(f["tokens_in"], rel=0.25)
    assert again.metrics["test"]["llm_few_shot"] == res.metrics["test"]["llm_few_shot"]
    from rich.console import Console

    from wslab.app.render import llm_baseline_table, metrics_table

    console = Console(width=200, record=True)
    console.print(metrics_table(res.metrics, "test"))
    console.print(llm_baseline_table(res.metrics, "test"))
    text = console.export_text()
    assert "LLM few-shot (baseline)" in text and "cost / 1k docs" in text and "2 examples per class (similar)" in text
    html = (res.run_dir / "report.html").read_text()
    assert "LLM baselines per class" in html and "The LLM as a rater" in html
    # the agreement table has the LLM as a rater: the baseline's answers and the llm_labels file
    agreement = json.loads((res.run_dir / "agreement.json").read_text())
    llm = agreement["llm_raters"]
    assert llm["names"] == ["llm_zero_shot", "llm_few_shot", "llm:gpt-x"]
    assert agreement["data"]["annotators"] == ["ann1", "ann2"]  # the LLM is not among the annotators' coefficients
    pair = next(p for p in llm["cohen_kappa"] if p["rater"] == "llm:gpt-x" and p["annotator"] == "ann1")
    both = ann.filter(pl.col("annotator") == "ann1").join(llm_file, on="id", suffix="_llm")
    assert pair["n"] == 150 and pair["value"] == pytest.approx(cohen_kappa_score(both["label"], both["label_llm"]))
    vs_gold = {s["name"]: s for s in agreement["vs_gold"]["sources"] if s["kind"] == "llm"}
    assert set(vs_gold) == set(llm["names"]) and vs_gold["llm:gpt-x"]["accuracy"]["value"] == 1.0
    from wslab.app.render import print_agreement

    console = Console(width=200, record=True)
    print_agreement(agreement, console)
    text = console.export_text()
    assert "The LLM as a rater" in text and "llm:gpt-x" in text


def prompt_has_examples(body) -> bool:
    return sum(m["role"] == "user" for m in body["messages"]) > 1


def test_missing_llm_labels_file_is_exit_2_before_any_work(with_lfs, update_config):
    from typer.testing import CliRunner

    from wslab.app.cli import app

    update_config(with_lfs, llm_labels="nope.csv")
    res = CliRunner().invoke(app, ["apply", str(with_lfs)])
    assert res.exit_code == 2 and "nope.csv" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (with_lfs.parent / "run").exists()
