"""``wslab lfs analyze`` and the LLM zero-shot baseline row of ``wslab apply``."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.config import load_config
from wslab.core.data import load_gold
from wslab.labeling.analysis import lf_summary
from wslab.app.pipeline import run_apply
from wslab.core.stats.metrics import classification_report

LFS = {"lfs": [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love", "excellent", "happy"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["terrible", "hate", "awful", "broken"]},
    {"name": "re_ru", "label": "neg", "kind": "regex", "pattern": r"ужасн\w*"},
    {"name": "kw_never", "label": "pos", "kind": "keywords", "keywords": ["zzzqqq"]},
]}


@pytest.fixture
def with_lfs(project, update_config):
    (project.parent / "lfs.yaml").write_text(yaml.safe_dump(LFS, allow_unicode=True), encoding="utf-8")
    update_config(project, lfs={"files": ["lfs.yaml"]})
    return project


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):  # --json writes NaN as null
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == pytest.approx(b, abs=1e-12) if isinstance(a, float) else a == b


def test_analyze_json_matches_lf_summary_and_apply(with_lfs):
    res = CliRunner().invoke(app, ["lfs", "analyze", str(with_lfs), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"{c} in --json output"))
    assert out["n_docs"] == 600 and out["n_dev"] == 100
    # reference: lf_summary over the label matrix and gold dev, computed here from scratch
    cfg = load_config(with_lfs)
    corpus = pl.read_csv(cfg.resolve(cfg.corpus.path))
    from wslab.labeling.compile import compile_lf
    from wslab.labeling.spec import load_lf_specs

    specs = load_lf_specs(cfg.resolve("lfs.yaml"))
    L = corpus.select([compile_lf(s, {"pos": 0, "neg": 1}, text_column="text") for s in specs]).to_numpy()
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=cfg.label_names, dev_fraction=0.5, seed=cfg.seed)
    pos = pl.DataFrame({"id": gold.dev_ids}).join(corpus.with_row_index("_i"), on="id", how="left",
                                                   maintain_order="left")["_i"].to_numpy()
    ref = lf_summary(L, [s.name for s in specs], cfg.label_names, L_dev=L[pos], y_dev=gold.y_dev).to_dicts()
    assert len(out["lfs"]) == len(ref) == 4
    descriptions = {s.name: s.description for s in specs}
    for got, want in zip(out["lfs"], ref, strict=True):
        assert set(got) == set(want) | {"description"}  # what the LF is, from its spec (issue 22.10)
        assert got["description"] == descriptions[got["lf"]]
        assert all(_same(got[k], want[k]) for k in want), (got, want)
    assert out["lfs"][3]["flags"] == "zero_coverage,no_dev_votes"
    # and it is the table apply writes
    table = run_apply(cfg).lf_table.to_dicts()
    assert all(_same(a[k], b[k]) for a, b in zip(table, ref, strict=True) for k in b)


def test_analyze_prints_a_table_and_writes_nothing(with_lfs):
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["lfs", "analyze", str(with_lfs)])
    assert res.exit_code == 0, res.output
    assert "kw_neg" in res.stdout and "zero_coverage" in res.stdout and "100 gold dev items" in res.stdout
    assert not (with_lfs.parent / "run").exists()


def test_analyze_bad_lf_file_is_exit_2_one_line(with_lfs):
    (with_lfs.parent / "lfs.yaml").write_text("lfs:\n  - {name: r, label: neg, kind: regex, pattern: '(a'}\n")
    res = CliRunner().invoke(app, ["lfs", "analyze", str(with_lfs)])
    assert res.exit_code == 2 and "invalid regex" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_lfs_help_has_examples():
    for cmd in (["lfs", "author", "--help"], ["lfs", "analyze", "--help"]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 0 and "Example: wslab lfs" in res.stdout


def _oracle(fake_server, corpus_labels):
    """The 'LLM' answers the true label of each document (found by its ref id), except it
    abstains on every 5th document and gets every 7th wrong."""

    def answer(body):
        text = fake_server.user_text(body)
        doc = text.split("ref ", 1)[1][:6]
        i = int(doc[1:])
        if i % 5 == 0:
            return {"label": "ABSTAIN"}
        label = corpus_labels[doc]
        if i % 7 == 0:
            label = "pos" if label == "neg" else "neg"
        return {"label": label}

    return answer


def test_llm_zero_shot_baseline_row(with_lfs, fake_server, update_config, llm_settings):
    cfg0 = load_config(with_lfs)
    gold_df = pl.read_csv(cfg0.resolve(cfg0.gold.path))
    truth = dict(zip(gold_df["id"], gold_df["label"], strict=True))
    with fake_server.FakeOpenAIServer(_oracle(fake_server, truth)) as srv:
        update_config(with_lfs, llm=llm_settings(srv.base_url, prices={
            "author-model": {"input_per_1m": 1.0, "output_per_1m": 2.0}}),
            llm_baseline={"enabled": True})
        cfg = load_config(with_lfs)
        res = run_apply(cfg)
        sent = [fake_server.user_text(r.body) for r in srv.requests]
        assert len(srv.paid()) == 200  # gold items only, one request each
        again = run_apply(cfg)  # the rerun pays nothing
        assert len(srv.paid()) == 200
    gold_ids = set(gold_df["id"])
    assert {s.split("ref ", 1)[1][:6] for s in sent} == gold_ids
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=cfg.label_names, dev_fraction=0.5, seed=cfg.seed)
    for split, ids, y in (("test", gold.test_ids, gold.y_test), ("dev", gold.dev_ids, gold.y_dev)):
        row = res.metrics[split]["llm_zero_shot"]
        idx = np.array([int(i[1:]) for i in ids])
        answered = idx % 5 != 0
        pred = np.where(idx % 7 == 0, 1 - y, y)
        # abstentions get the class prior's most frequent class, as uncovered items do for label models
        prior_top = int(np.argmax(np.bincount(gold.y_dev, minlength=2) + 1))
        pred = np.where(answered, pred, prior_top)
        ref = classification_report(y, pred, cfg.label_names, n_boot=0)
        assert row["n"] == len(ids)
        assert row["coverage"] == pytest.approx(answered.mean())
        assert row["accuracy"] == pytest.approx(ref["accuracy"])
        assert row["macro_f1"] == pytest.approx(ref["macro_f1"])
    manifest = res.manifest  # (the rerun rewrote manifest.json: it paid nothing)
    assert manifest["llm"]["baseline"]["documents"] == 200
    assert again.manifest["llm"]["cost_usd"] == 0 and again.manifest["llm"]["baseline"]["usage"]["calls"] == 0
    assert manifest["llm"]["cost_usd"] > 0 and manifest["llm"]["tokens_in"] > 0
    assert again.metrics["test"]["llm_zero_shot"] == res.metrics["test"]["llm_zero_shot"]
    from rich.console import Console

    from wslab.app.render import metrics_table

    console = Console(width=200, record=True)
    console.print(metrics_table(res.metrics, "test"))
    assert "LLM zero-shot (baseline)" in console.export_text()


def test_llm_baseline_without_llm_settings_is_a_config_error_before_any_work(with_lfs, update_config):
    update_config(with_lfs, llm_baseline={"enabled": True})
    res = CliRunner().invoke(app, ["apply", str(with_lfs)])
    assert res.exit_code == 2 and "key 'llm': required by llm_baseline" in res.stderr
    assert not (with_lfs.parent / "run").exists()
