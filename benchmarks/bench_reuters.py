"""Benchmark (issue 19, Show): Reuters-21578, the 10 most frequent topics as tags.

    python benchmarks/bench_reuters.py [--data ../shared/data/reuters/reuters21578_test.json]

The data is the ModApte test split of Reuters-21578 as one JSON list (``id``, ``text``,
``labels``: the document's topics); the script skips cleanly (exit 0, a note in the results) when
the file is absent. From it:

1. The tags: the 10 most frequent topics (ties by name). A document keeps only those of its
   topics; one with none of them has no tag.
2. A fixed-seed split (seed 19) into pool / dev / test, 60 / 20 / 20, stratified as far as
   multi-label data allows: each document is grouped by its rarest tag (or "none") and every
   group is split 60/20/20 after a seeded shuffle.
3. A wslab project in benchmarks/_work/reuters: ``corpus.csv`` (all documents; the gold items
   are corpus documents too, as in any project), ``gold.csv`` (``id``, ``label`` = tags joined
   by ``;``, ``split`` = dev/test), ``lfs.yaml`` (benchmarks/reuters/lfs.yaml, written by hand from
   pool and dev documents only), ``config.yaml`` with ``multilabel: true``.
4. Two baselines scored on gold test: majority vote per tag over the LFs (votes for minus
   votes against > 0; no vote: no tag), and a gold-only one-vs-rest TF-IDF + logistic regression
   trained on the same gold dev (threshold 0.5; C in 1/10/100 and class weighting none/balanced
   chosen by 5-fold micro F1 on dev alone).
5. ``wslab apply`` on the project. The installed wslab may not know ``multilabel`` yet: then the
   run exits 2 on the key and the table says so; otherwise metrics.json's ``test.final`` (the
   issue's contract) fills the wslab row.

Per tag precision / recall / F1 and micro / macro F1 (95% bootstrap CI over test documents,
1,000 resamples), subset accuracy and Hamming loss. Prints markdown and writes
benchmarks/results/reuters.md. No network.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "reuters" / "reuters21578_test.json"
WORK = HERE / "_work" / "reuters"
LFS = HERE / "reuters" / "lfs.yaml"
OUT = HERE / "results" / "reuters.md"
N_TAGS, SEED, FRACTIONS = 10, 19, (0.6, 0.2, 0.2)
TITLE = "## Reuters-21578: 10 topics as tags (issue 19)"
TOPICS = {"earn": "Earnings, results and dividends.", "acq": "Acquisitions, mergers, stakes.",
          "crude": "Crude oil: prices, output, OPEC.", "money-fx": "Currencies and foreign exchange markets.",
          "grain": "Grain: wheat, corn, rice, barley, sorghum...", "interest": "Interest rates.",
          "trade": "International trade, tariffs, trade balances.", "ship": "Shipping, ports, vessels.",
          "wheat": "Wheat.", "corn": "Corn (maize)."}
"""The config's ``labels:`` descriptions (a topic not listed is described by its name)."""


def top_tags(docs: list[dict], k: int = N_TAGS) -> list[str]:
    """The ``k`` most frequent topics, most frequent first (ties by name)."""
    counts = Counter(t for d in docs for t in d["labels"])
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def split_docs(docs: list[dict], tags: list[str], *, seed: int = SEED) -> dict[str, str]:
    """id -> pool/dev/test: grouped by the rarest tag a document carries ("" for none), each
    group shuffled by one seeded generator and cut 60/20/20."""
    freq = Counter(t for d in docs for t in d["labels"] if t in tags)
    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        mine = [t for t in d["labels"] if t in freq]
        groups[min(mine, key=lambda t: (freq[t], t)) if mine else ""].append(d["id"])
    rng, out = np.random.default_rng(seed), {}
    for key in sorted(groups):
        ids = np.array(groups[key])
        rng.shuffle(ids)
        a = int(round(FRACTIONS[0] * len(ids)))
        b = a + int(round(FRACTIONS[1] * len(ids)))
        out.update({i: "pool" for i in ids[:a]} | {i: "dev" for i in ids[a:b]} | {i: "test" for i in ids[b:]})
    return out


def tag_matrix(docs: list[dict], tags: list[str]) -> np.ndarray:
    return np.array([[t in d["labels"] for t in tags] for d in docs], dtype=np.int8)


