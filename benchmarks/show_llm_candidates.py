"""Show: is the LLM worth it on the demo? LLM labels as pipeline candidates, with their cost.

    python benchmarks/show_llm_candidates.py [--docs 10000] [--accuracy 0.9 0.6]

Writes the demo project (``wslab demo``'s generator, ``--docs`` messages, 2,000 gold), then for
each ``--accuracy``: a noisy-oracle LLM (tests/llm/fake_openai_server.py ``NoisyOracle`` on
127.0.0.1, answering from the demo's hidden truth with that accuracy, errors spread evenly over
the other classes) labels the corpus through ``wslab llm-label``, and ``wslab apply`` runs with
``llm_labels`` set. Prints each run's candidate table (dev score and LLM cost side by side) and
the chosen pipeline, and writes them to benchmarks/results/llm_candidates.md. No network beyond
loopback.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import polars as pl
import yaml
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "llm"))

from fake_openai_server import FakeOpenAIServer, NoisyOracle  # noqa: E402

from wslab.app.demo.project import write_demo  # noqa: E402
from wslab.app.llm_label import llm_label  # noqa: E402
from wslab.app.pipeline import run_apply  # noqa: E402
from wslab.app.render import candidates_table  # noqa: E402
from wslab.core.config import load_config  # noqa: E402
from wslab.core.io import write_text  # noqa: E402

WORK = ROOT / "benchmarks" / "_work" / "llm_candidates"
PRICES = {"oracle-mini": {"input_per_1m": 0.15, "output_per_1m": 0.60}}


def confusion(labels: list[str], accuracy: float) -> dict:
    wrong = (1 - accuracy) / (len(labels) - 1)
    return {t: {a: accuracy if a == t else wrong for a in labels} for t in labels}


def run_one(folder: Path, accuracy: float, *, docs: int) -> tuple[str, dict, float]:
    """(the candidate table as text, metrics, seconds) of one oracle accuracy."""
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    write_demo(folder, n_docs=docs)
    cfg_path = folder / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    corpus = pl.read_parquet(folder / "data" / "corpus.parquet")
    truth = pl.read_parquet(folder / "data" / "truth.parquet")
    labels = list(cfg["labels"])
    texts = corpus.join(truth, on="id")
    oracle = NoisyOracle(dict(zip(texts["text"], texts["label"], strict=True)), confusion(labels, accuracy), seed=1)
    t0 = time.perf_counter()
    with FakeOpenAIServer(oracle) as srv:
        cfg["llm"] = {"base_url": srv.base_url, "model": "oracle-mini", "api_key_env": "SHOW_LLM_KEY",
                      "concurrency": 16, "backoff_base_s": 0.01, "prices": PRICES}
        cfg["suspicious"] = {"enabled": False}
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        llm_label(folder / "llm.csv", config=cfg_path)
    cfg["llm_labels"] = "llm.csv"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    res = run_apply(load_config(cfg_path))
    seconds = time.perf_counter() - t0
    console = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(candidates_table(res.metrics["candidates"]))
    return console.export_text(), res.metrics, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--accuracy", type=float, nargs="+", default=[0.9, 0.6])
    args = ap.parse_args()
    import os

    os.environ.setdefault("SHOW_LLM_KEY", "sk-show-not-a-secret")
    parts = [f"# LLM labels as pipeline candidates (demo, {args.docs:,} messages, 2,000 gold)\n",
             f"{platform.platform()}; python {platform.python_version()}. Produced by "
             "`python benchmarks/show_llm_candidates.py`.\n"]
    for acc in args.accuracy:
        table, metrics, seconds = run_one(WORK / f"acc{int(acc * 100)}", acc, docs=args.docs)
        chosen = metrics["candidates"]["chosen"]
        final = metrics["test"]["final"]["macro_f1"]
        parts += [f"## Oracle LLM {acc:.0%} accurate\n",
                  f"chosen: `{chosen}` ({metrics['candidates']['rule']['reason']}); gold test macro F1 of the "
                  f"chosen pipeline {final:.3f}; llm-label + apply {seconds:.0f} s\n",
                  "```\n" + table.rstrip() + "\n```\n"]
        print(parts[-2], parts[-1], sep="\n", flush=True)
    write_text(ROOT / "benchmarks" / "results" / "llm_candidates.md", "\n".join(parts))


if __name__ == "__main__":
    main()
