"""Benchmark: kill a 5,000-document prompt-LF run halfway, rerun it, compare with an uninterrupted run.

    python benchmarks/bench_llm_resume.py [--docs 5000] [--latency 0.02] [--concurrency 8]

The model is the OpenAI-compatible fake server of the test suite (tests/llm/fake_openai_server.py)
on 127.0.0.1, answering after ``--latency`` seconds like a small hosted model would. The prompt
LF runs in a child process, which is SIGKILLed halfway, then rerun to completion; a third run
without interruption gives the reference label matrix. Three interruptions are measured:

* gated: the server stops answering after half the documents (requests are held, never
  answered) and the child is killed once every answer it got is saved -- the case the resume
  guarantee is about: nothing paid for is asked again;
* ctrl-c: SIGINT the moment the server has answered half, requests in flight: the run drains
  them, saves every answer and exits;
* abrupt: SIGKILL the moment the server has answered half the documents, with requests in
  flight. Answers that the server sent but the client had not yet received are lost with the
  process (no client can avoid that); they are counted.

Prints a markdown section and writes it to benchmarks/results/llm.md. No network beyond loopback.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "llm"))

from fake_openai_server import FakeOpenAIServer, user_text  # noqa: E402

from wslab.core.io import write_text  # noqa: E402
from wslab.labeling.prompt_lf import run_prompt_lf, prompt_lf_store_path  # noqa: E402
from wslab.core.llm import LLMSettings  # noqa: E402

LABELS = ["other", "card", "tariff"]
INSTRUCTION = "Which team should handle this customer message?"
PRICES = {"bench-mini": {"input_per_1m": 0.15, "output_per_1m": 0.60}}
WORK = ROOT / "benchmarks" / "_work" / "llm"


def make_corpus(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    topics = {
        "card": ["my card was blocked", "card declined at the shop", "lost my card yesterday"],
        "tariff": ["what does the premium plan cost", "change my tariff please", "fees went up"],
        "other": ["thanks for the help", "how do I update my address", "app crashes on start"],
    }
    names = list(topics)
    texts = []
    for i in range(n):
        topic = names[rng.integers(3)]
        body = topics[topic][rng.integers(3)]
        contact = [f"write to client{i}@mail.example.com", f"call +7 (9{i % 100:02d}) {i % 1000:03d}-{i % 100:02d}-{i % 97:02d}",
                   "card 4111 1111 1111 1111", ""][rng.integers(4)]
        texts.append(f"msg {i}: {body}. {contact}".strip())
    return pl.DataFrame({"id": [f"c{i:05d}" for i in range(n)], "text": texts})


def model(body: dict) -> dict:
    doc = user_text(body).split("<document-")[1].lower()
    if "card" in doc and "4111" not in doc:
        return {"label": "card"}
    if any(w in doc for w in ("plan", "tariff", "fees")):
        return {"label": "tariff"}
    return {"label": "other" if "crash" not in doc else "ABSTAIN"}


def settings(base_url: str, work_dir: Path, concurrency: int) -> LLMSettings:
    return LLMSettings(base_url=base_url, model="bench-mini", concurrency=concurrency, prices=PRICES,
                       backoff_base_s=0.05, timeout_s=30.0, cache_path=work_dir / "cache.sqlite")


def run_job(corpus: Path, work_dir: Path, base_url: str, out: Path, concurrency: int) -> None:
    r = run_prompt_lf(pl.read_parquet(corpus), name="route", instruction=INSTRUCTION,
                      labels=LABELS, settings=settings(base_url, work_dir, concurrency),
                      work_dir=work_dir)
    np.save(out, r.votes)


def stored(work_dir: Path) -> int:
    path = prompt_lf_store_path(work_dir, "route")
    if not path.exists():
        return 0
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT COUNT(*) FROM votes").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def doc_of(body: dict) -> str:
    return user_text(body).split("<document-")[1].split("msg ", 1)[1].split(":", 1)[0]


def interrupted_then_resumed(corpus: pl.DataFrame, corpus_path: Path, work: Path, *, mode: str,
                             latency: float, concurrency: int) -> dict:
    n = corpus.height
    half = n // 2
    gated = mode == "gated"
    srv = FakeOpenAIServer(model, latency_s=latency, hold_after=half if gated else None).start()
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--job", str(corpus_path), str(work),
                                 srv.base_url, str(work / "votes.npy"), str(concurrency)])
        if not srv.wait_paid(half, timeout=600):
            raise RuntimeError("the child never got halfway")
        if gated:
            while not (sum(r.fault == "held" for r in srv.requests) == concurrency
                       and stored(work) == len(srv.paid())):
                time.sleep(0.01)
        os.kill(proc.pid, signal.SIGINT if mode == "ctrl-c" else signal.SIGKILL)
        proc.wait()
        t_first = time.perf_counter() - t0
        srv.abort_held()
        paid_first = len(srv.paid())
        saved_first = stored(work)
        t1 = time.perf_counter()
        r = run_prompt_lf(corpus, name="route", instruction=INSTRUCTION, labels=LABELS,
                          settings=settings(srv.base_url, work, concurrency), work_dir=work)
        t_rerun = time.perf_counter() - t1
        per_doc = Counter(doc_of(q.body) for q in srv.paid())
        return {"votes": r.votes, "paid_first": paid_first, "saved_first": saved_first,
                "paid_rerun": r.usage["calls"], "cache_hits": r.usage["cache_hits"],
                "resumed": r.resumed, "paid_total": len(srv.paid()), "docs_paid": len(per_doc),
                "paid_twice": sum(1 for v in per_doc.values() if v > 1),
                "requests_total": len(srv.requests), "t_first": t_first, "t_rerun": t_rerun,
                "cost_rerun": r.usage["cost_usd"], "masked": r.masked, "status": r.status,
                "estimate": r.estimate}
    finally:
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--job", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        corpus, work_dir, base_url, out, conc = args.job
        try:
            run_job(Path(corpus), Path(work_dir), base_url, Path(out), int(conc))
        except KeyboardInterrupt:
            sys.exit(130)  # interrupted on purpose; every answer received is saved
        return

    import shutil

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    corpus = make_corpus(args.docs)
    corpus_path = WORK / "corpus.parquet"
    corpus.write_parquet(corpus_path)

    srv = FakeOpenAIServer(model, latency_s=args.latency).start()
    try:
        t0 = time.perf_counter()
        ref = run_prompt_lf(corpus, name="route", instruction=INSTRUCTION, labels=LABELS,
                            settings=settings(srv.base_url, WORK / "ref", args.concurrency),
                            work_dir=WORK / "ref")
        t_ref = time.perf_counter() - t0
        ref_paid = len(srv.paid())
    finally:
        srv.stop()

    runs = {}
    for mode in ("gated", "ctrl-c", "abrupt"):
        runs[mode] = interrupted_then_resumed(corpus, corpus_path, WORK / mode, mode=mode,
                                              latency=args.latency, concurrency=args.concurrency)

    def matrix(votes: np.ndarray) -> pl.DataFrame:
        return pl.DataFrame({"id": corpus["id"], "route": pl.Series(votes, dtype=pl.Int8)})

    n = args.docs
    lines = [
        f"## Prompt LF: kill halfway, resume ({n:,} documents)",
        "",
        f"Fake OpenAI-compatible server on 127.0.0.1 answering after {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, prices ${PRICES['bench-mini']['input_per_1m']}/"
        f"${PRICES['bench-mini']['output_per_1m']} per 1M input/output tokens. The child process "
        "is SIGKILLed once the server has answered half the documents; the same command is rerun. "
        f"Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
        f"Uninterrupted reference run: {ref_paid:,} paid calls, {t_ref:.1f} s, "
        f"${ref.usage['cost_usd']:.4f}; status {ref.status}; PII masked {ref.masked}. "
        f"Estimate printed before the run: {ref.estimate.describe()}; actual "
        f"{ref.usage['input_tokens']:,} input / {ref.usage['output_tokens']:,} output tokens.",
        "",
        "| interruption | paid before kill | saved before kill | paid by rerun | resumed from store | "
        "docs paid twice | total paid | rerun time | label matrix equals reference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in runs.items():
        equal = matrix(r["votes"]).equals(matrix(ref.votes))
        lines.append(
            f"| {key} | {r['paid_first']:,} | {r['saved_first']:,} | {r['paid_rerun']:,} | "
            f"{r['resumed']:,} | {r['paid_twice']} | {r['paid_total']:,} of {n:,} | "
            f"{r['t_rerun']:.1f} s | {'yes' if equal else 'NO'} |")
    lines += [
        "",
        "gated: SIGKILL; the server answered half and then held further requests unanswered; the child was "
        "killed once every answer was saved. The rerun skipped every saved document, paid only for "
        "the rest, and no document was paid twice.",
        "",
        "ctrl-c: SIGINT with requests in flight, no gate. The run starts nothing new, waits for the "
        "answers in flight, saves them and exits; nothing is paid twice.",
        "",
        "abrupt: SIGKILL with requests in flight. An answer the server had sent but the dying "
        "process had not yet saved is lost with it and asked again by the rerun (at most "
        f"`concurrency` = {args.concurrency}); that is the 'docs paid twice' column.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    write_text(ROOT / "benchmarks" / "results" / "llm.md", text)


if __name__ == "__main__":
    main()
