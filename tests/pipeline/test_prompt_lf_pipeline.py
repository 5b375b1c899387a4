"""``wslab apply`` with a prompt LF, against the fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml

from wslab.core.config import load_config
from wslab.app.pipeline import run_apply

_spec = importlib.util.spec_from_file_location(
    "fake_openai_server", Path(__file__).parents[1] / "llm" / "fake_openai_server.py")
fos = sys.modules.setdefault("fake_openai_server", importlib.util.module_from_spec(_spec))
if not hasattr(fos, "FakeOpenAIServer"):
    _spec.loader.exec_module(fos)


def sentiment_answer(body):
    text = fos.user_text(body).lower()
    if any(w in text for w in ("hate", "terrible", "awful", "broken")):
        return {"label": "neg"}
    if any(w in text for w in ("love", "great", "excellent", "happy")):
        return {"label": "pos"}
    return {"label": "ABSTAIN"}


@pytest.fixture
def prompt_project(project, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
    lfs = yaml.safe_load((project.parent / "lfs.yaml").read_text())
    lfs["lfs"].append({"name": "llm_sentiment", "kind": "prompt",
                       "instruction": "Is the review positive (pos) or negative (neg)? ABSTAIN if unclear."})
    (project.parent / "lfs.yaml").write_text(yaml.safe_dump(lfs, allow_unicode=True))
    return project


def with_llm(project: Path, base_url: str) -> None:
    cfg = yaml.safe_load(project.read_text())
    cfg["llm"] = {"base_url": base_url, "model": "cheap-model", "api_key_env": "TEST_LLM_KEY",
                  "concurrency": 4, "backoff_base_s": 0.01,
                  "prices": {"cheap-model": {"input_per_1m": 0.15, "output_per_1m": 0.6}}}
    project.write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_prompt_lf_runs_in_apply_and_rerun_pays_nothing(prompt_project):
    with fos.FakeOpenAIServer(sentiment_answer) as srv:
        with_llm(prompt_project, srv.base_url)
        res = run_apply(load_config(prompt_project))
        first_paid = len(srv.paid())
        assert first_paid == 1200  # one request per document
        matrix = pl.read_parquet(res.files["label_matrix"])
        col = matrix["llm_sentiment"]
        assert (col == 1).sum() > 100 and (col == 0).sum() > 100 and (col == -1).sum() > 100
        lf = res.lf_table.filter(pl.col("lf") == "llm_sentiment")
        assert lf["dev_accuracy"][0] > 0.7
        manifest = json.loads(res.files["manifest"].read_text())
        assert manifest["llm"]["tokens_in"] > 0 and manifest["llm"]["cost_usd"] > 0
        # a rerun resumes from the vote store: no new paid request, the same matrix
        again = run_apply(load_config(prompt_project))
        assert len(srv.paid()) == first_paid
        assert pl.read_parquet(again.files["label_matrix"]).equals(matrix)
    # the key never reaches a file in the run folder
    for path in (prompt_project.parent / "run").rglob("*"):
        if path.is_file():
            assert b"sk-test-not-a-secret-123" not in path.read_bytes()


def test_prompt_lf_without_llm_settings_is_a_config_error(prompt_project):
    from wslab.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"key 'llm': required by prompt LF 'llm_sentiment'"):
        run_apply(load_config(prompt_project))
    assert not (prompt_project.parent / "run").exists()