def write_project(folder: Path, docs: list[dict], tags: list[str], split: dict[str, str]) -> Path:
    """The wslab project of the benchmark; returns its config path."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    pl.DataFrame({"id": [d["id"] for d in docs], "text": [d["text"] for d in docs]}).write_csv(folder / "corpus.csv")
    gold = [d for d in docs if split[d["id"]] != "pool"]
    pl.DataFrame({"id": [d["id"] for d in gold],
                  "label": [";".join(t for t in tags if t in d["labels"]) for d in gold],
                  "split": [split[d["id"]] for d in gold]}).write_csv(folder / "gold.csv")
    shutil.copyfile(LFS, folder / "lfs.yaml")
    config = {"task": "Tag Reuters newswire stories with their topics (the 10 most frequent).", "seed": 13,
              "multilabel": True, "corpus": {"path": "corpus.csv"},
              "labels": {t: TOPICS.get(t, f"Reuters topic {t}.") for t in tags},
              "gold": {"path": "gold.csv", "split_column": "split"}, "lfs": {"files": ["lfs.yaml"]},
              "end_model": {"enabled": True}, "suspicious": {"enabled": False}, "output": {"dir": "runs/reuters"}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------- baselines


def lf_votes(docs: list[dict], tags: list[str]) -> np.ndarray:
    """Per document and tag: LF votes for minus votes against (the LFs compiled by wslab; the
    ``vote`` key is read here, so this works before wslab's spec knows it)."""
    from wslab.labeling.compile import compile_condition
    from wslab.labeling.spec import parse_lf

    frame = pl.DataFrame({"text": [d["text"] for d in docs]})
    score = np.zeros((len(docs), len(tags)), dtype=np.int64)
    for raw in yaml.safe_load(LFS.read_text(encoding="utf-8"))["lfs"]:
        raw = dict(raw)
        sign = -1 if raw.pop("vote", "for") == "against" else 1
        spec = parse_lf(raw, where=f"{LFS}")
        fired = frame.select(compile_condition(spec.condition, text_column="text").fill_null(False)).to_series()
        score[:, tags.index(spec.label)] += sign * fired.to_numpy().astype(np.int64)
    return score


def majority_vote(docs: list[dict], tags: list[str]) -> np.ndarray:
    return (lf_votes(docs, tags) > 0).astype(np.int8)


def gold_only(dev: list[dict], test: list[dict], tags: list[str], *, seed: int = SEED) -> tuple[np.ndarray, str]:
    """One-vs-rest TF-IDF + logistic regression fitted on gold dev, predicted on test; C and
    class weighting chosen by 5-fold micro F1 on dev alone (test never chooses). Returns the
    predictions and the chosen setting."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)),
                          OneVsRestClassifier(LogisticRegression(max_iter=2000)))
    grid = {"onevsrestclassifier__estimator__C": [1.0, 10.0, 100.0],
            "onevsrestclassifier__estimator__class_weight": [None, "balanced"]}
    search = GridSearchCV(model, grid, scoring="f1_micro", cv=KFold(5, shuffle=True, random_state=seed), n_jobs=1)
    search.fit([d["text"] for d in dev], tag_matrix(dev, tags))
    best = search.best_params_
    setting = (f"C={best['onevsrestclassifier__estimator__C']:g}, "
               f"class_weight={best['onevsrestclassifier__estimator__class_weight']}")
    return search.predict([d["text"] for d in test]).astype(np.int8), setting


# ---------------------------------------------------------------- scores


def scores(y: np.ndarray, p: np.ndarray, tags: list[str], *, n_boot: int = 1000, seed: int = 0) -> dict:
    """Per tag P/R/F1 and support; micro/macro F1 with bootstrap CIs; subset accuracy; Hamming loss."""
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_fscore_support

    prec, rec, f1, sup = precision_recall_fscore_support(y, p, zero_division=0)
    rng = np.random.default_rng(seed)
    boots = {"micro_f1": [], "macro_f1": []}
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        boots["micro_f1"].append(f1_score(y[i], p[i], average="micro", zero_division=0))
        boots["macro_f1"].append(f1_score(y[i], p[i], average="macro", zero_division=0))
    return {"n": int(len(y)), "micro_f1": float(f1_score(y, p, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(y, p, average="macro", zero_division=0)),
            "subset_accuracy": float(accuracy_score(y, p)), "hamming_loss": float(hamming_loss(y, p)),
            "ci": {k: [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))] for k, v in boots.items()},
            "per_tag": {t: {"precision": float(prec[k]), "recall": float(rec[k]), "f1": float(f1[k]),
                            "support": int(sup[k])} for k, t in enumerate(tags)}}


# ---------------------------------------------------------------- wslab


def run_wslab(config: Path) -> tuple[dict | None, str, float]:
    """``wslab apply`` on the project: (test.final of metrics.json or None, a note, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "wslab", "apply", str(config), "--quiet"], cwd=config.parent,
                          capture_output=True, text=True)
    took = time.perf_counter() - t0
    if proc.returncode == 2 and "multilabel" in proc.stderr:
        return None, "the installed wslab does not know `multilabel` yet (apply exits 2 on the key)", took
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"wslab apply exited {proc.returncode}: {last}", took
    path = config.parent / "runs" / "reuters" / "metrics.json"
    metrics = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if not metrics.get("multilabel"):
        return None, "metrics.json is not multilabel (no `multilabel: true`)", took
    return metrics, f"`wslab apply` in {took:.0f} s", took


