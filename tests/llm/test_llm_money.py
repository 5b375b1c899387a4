"""Issue 22, "Data and money" (items 4, 6, 7, 8, 9): paid LLM work is neither lost nor paid twice,
the key never shows, a dead endpoint is exit 4. Real command, real files, the fake server."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from fake_openai_server import Fault, user_text
from wslab.app.cli import app

PRICES = {"fake": {"input_per_1m": 1000.0, "output_per_1m": 2000.0}}


def invoke(*argv) -> tuple[int, list[str]]:
    res = CliRunner().invoke(app, [str(a) for a in argv])
    return res.exit_code, [ln for ln in res.output.splitlines() if ln.strip()]


def spam_or_ham(body):
    return {"label": "spam" if "buy" in user_text(body) else "ham"}


def corpus(tmp_path: Path, n: int, *, text: str = "buy cheap pills number {i} today") -> Path:
    path = tmp_path / "corpus.csv"
    pl.DataFrame({"id": [f"d{i:03d}" for i in range(n)],
                  "text": [text.format(i=i) for i in range(n)]}).write_csv(path)
    return path


def project(tmp_path: Path, srv, n: int, **llm) -> Path:
    corpus(tmp_path, n)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "task": "spam or ham", "labels": {"spam": "spam", "ham": "not spam"}, "corpus": {"path": "corpus.csv"},
        "output": {"dir": "run"},
        "llm": {"base_url": srv.base_url, "model": "fake", "backoff_base_s": 0.01, "backoff_max_s": 0.02,
                "timeout_s": 5.0, "prices": PRICES, **llm}}))
    return path


# ---------------------------------------------------------------- 4. two llm-label runs, one --out


def test_second_llm_label_into_the_same_out_fails_at_once_and_nothing_is_paid_twice(server, tmp_path):
    srv = server(spam_or_ham, hold_after=5)  # the first run is halfway while the second starts
    corpus(tmp_path, 40)
    out = tmp_path / "llm.csv"
    argv = [sys.executable, "-m", "wslab", "llm-label", "--corpus", str(tmp_path / "corpus.csv"), "--labels",
            "ham,spam", "--model", "fake", "--base-url", srv.base_url, "--concurrency", "2", "--out", str(out), "-q"]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not srv.wait_paid(5, timeout=0.1):
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
    second = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    srv.abort_held()
    assert second.returncode == 2, second.stderr
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and "another wslab run" in lines[0] and "llm.csv" in lines[0], lines
    assert first.wait(timeout=120) == 0, first.communicate()
    assert len(srv.paid()) == 40 and pl.read_csv(out).height == 40
    asked = len(srv.requests)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120)  # resumes: no new request
    assert again.returncode == 0, again.stderr
    assert len(srv.requests) == asked


# ---------------------------------------------------------------- 6. secrets


def files_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_short_key_is_never_shown(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ab12")
    srv = server(faults=lambda i, body: Fault("401"))
    corpus(tmp_path, 2)
    code, lines = invoke("llm-label", "--corpus", tmp_path / "corpus.csv", "--labels", "ham,spam", "--model", "fake",
                         "--base-url", srv.base_url, "--out", tmp_path / "llm.csv")
    errors = [line for line in lines if line.startswith("error:")]  # off a terminal, progress lines come too
    assert code == 2 and len(errors) == 1 and "HTTP 401" in errors[0], lines
    assert not any("sk-ab12" in line for line in lines) and "***" in errors[0]


@pytest.mark.parametrize("where", ["bearer_key", "url_credentials"])
def test_an_answer_echoing_the_credentials_is_never_cached(server, tmp_path, monkeypatch, where):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ab12")
    srv = server(spam_or_ham, faults=lambda i, body: Fault("echo_auth"))
    corpus(tmp_path, 3)
    base = srv.base_url if where == "bearer_key" else srv.base_url.replace("http://", "http://bob:pw-12@")
    work = tmp_path / "work"
    code, lines = invoke("llm-label", "--corpus", tmp_path / "corpus.csv", "--labels", "ham,spam", "--model", "fake",
                         "--base-url", base, "--out", tmp_path / "llm.csv", "--work-dir", work)
    assert code == 0, lines
    assert pl.read_csv(tmp_path / "llm.csv")["label"].to_list() == ["spam"] * 3
    import base64

    sent = {"bearer_key": ["sk-ab12"], "url_credentials": ["pw-12", base64.b64encode(b"bob:pw-12").decode()]}[where]
    stored = files_bytes(work)
    for secret in sent:
        assert secret.encode() not in stored, f"{secret} written to the work folder"
        assert all(secret not in line for line in lines)


# ---------------------------------------------------------------- 7. a dead endpoint


def test_llm_label_with_every_request_failing_exits_4(server, tmp_path):
    srv = server(faults=lambda i, body: Fault("500"))
    config = project(tmp_path, srv, 9, max_retries=1, concurrency=2)
    code, lines = invoke("llm-label", "--config", config, "--out", tmp_path / "llm.csv", "-q")
    assert code == 4, lines
    assert len(lines) == 1 and re.search(r"no document got an answer .*\(9 failed after every retry\)", lines[0]), lines
    assert not (tmp_path / "llm.csv").exists()


def test_apply_with_a_prompt_lf_on_a_dead_endpoint_exits_4(server, tmp_path):
    srv = server(faults=lambda i, body: Fault("500"))
    config = project(tmp_path, srv, 9, max_retries=1, concurrency=2)
    (tmp_path / "lfs.yaml").write_text(yaml.safe_dump({"lfs": [
        {"name": "kw", "kind": "keywords", "label": "spam", "keywords": ["buy"]},
        {"name": "llm_spam", "kind": "prompt", "instruction": "spam or ham?"}]}))
    cfg = yaml.safe_load(config.read_text())
    cfg.update(lfs={"files": ["lfs.yaml"]}, suspicious={"enabled": False}, end_model={"enabled": False})
    config.write_text(yaml.safe_dump(cfg))
    code, lines = invoke("apply", config, "-q")
    assert code == 4, lines
    assert len(lines) == 1 and "prompt LF llm_spam: no document got an answer" in lines[0], lines
    assert not (tmp_path / "run" / "labels.parquet").exists()


# ---------------------------------------------------------------- 8. money edges


def test_budget_is_never_exceeded_and_the_stop_counts_what_was_paid(server, settings_for, tmp_path):
    from wslab.core.errors import BudgetExceeded
    from wslab.labeling.prompt_lf import run_prompt_lf

    srv = server(spam_or_ham, latency_s=0.05, chars_per_token=1)  # dense tokens: 4x the chars/4 estimate
    docs = pl.DataFrame({"id": [f"d{i}" for i in range(40)], "text": [f"купите таблетки {i} " * 20 for i in range(40)]})
    settings = settings_for(srv, concurrency=4, max_cost_usd=0.01, prices={"fake": {"input_per_1m": 1.0,
                                                                                 "output_per_1m": 2.0}})
    with pytest.raises(BudgetExceeded) as exc:
        run_prompt_lf(docs, name="spam", instruction="spam?", labels=["spam", "ham"], settings=settings,
                      work_dir=tmp_path / "w")
    paid = srv.paid()
    spent = sum(r.usage["prompt_tokens"] * 1.0 + r.usage["completion_tokens"] * 2.0 for r in paid) / 1e6
    assert 0 < spent <= 0.01
    assert f"spent ${spent:.4f} of llm.max_cost_usd $0.0100 ({len(paid)} paid calls)" in str(exc.value)


def test_answers_and_tokens_requested_are_capped(server, settings_for, tmp_path):
    from wslab.labeling.prompt_lf import run_prompt_lf

    huge = '{"label": "spam", "pad": "' + "x" * 500_000 + '"}'
    srv = server(lambda body: huge)
    docs = pl.DataFrame({"id": ["a", "b"], "text": ["buy now", "hello"]})
    settings = settings_for(srv)
    with pytest.raises(Exception, match="no document got an answer"):
        run_prompt_lf(docs, name="spam", instruction="spam?", labels=["spam", "ham"], settings=settings,
                      work_dir=tmp_path / "w")
    assert all(r.body.get("max_tokens") for r in srv.requests)
    assert os.path.getsize(settings.cache_path) < 100_000
    from wslab.core.llm import LLMClient

    srv2 = server()
    client = LLMClient(settings_for(srv2, cache_path=None))
    client.complete_many([([{"role": "user", "content": "hi"}], {"type": "object"})])
    assert srv2.requests[0].body["max_tokens"] == 64


# ---------------------------------------------------------------- 9. disk full while votes are written


def test_disk_full_while_writing_votes_loses_no_paid_answer(server, tmp_path, monkeypatch):
    from wslab.labeling import vote_store

    srv = server(spam_or_ham, latency_s=0.1)
    config = project(tmp_path, srv, 16, concurrency=4)
    real_put = vote_store.VoteStore.put
    calls = {"n": 0}

    def put(self, *row):
        calls["n"] += 1
        if calls["n"] == 3:  # the disk is full for a moment
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_put(self, *row)

    monkeypatch.setattr(vote_store.VoteStore, "put", put)
    out = tmp_path / "llm.csv"
    code, lines = invoke("llm-label", "--config", config, "--out", out, "-q")
    assert code == 2, lines
    assert len(lines) == 1 and "cannot save prompt-LF votes (No space left on device)" in lines[0], lines
    asked = len(srv.requests)
    assert asked < 16
    code, lines = invoke("llm-label", "--config", config, "--out", out, "-q")
    assert code == 0, lines
    assert len(srv.requests) == 16, "an answer received before the disk filled was asked again"
    assert pl.read_csv(out).height == 16
