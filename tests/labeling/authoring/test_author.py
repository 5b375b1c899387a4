"""``wslab lfs author`` against a scripted author model on the fake server."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.config import load_config
from wslab.core.data import load_gold
from wslab.app.project import open_data
from wslab.labeling.author import ProposalRejected, author_lfs, near_duplicate, proposal_to_spec
from wslab.labeling.compile import compile_lf
from wslab.labeling.spec import load_lf_specs

LABELS = ["pos", "neg"]


def kw(name, label, words, **extra):
    return {"name": name, "kind": "keywords", "label": label, "keywords": words, "match": None,
            "whole_word": None, "case_sensitive": None, "pattern": None, "instruction": None,
            "rationale": f"{label} words", **extra}


ROUND1 = [
    kw("kw_pos", "pos", ["great", "love", "excellent", "happy"]),
    {"name": "re_broken", "kind": "regex", "label": "neg", "pattern": "(terrible|hate", "keywords": None,
     "rationale": "unbalanced parenthesis"},
    {"name": "py_lf", "kind": "python", "label": "neg", "function": "os:system", "rationale": "code"},
    kw("kw_neutral", "neutral", ["ok"]),
    kw("kw_pos_again", "pos", ["great", "love", "excellent", "happy", "superb"]),
    kw("kw_service", "neg", ["service"]),
    kw("kw_never", "pos", ["zzzqqq"]),
    {"name": "llm_angry", "kind": "prompt", "label": "neg", "instruction": "Is the customer angry or disappointed?",
     "keywords": None, "pattern": None, "rationale": "tone"},
    {**kw("kw_exec", "neg", ["hate"]), "exec": "rm -rf /"},
    kw("id", "pos", ["love"]),  # would replace the id column of the label matrix
    kw("kw_neg", "neg", ["terrible", "hate", "awful", "broken"]),
]
ROUND2 = [
    kw("kw_ru", "pos", ["отлично"]),
    kw("kw_pos", "pos", ["love", "great", "excellent", "happy"]),  # a name clash and a duplicate
    {"name": "re_ru_neg", "kind": "regex", "label": "neg", "pattern": r"ужасн\w*", "rationale": "Russian"},
]
EXPECTED = {
    "kw_pos": ("accepted", "dev accuracy"),
    "re_broken": ("rejected", "invalid regex"),
    "py_lf": ("rejected", "kind 'python' is code"),
    "kw_neutral": ("rejected", "unknown label 'neutral'"),
    "kw_pos_again": ("rejected", "near-duplicate of 'kw_pos'"),
    "kw_service": ("rejected", "below min_accuracy"),
    "kw_never": ("rejected", "zero coverage"),
    "llm_angry": ("accepted_unscored", "not run"),
    "kw_exec": ("rejected", "unknown key"),
    "id": ("rejected", "key 'name': 'id' is reserved"),
    "kw_neg": ("accepted", "dev accuracy"),
    "kw_ru": ("accepted", "dev accuracy"),
    "kw_pos_2": ("rejected", "near-duplicate of 'kw_pos'"),
    "re_ru_neg": ("accepted", "dev accuracy"),
}


def round_of(body, fake_server) -> int:
    return int(re.search(r"Round (\d+) of", fake_server.user_text(body)).group(1))


@pytest.fixture
def scripted(fake_server):
    def answer(body):
        r = round_of(body, fake_server)
        return {"lfs": ROUND1 if r == 1 else ROUND2 if r == 2 else []}

    return answer


@pytest.fixture
def authored(project, fake_server, scripted, update_config, llm_settings):
    """Run two authoring rounds; yield (config path, result, server requests)."""
    with fake_server.FakeOpenAIServer(scripted) as srv:
        update_config(project, llm=llm_settings(srv.base_url))
        cfg = load_config(project)
        result = author_lfs(cfg, *open_data(cfg), out_path=project.parent / "lfs_llm.yaml", rounds=2, per_round=10,
                            sample_size=1000, dev_examples=400)
        yield project, result, list(srv.requests)


def test_candidates_are_kept_or_rejected_for_the_stated_reason(authored):
    _, result, requests = authored
    got = {c.name: (c.decision, c.reason) for c in result.candidates}
    assert set(got) == set(EXPECTED)
    for name, (decision, reason) in EXPECTED.items():
        assert got[name][0] == decision, (name, got[name])
        assert reason in got[name][1], (name, got[name])
    assert result.accepted == ["kw_pos", "llm_angry", "kw_neg", "kw_ru", "re_ru_neg"]
    assert len(requests) == 2 and result.rounds_run == 2
    assert result.usage["calls"] == 2 and result.usage["input_tokens"] > 0


def test_dev_accuracy_and_ci_match_a_direct_computation(authored):
    project, result, _ = authored
    cfg = load_config(project)
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=LABELS, dev_fraction=0.5, seed=cfg.seed)
    corpus = pl.read_csv(cfg.resolve(cfg.corpus.path))
    dev = pl.DataFrame({"id": gold.dev_ids}).join(corpus, on="id", how="left", maintain_order="left")
    spec = next(s for s in result.specs if s.name == "kw_neg")
    votes = dev.select(compile_lf(spec, {"pos": 0, "neg": 1}, text_column="text")).to_series().to_numpy()
    fired = votes != -1
    correct = int((votes[fired] == gold.y_dev[fired]).sum())
    n = int(fired.sum())
    # Wilson 95% interval by hand
    z, p = 1.959963984540054, correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    prov = spec.provenance
    assert prov["dev_n"] == n and prov["dev_accuracy"] == pytest.approx(correct / n, abs=1e-4)
    assert prov["dev_ci"] == pytest.approx([centre - half, centre + half], abs=1e-4)
    assert prov["author"] == "llm" and prov["model"] == "author-model" and prov["round"] == 1
    assert re.fullmatch(r"[0-9a-f]{16}", prov["prompt_hash"])
    assert 0 < prov["coverage"] < 1


def test_no_gold_test_document_and_no_raw_pii_is_ever_sent(authored, fake_server):
    project, _, requests = authored
    cfg = load_config(project)
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=LABELS, dev_fraction=0.5, seed=cfg.seed)
    corpus = pl.read_csv(cfg.resolve(cfg.corpus.path))
    test_texts = corpus.filter(pl.col("id").is_in(gold.test_ids.implode()))["text"].to_list()
    dev_ids = gold.dev_ids.to_list()
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in requests]
    sent = "\n".join(fake_server.all_text(r.body) for r in requests)
    for test_id, text in zip(gold.test_ids.to_list(), test_texts, strict=True):
        assert text not in sent
        assert all(test_id not in b for b in bodies), test_id
    assert any(d in sent for d in dev_ids)  # dev items are shown (with their labels)
    assert "jane.doe@example.com" not in "\n".join(bodies)
    assert "<EMAIL_1>" in sent  # the document was shown, masked
    assert "sk-test-not-a-secret" not in "\n".join(bodies)


def test_round_two_shows_the_dev_items_round_one_got_wrong(authored, fake_server):
    project, result, requests = authored
    cfg = load_config(project)
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=LABELS, dev_fraction=0.5, seed=cfg.seed)
    corpus = pl.read_csv(cfg.resolve(cfg.corpus.path))
    dev = pl.DataFrame({"id": gold.dev_ids}).join(corpus, on="id", how="left", maintain_order="left")
    round1 = [s for s in result.specs if s.provenance.get("round") == 1 and s.kind != "prompt"]
    assert [s.name for s in round1] == ["kw_pos", "kw_neg"]
    L = dev.select([compile_lf(s, {"pos": 0, "neg": 1}, text_column="text") for s in round1]).to_numpy()
    counts = np.stack([(L == k).sum(axis=1) for k in range(2)], axis=1)
    covered = counts.sum(axis=1) > 0
    right = covered & (counts[:, 0] != counts[:, 1]) & (counts.argmax(axis=1) == gold.y_dev)
    wrong = covered & ~right
    assert wrong.sum() >= 3  # the scripted LFs are imperfect
    prompt2 = fake_server.user_text(requests[1].body)
    ids = dev["id"].to_list()
    for i in np.flatnonzero(wrong):
        assert f"ref {ids[i]}" in prompt2
    for i in np.flatnonzero(~covered):
        assert f"ref {ids[i]}" in prompt2
    for i in np.flatnonzero(right):  # items already right are not shown again
        assert f"ref {ids[i]}" not in prompt2
    assert "kw_pos (keywords -> pos)" in prompt2  # the kept LFs are listed
    assert "kind 'python' is code" in prompt2  # and earlier rejections, so the model can learn


def test_written_yaml_loads_and_applies_with_wslab_apply(authored, update_config):
    project, result, _ = authored
    out = project.parent / "lfs_llm.yaml"
    specs = load_lf_specs(out)
    assert [s.name for s in specs] == result.accepted
    assert specs[1].kind == "prompt" and specs[1].provenance["scored"] is False
    report = json.loads((project.parent / "lfs_llm.authoring.json").read_text())
    assert report["decisions"] == {"accepted": 4, "accepted_unscored": 1, "rejected": 9}
    # use the declarative ones (the prompt LF would call the LLM) in the pipeline
    data = yaml.safe_load(out.read_text())
    data["lfs"] = [e for e in data["lfs"] if e["kind"] != "prompt"]
    (project.parent / "lfs_decl.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    update_config(project, lfs={"files": ["lfs_decl.yaml"]})
    res = CliRunner().invoke(app, ["apply", str(project), "--json"])
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.stdout)
    assert metrics["test"]["label_model"]["accuracy"] > 0.7


def test_a_rerun_keeps_earlier_lfs_and_pays_nothing(project, fake_server, scripted, update_config, llm_settings):
    with fake_server.FakeOpenAIServer(scripted) as srv:
        update_config(project, llm=llm_settings(srv.base_url))
        cfg = load_config(project)
        first = author_lfs(cfg, *open_data(cfg), out_path=project.parent / "a.yaml", rounds=1)
        again = author_lfs(cfg, *open_data(cfg), out_path=project.parent / "b.yaml", rounds=1)
        assert len(srv.paid()) == 1  # the same prompt is answered from the cache
    assert again.usage["cache_hits"] == 1 and again.usage["cost_usd"] == 0
    assert (project.parent / "a.yaml").read_text() == (project.parent / "b.yaml").read_text()
    assert first.accepted == ["kw_pos", "llm_angry", "kw_neg"]


def test_budget_stop_keeps_the_lfs_accepted_so_far(project, fake_server, update_config, llm_settings):
    def answer(body):
        return {"lfs": [kw("kw_pos", "pos", ["great", "love", "excellent", "happy"]),
                        kw("kw_neg", "neg", ["terrible", "hate", "awful", "broken"])]}

    with fake_server.FakeOpenAIServer(answer) as srv:
        # input is free, output costs $0.001 a token: a round reserves 1,200 output tokens ($1.20)
        update_config(project, llm=llm_settings(srv.base_url, max_cost_usd=1.25, prices={
            "author-model": {"input_per_1m": 0.0, "output_per_1m": 1000.0}}))
        out = project.parent / "lfs_llm.yaml"
        res = CliRunner().invoke(app, ["lfs", "author", str(project), "--out", str(out), "--rounds", "3",
                                       "--per-round", "2", "--quiet"])
        assert len(srv.paid()) == 1
    assert res.exit_code == 3
    assert "LLM budget reached" in res.stderr and "2 LFs written" in res.stderr
    assert [s.name for s in load_lf_specs(out)] == ["kw_pos", "kw_neg"]


def test_without_gold_is_a_one_line_config_error(project, update_config):
    update_config(project, gold=None, llm={"base_url": "http://127.0.0.1:9/v1", "model": "m"})
    res = CliRunner().invoke(app, ["lfs", "author", str(project)])
    assert res.exit_code == 2
    assert "key 'gold': required by lfs author" in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("item, reason", [
    ({"name": "x", "kind": "python", "label": "pos", "function": "os:system"}, "kind 'python' is code"),
    ({"name": "x", "kind": "shell", "label": "pos"}, "kind 'shell' is not allowed"),
    ({"name": "x", "kind": "regex", "label": "pos", "pattern": "(?<=a)b"}, "invalid regex"),
    ({"name": "x", "kind": "keywords", "label": "meh", "keywords": ["a"]}, "unknown label 'meh'"),
    ({"name": "1 bad name", "kind": "keywords", "label": "pos", "keywords": ["a"]}, "key 'name'"),
    ({"name": "x", "kind": "keywords", "label": "pos", "keywords": []}, "keywords"),
    ({"name": "x", "kind": "prompt", "label": "pos", "instruction": ""}, "instruction"),
    ("lf: kw", "not an object"),
])
def test_proposal_validation_rejects(item, reason):
    with pytest.raises(ProposalRejected, match=re.escape(reason)):
        proposal_to_spec(item, labels=LABELS, where="round 1 proposal 1")


def test_proposal_validation_drops_null_fields_of_other_kinds_and_keeps_the_rationale():
    spec = proposal_to_spec(kw("kw", "neg", ["hate"]), labels=LABELS, where="w")
    assert spec.condition.keywords == ["hate"] and spec.description == "neg words"
    spec = proposal_to_spec({"name": "p", "kind": "prompt", "label": "neg", "instruction": "Angry?",
                             "keywords": None, "pattern": None}, labels=LABELS, where="w")
    assert spec.prompt == {"kind": "prompt", "instruction": "Angry?", "labels": ["neg"]} and spec.label is None


def test_near_duplicate_is_jaccard_of_firing_sets():
    a = np.array([0, 0, -1, 1, -1])
    b = np.array([0, -1, -1, 1, 1])
    assert near_duplicate(a, b) == pytest.approx(2 / 4)
    assert near_duplicate(a, a) == 1.0
    assert near_duplicate(np.full(3, -1), np.full(3, -1)) == 0.0


def test_score_prompt_lfs_runs_them_on_gold_dev_only(project, fake_server, update_config, llm_settings):
    gold_df = pl.read_csv(project.parent / "gold.csv")
    truth = dict(zip(gold_df["id"], gold_df["label"], strict=True))
    proposal = {"name": "llm_neg", "kind": "prompt", "label": "neg", "instruction": "Is the review negative?",
                "rationale": "tone"}

    def answer(body):
        if body["response_format"]["json_schema"]["name"] == "lf_proposals":
            return {"lfs": [proposal]}
        doc = fake_server.user_text(body).split("ref ", 1)[1][:6]
        return {"label": "neg" if truth[doc] == "neg" else "ABSTAIN"}  # a perfect 'neg' detector

    with fake_server.FakeOpenAIServer(answer) as srv:
        update_config(project, llm=llm_settings(srv.base_url))
        cfg = load_config(project)
        result = author_lfs(cfg, *open_data(cfg), out_path=project.parent / "lfs_llm.yaml", rounds=1, score_prompt_lfs=True)
        labelled = [fake_server.user_text(r.body).split("ref ", 1)[1][:6] for r in srv.requests
                    if r.body["response_format"]["json_schema"]["name"] == "label"]
    gold = load_gold(cfg.resolve(cfg.gold.path), labels=LABELS, dev_fraction=0.5, seed=cfg.seed)
    assert sorted(labelled) == sorted(gold.dev_ids.to_list())  # dev only, each once
    [cand] = result.candidates
    assert cand.decision == "accepted" and cand.dev_accuracy == 1.0
    assert cand.dev_n == int((gold.y_dev == 1).sum())
    spec = load_lf_specs(project.parent / "lfs_llm.yaml")[0]
    assert spec.kind == "prompt" and spec.provenance["coverage_docs"] == 100
    assert result.usage["calls"] == 1 + 100
