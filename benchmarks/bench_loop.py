"""Benchmark: the review loop on the demo, three rounds of 200 expert answers, scored on the frozen gold test.

    python benchmarks/bench_loop.py [--docs 50000] [--gold 2000] [--rounds 3] [--top 200] [--seed 7]

The demo project (``wslab demo``: seeded, its generator knows every document's true label) is
written to benchmarks/_work/loop, then: ``apply`` (round 0); and per round: the top ``--top``
rows of the run's queue exported as Label Studio tasks (``wslab relabel export``), each answered
with the document's true label in Label Studio's JSON export format (wslab/app/demo/expert.py),
imported (``wslab relabel import --config``: the answers store), and ``apply`` again.

Reported per round, from the last run's metrics.json ``rounds`` (every round's final labels of
the gold test, stored by its run and scored against the same frozen test): answers, labels the
expert changed (vs the label shown in the queue), accuracy and macro F1 with 95% bootstrap CIs,
the queue's precision per signal; from each run: the chosen pipeline candidate, how many of the
answered documents the run's final labels (labels.parquet) had wrong, the accuracy of the final
labels on the whole corpus against the generator's truth, and the wall time of the apply.
Checks on the way (the script stops if one fails): the frozen split file never changes, answered
documents leave the queue and are ``expert`` in labels.parquet with the true label.

Prints markdown and writes benchmarks/results/loop.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import polars as pl

from wslab.core.config import load_config
from wslab.app.demo import write_demo
from wslab.app.demo.expert import answer_tasks
from wslab.core.io import write_json, write_text
from wslab.app.review_loop import import_answers
from wslab.app.pipeline import run_apply
from wslab.quality.relabel import export_queue

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "loop"
OUT = HERE / "results" / "loop.md"
EXPERT = "expert@demo.example"


def _ci(metric: dict, key: str) -> str:
    value, ci = metric[key], (metric.get("ci") or {}).get(key)
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{value:.3f}"


def _per_signal(row: dict) -> str:
    parts = [f"{sig} {p['changed']}/{p['n']}" + (f" ({p['precision']:.0%})" if p["n"] else "")
             for sig, p in row["per_signal"].items() if p["n"]]
    return ", ".join(parts) or "-"


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"bench_loop: check failed: {what}")


def run_round(config: Path, truth: dict[str, str], rnd: int, top: int, previous) -> dict:
    """Export the top of ``previous``'s queue, answer it truly, import; return what was answered."""
    cfg = load_config(config)
    tasks_file = WORK / f"tasks_round{rnd}.json"
    export_queue(previous.files["queue"], tasks_file, top=top, labels=cfg.label_names)
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    export = WORK / f"label_studio_export_round{rnd}.json"
    write_json(export, answer_tasks(tasks, truth, first_task_id=1 + (rnd - 1) * top, project_id=rnd))
    summary = import_answers(cfg, export, expert=EXPERT)
    _check(summary["round"] == rnd and summary["answers"] == len(tasks), f"round {rnd}: import summary {summary}")
    final = pl.read_parquet(previous.files["labels"], columns=["id", "label"]).filter(
        pl.col("id").is_in([t["data"]["wslab_id"] for t in tasks]))
    wrong = sum(truth[i] != lab for i, lab in final.iter_rows())
    return {"ids": [t["data"]["wslab_id"] for t in tasks], "final_wrong": wrong}