# ---------------------------------------------------------------- report


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ci(row: dict, key: str) -> str:
    lo, hi = (row.get("ci") or {}).get(key) or (None, None)
    return f"{_f(row[key])} [{_f(lo)}, {_f(hi)}]" if lo is not None else _f(row[key])


def render(tags: list[str], counts: dict[str, int], rows: dict[str, dict | None], chosen: dict, notes: list[str]) -> str:
    names = list(rows)
    lines = [TITLE, "",
             f"Reuters-21578 ModApte test split ({counts['docs']:,} stories), the {len(tags)} most frequent "
             f"topics as tags; a story may carry several (wheat stories are grain too) or none. Fixed-seed "
             f"split (seed {SEED}) grouped by each story's rarest tag: pool {counts['pool']:,}, gold dev "
             f"{counts['dev']:,}, gold test {counts['test']:,}. {counts['lfs']} hand-written LFs "
             f"(benchmarks/reuters/lfs.yaml, {counts['against']} of them `vote: against`), their precision checked "
             "on pool and dev only. Majority vote: per tag, LF votes for minus against > 0. Gold only: "
             "one-vs-rest TF-IDF (word 1-2 grams) + logistic regression fitted on gold dev, threshold 0.5, C and "
             "class weighting chosen by 5-fold micro F1 on dev. "
             "Scores on gold test; 95% bootstrap CIs (1,000 resamples of test stories).", "",
             "| labels | micro F1 [95% CI] | macro F1 [95% CI] | subset accuracy | Hamming loss |",
             "|---|---|---|---|---|"]
    for name, r in rows.items():
        if r is None:
            lines.append(f"| {name} | (not run) | | | |")
        else:
            lines.append(f"| {name} | {_ci(r, 'micro_f1')} | {_ci(r, 'macro_f1')} | {_f(r['subset_accuracy'])} "
                         f"| {_f(r['hamming_loss'])} |")
    lines += ["", "Per tag F1 (precision / recall) on gold test:", "",
              "| tag | test support | " + " | ".join(names) + " | wslab chose |",
              "|---|---|" + "---|" * len(names) + "---|"]
    for t in tags:
        sup = next((r["per_tag"][t]["support"] for r in rows.values() if r), 0)
        cells = []
        for r in rows.values():
            s = (r or {}).get("per_tag", {}).get(t)
            cells.append(f"{s['f1']:.3f} ({s['precision']:.2f} / {s['recall']:.2f})" if s else "-")
        lines.append(f"| {t} | {sup} | " + " | ".join(cells) + f" | {chosen.get(t, '-')} |")
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--no-apply", action="store_true", help="Only the baselines.")
    args = ap.parse_args(argv)
    from wslab.core.io import write_text

    if not args.data.is_file():
        text = f"{TITLE}\n\nSkipped: {args.data} is absent (the Reuters-21578 JSON of ../shared/data/reuters).\n"
        print(text)
        write_text(OUT, text)
        return 0
    docs = json.loads(args.data.read_text(encoding="utf-8"))
    tags = top_tags(docs)
    split = split_docs(docs, tags)
    dev = [d for d in docs if split[d["id"]] == "dev"]
    test = [d for d in docs if split[d["id"]] == "test"]
    config = write_project(WORK, docs, tags, split)
    y_test = tag_matrix(test, tags)
    gold_pred, setting = gold_only(dev, test, tags)
    rows: dict[str, dict | None] = {"majority vote (LFs)": scores(y_test, majority_vote(test, tags), tags),
                                    "gold only (dev, TF-IDF + LR)": scores(y_test, gold_pred, tags)}
    notes, chosen = [f"gold only: {setting} (5-fold micro F1 on gold dev)."], {}
    if args.no_apply:
        rows["wslab final"] = None
        notes.append("wslab apply not run (--no-apply).")
    else:
        metrics, note, _ = run_wslab(config)
        test = (metrics or {}).get("test", {})
        final = test.get("final")
        rows["wslab final"] = final
        for key in ("majority_vote", "gold_only"):  # wslab's own baselines, beside this script's
            if test.get(key):
                rows[f"wslab {key.replace('_', ' ')}"] = test[key]
        chosen = (metrics or {}).get("chosen") or {}
        notes.append(note)
        if final:
            best = max(("majority vote (LFs)", "gold only (dev, TF-IDF + LR)"), key=lambda k: rows[k]["micro_f1"])
            gap = final["micro_f1"] - rows[best]["micro_f1"]
            notes.append(f"wslab final micro F1 {final['micro_f1']:.3f} vs the better baseline ({best}) "
                         f"{rows[best]['micro_f1']:.3f}: {gap:+.3f}.")
    lfs = yaml.safe_load(LFS.read_text(encoding="utf-8"))["lfs"]
    counts = {"docs": len(docs), **Counter(split.values()), "lfs": len(lfs),
              "against": sum(1 for lf in lfs if lf.get("vote") == "against")}
    text = render(tags, counts, rows, chosen, notes)
    print(text)
    write_text(OUT, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
