"""``wslab prompts compare`` against the noisy-oracle server: two instructions whose oracle
accuracies differ by 5 points, on a gold dev the size of the demo's (1,000 items)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from fake_openai_server import NoisyOracle
from wslab.app.cli import app
from wslab.core.stats.paired import paired_comparison

LABELS = ["tariff", "card", "other"]


def confusion(acc: float) -> dict:
    """Right with probability ``acc``; the error split evenly over the other two classes."""
    return {t: {a: acc if a == t else (1 - acc) / 2 for a in LABELS} for t in LABELS}


@pytest.fixture(scope="module")
def project(tmp_path_factory, project_writer):
    folder = tmp_path_factory.mktemp("prompts")
    rng = np.random.default_rng(8)
    n = 2000  # the demo's gold: 2,000 items, half of them dev
    y = rng.choice(3, size=n, p=[0.3, 0.3, 0.4])
    words = {0: ["fee", "price", "plan"], 1: ["card", "pin", "atm"], 2: ["branch", "thanks", "address"]}
    texts = [f"msg {i}: " + " ".join(rng.choice(words[c], size=3)) for i, c in enumerate(y)]
    ids = [f"m{i:05d}" for i in range(n)]
    corpus = pl.DataFrame({"id": ids, "text": texts})
    gold = pl.DataFrame({"id": ids, "label": np.array(LABELS)[y]})
    (folder / "a.txt").write_text("Route the message to a team.\n")
    (folder / "b.txt").write_text("Route the message to a team. Read it carefully first.\n")
    truth = dict(zip(texts, np.array(LABELS)[y], strict=True))
    config = project_writer(folder, tables={"corpus.csv": corpus, "gold.csv": gold}, config={
        "seed": 3, "labels": {lab: f"{lab} team" for lab in LABELS},
        "gold": {"path": "gold.csv", "dev_fraction": 0.5}, "evaluation": {"bootstrap": 1000}})
    return folder, config, truth


def test_compare_finds_a_five_point_difference_and_a_rerun_is_free(project, server, monkeypatch):
    import yaml

    folder, config, truth = project
    oracle = NoisyOracle(truth, confusion(0.80), by_instruction={"carefully": confusion(0.85)}, seed=1)
    srv = server(oracle)
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    cfg = yaml.safe_load(config.read_text())
    cfg["llm"] = {"base_url": srv.base_url, "model": "fake", "api_key_env": "TEST_LLM_KEY", "concurrency": 16,
                  "prices": {"fake": {"input_per_1m": 1.0, "output_per_1m": 2.0}}}
    config.write_text(yaml.safe_dump(cfg))
    args = ["prompts", "compare", str(config), str(folder / "a.txt"), str(folder / "b.txt"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n"] == 1000 and len(srv.paid()) == 2000
    # exactly the gold dev items reached the server, never gold test
    from wslab.app.project import open_data
    from wslab.core.config import load_config

    corpus, gold = open_data(load_config(config))
    assert {c.document for c in oracle.log} == set(corpus.texts(gold.dev_ids))
    assert not {c.document for c in oracle.log} & set(corpus.texts(gold.test_ids))
    a, b = out["prompts"]["a"], out["prompts"]["b"]
    assert a["accuracy"] == pytest.approx(0.80, abs=0.03) and b["accuracy"] == pytest.approx(0.85, abs=0.03)
    diff = out["difference"]["accuracy"]
    assert diff["value"] == pytest.approx(b["accuracy"] - a["accuracy"])
    assert diff["ci"][0] > 0, diff  # the CI excludes zero at the demo's dev size
    m = out["mcnemar"]
    assert m["pvalue"] < 0.01 and m["table"][1][0] > m["table"][0][1]
    # McNemar's statistic and p-value: statsmodels on the same table
    from statsmodels.stats.contingency_tables import mcnemar

    ref = mcnemar(np.array(m["table"]), exact=m["exact"], correction=True)
    assert m["pvalue"] == pytest.approx(ref.pvalue) and m["statistic"] == pytest.approx(ref.statistic)
    assert a["usage"]["cost_usd"] > 0 and out["cost_usd"] == pytest.approx(a["usage"]["cost_usd"] + b["usage"]["cost_usd"], abs=1e-6)
    assert a["per_1k_docs"]["basis"] == "measured"
    # the rerun is free: no new request reached the server
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    out2 = json.loads(again.stdout)
    assert len(srv.requests) == 2000 and out2["cost_usd"] == 0 and out2["prompts"]["a"]["resumed"] == 1000
    assert out2["difference"] == out["difference"] and out2["prompts"]["b"]["per_1k_docs"]["basis"] == "estimate"
    # and the console table
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, args[:-1])
    assert res.exit_code == 0 and "Prompts compared on 1000 gold dev items" in res.stdout and "McNemar" in res.stdout


def test_paired_comparison_reference_and_ci():
    y = np.array([0] * 50 + [1] * 50)
    a = y.copy()
    a[:10] = 1  # A wrong on 10
    b = y.copy()
    b[:2] = 1  # B wrong on 2 of the same
    out = paired_comparison(y, a, b, 2, n_boot=500, rng=np.random.default_rng(0))
    assert out["a"]["accuracy"] == 0.9 and out["b"]["accuracy"] == 0.98
    assert out["difference"]["accuracy"]["value"] == pytest.approx(0.08)
    lo, hi = out["difference"]["accuracy"]["ci"]
    assert 0 < lo < 0.08 < hi
    # exact McNemar with 8 discordant pairs, all for B: p = 2 * 0.5**8
    assert out["mcnemar"]["exact"] and out["mcnemar"]["pvalue"] == pytest.approx(2 * 0.5 ** 8)
    same = paired_comparison(y, a, a, 2, n_boot=200)
    assert same["difference"]["accuracy"]["ci"] == [0.0, 0.0] and same["mcnemar"]["pvalue"] == 1.0


def test_missing_instruction_file_is_exit_2_one_line(project):
    folder, config, _ = project
    res = CliRunner().invoke(app, ["prompts", "compare", str(config), str(folder / "a.txt"), str(folder / "nope.txt")])
    assert res.exit_code == 2 and "nope.txt: instruction file not found" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