def apply(config: Path, truth: dict[str, str]) -> tuple[object, dict]:
    t0 = time.perf_counter()
    run = run_apply(load_config(config))
    seconds = time.perf_counter() - t0
    labels = pl.read_parquet(run.files["labels"], columns=["id", "label", "source"])
    correct = sum(truth[i] == lab for i, lab, _ in labels.iter_rows())
    chosen = run.chosen
    return run, {"seconds": seconds, "corpus_accuracy": correct / labels.height, "chosen": chosen,
                 "test_final": run.metrics["test"]["final"], "labels": labels}


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--gold", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--top", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    demo = write_demo(WORK / "demo", n_docs=args.docs, n_gold=args.gold, seed=args.seed).out_dir
    config = demo / "config.yaml"
    truth = dict(pl.read_parquet(demo / "data" / "truth.parquet").select("id", "label").iter_rows())
    run, info = apply(config, truth)
    runs, answered = [info], [None]
    split = (demo / "data" / "wslab_split.csv").read_bytes()
    reviewed: set[str] = set()
    for rnd in range(1, args.rounds + 1):
        print(f"round {rnd - 1}: {info['chosen']}, test accuracy {info['test_final']['accuracy']:.3f}, "
              f"corpus accuracy {info['corpus_accuracy']:.4f}, {info['seconds']:.0f} s", file=sys.stderr, flush=True)
        answered.append(run_round(config, truth, rnd, args.top, run))
        reviewed |= set(answered[-1]["ids"])
        run, info = apply(config, truth)
        runs.append(info)
        _check((demo / "data" / "wslab_split.csv").read_bytes() == split, f"round {rnd}: the frozen split changed")
        queue = pl.read_csv(run.files["queue"], infer_schema=False)
        _check(not set(queue["id"]) & reviewed, f"round {rnd}: a reviewed document is still in the queue")
        mine = info["labels"].filter(pl.col("id").is_in(list(reviewed)))
        _check(mine.height == len(reviewed) and set(mine["source"]) == {"expert"}
               and all(truth[i] == lab for i, lab, _ in mine.iter_rows()), f"round {rnd}: reviewed labels not expert")
    print(f"round {args.rounds}: {info['chosen']}, test accuracy {info['test_final']['accuracy']:.3f}, "
          f"corpus accuracy {info['corpus_accuracy']:.4f}, {info['seconds']:.0f} s", file=sys.stderr, flush=True)
    text = render(args, run.metrics, runs, answered)
    write_text(OUT, text)
    print(text)
    return text


def render(args, metrics: dict, runs: list[dict], answered: list) -> str:
    rounds = metrics["rounds"]
    n_test = metrics["gold"]["n_test"]
    lines = [
        f"## Review loop: {args.rounds} rounds of {args.top} expert answers on the demo",
        "",
        f"`wslab demo` ({args.docs:,} messages, {args.gold:,} gold, generator seed {args.seed}; the generator knows "
        f"every message's true label) run by benchmarks/bench_loop.py: `apply`, then per round the top {args.top} of "
        f"the run's queue exported as Label Studio tasks, answered with the true labels in Label Studio's JSON export "
        f"format (wslab/app/demo/expert.py), `relabel import --config`, `apply` again. Scores: each round's final labels "
        f"on the same frozen gold test ({n_test:,} items, never moved: checked) from the last run's metrics.json "
        f"`rounds`, 95% bootstrap CIs. \"changed\": answers that differ from the label the queue showed (the final "
        f"label); \"final wrong\": answered documents the previous run's labels.parquet had wrong; corpus accuracy: "
        f"labels.parquet against the truth on all {args.docs:,} messages (answered ones included).",
        "",
        "| round | answers | changed | final wrong | test accuracy [95% CI] | test macro F1 [95% CI] | chosen candidate "
        "| corpus accuracy | queue precision per signal (changed/reviewed) | apply |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row, info, ans in zip(rounds, runs, answered):
        test = row.get("test")
        lines.append(
            f"| {row['round']} | {row['answers']} | {row['changed']} | {ans['final_wrong'] if ans else '-'} "
            f"| {_ci(test, 'accuracy') if test else '-'} | {_ci(test, 'macro_f1') if test else '-'} "
            f"| {info['chosen']} | {info['corpus_accuracy']:.4f} | {_per_signal(row)} | {info['seconds']:.0f} s |")
    first, last = rounds[0].get("test"), rounds[-1].get("test")
    if first and last:
        lines += ["", f"Test accuracy from round 0 to round {rounds[-1]['round']}: {first['accuracy']:.3f} -> "
                  f"{last['accuracy']:.3f} ({last['accuracy'] - first['accuracy']:+.3f}); macro F1 "
                  f"{first['macro_f1']:.3f} -> {last['macro_f1']:.3f} ({last['macro_f1'] - first['macro_f1']:+.3f})."]
    wrong, total = sum(a["final_wrong"] for a in answered if a), sum(len(a["ids"]) for a in answered if a)
    lines += ["", f"Of the {total} answers, {wrong} corrected a label the previous run's labels.parquet had wrong "
              "(the queue reviews the final labels, so \"changed\" and \"final wrong\" agree). The answers also "
              "join gold dev, which the gold-trained candidates learn from; an answer for a gold item corrects its "
              "gold label, and every round in the table is scored against today's gold labels of the same frozen "
              "test items, so rounds compare like with like."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
