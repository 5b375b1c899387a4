"""Benchmark: finding flipped labels with cleanlab, cartography and the merged queue; speed at 100k.

    python benchmarks/bench_issues.py [--seeds 5] [--docs 100000] [--skip-speed] [--skip-real]
                                      [--skip-before] [--repeats 2]

Part 1 (real data, skipped cleanly when ../shared/data is absent): the WRENCH youtube and sms
train splits with their gold labels. For each of 5 seeds we flip 10 % of the labels

- uniformly: 10 % of all items, chosen at random, get the other class;
- class-conditionally (systematic): the same number of flips, all taken from the larger class
  and given the smaller class (an annotator who over-uses the minority label),

run ``find_suspicious_labels`` (5-fold CV, 5 epochs, defaults everywhere) and score each
ranking against the known flips: precision at k (k = number of flips), recall of the flagged
set, AUROC of the score. "cleanlab" ranks by 1 - label quality and flags cleanlab's
``find_label_issues``; "cartography" ranks by 1 - confidence and flags hard-to-learn;
"merged" ranks by priority (mean percentile rank of the two) and flags any reason.

Before/after (unless --skip-before): every run is repeated with the previous defaults, the
lbfgs solver for the CV logistic regression, and the previous merge rule, the mean of the raw
scores, is computed from that run's scores; "merged, raw mean" applies the old rule to the new
run's scores, to separate the effect of the solver from that of the merge rule.

Part 2 (issue 18): 100,000 synthetic documents (pseudo-words, 8-30 per document, two classes, 10 %
flipped; ``--signals``: the share of words that carry the class), ``wslab issues`` against
cleanlab's ``find_label_issues`` on 5-fold cross-validated TF-IDF logistic-regression
probabilities, each in a fresh interpreter, ``--repeats`` times alternating (the lower CPU time of
each is compared; the machine is shared): CPU seconds, flagged items and their precision, and where
``wslab issues``'s CPU goes (imports, features, the SGD fits, review files, the rest; one run).

Prints markdown and writes benchmarks/results/issues.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from wslab.core.io import write_text
from wslab.core.stats.features import default_text_classifier
from wslab.app.suspicious import find_suspicious_labels

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wrench"
DATA = DATA.resolve() if DATA.exists() else Path("/work/shared/data/wrench")
RESULTS = Path(__file__).resolve().parent / "results" / "issues.md"


def load_wrench(name: str) -> pl.DataFrame:
    raw = json.loads((DATA / name / "train.json").read_text(encoding="utf-8"))
    names = json.loads((DATA / name / "label.json").read_text(encoding="utf-8"))
    return pl.DataFrame({"id": list(raw), "text": [v["data"]["text"] for v in raw.values()],
                         "label": [names[str(v["label"])] for v in raw.values()]})


def flip(labels: np.ndarray, classes: list[str], *, kind: str, rate: float, seed: int) -> np.ndarray:
    """Return a boolean mask of flipped items (binary tasks)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    k = int(round(rate * n))
    if kind == "uniform":
        idx = rng.choice(n, k, replace=False)
    else:
        counts = {c: int((labels == c).sum()) for c in classes}
        major = max(counts, key=counts.get)
        idx = rng.choice(np.flatnonzero(labels == major), k, replace=False)
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def score(truth: np.ndarray, s: np.ndarray, flags: np.ndarray) -> dict:
    k = int(truth.sum())
    top = np.argsort(-s, kind="stable")[:k]
    return {"p_at_k": truth[top].mean(), "recall": flags[truth].mean(),
            "precision": truth[flags].mean() if flags.any() else float("nan"),
            "flagged": int(flags.sum()), "auroc": roc_auc_score(truth, s)}


METHODS = ("cleanlab (lbfgs, before)", "cleanlab", "cartography", "merged, before (lbfgs, raw mean)",
           "merged, raw mean", "merged")


def other_rules(cl: np.ndarray, ca: np.ndarray) -> dict[str, np.ndarray]:
    """Other standard ways to merge two scores in [0, 1], for reference (not used by the queue)."""
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))  # noqa: E731
    return {"mean of raw scores": (cl + ca) / 2, "noisy-OR 1-(1-a)(1-b)": 1 - (1 - cl) * (1 - ca),
            "max": np.maximum(cl, ca), "mean of logits": (logit(cl) + logit(ca)) / 2,
            "max of percentile ranks": np.maximum(rankdata(cl), rankdata(ca)) / len(cl),
            "mean of percentile ranks (the queue)": (rankdata(cl, method="min") + rankdata(ca, method="min")) / 2}


def run_real(seeds: int, *, before: bool = True) -> tuple[list[str], list[dict]]:
    rows, lines = [], []
    alts: dict[tuple, list[dict]] = {}
    for name in ("youtube", "sms"):
        df = load_wrench(name)
        classes = sorted(df["label"].unique().to_list())
        gold = df["label"].to_numpy()
        for kind in ("uniform", "class-conditional"):
            per: dict[str, list[dict]] = {m: [] for m in METHODS}
            secs, secs_before, sugg = [], [], []
            for seed in range(seeds):
                mask = flip(gold, classes, kind=kind, rate=0.10, seed=seed)
                other = {classes[0]: classes[1], classes[1]: classes[0]}
                noisy = np.where(mask, [other[g] for g in gold], gold)
                data = df.with_columns(pl.Series("label", noisy))
                truth_frame = pl.DataFrame({"id": df["id"], "_flip": mask, "_gold": gold})
                t = time.perf_counter()
                res = find_suspicious_labels(data, seed=seed)
                secs.append(time.perf_counter() - t)
                q = res.queue.join(truth_frame, on="id")
                truth = q["_flip"].to_numpy()
                cl, ca = q["cleanlab_score"].to_numpy(), q["cartography_score"].to_numpy()
                per["cleanlab"].append(score(truth, cl, q["is_label_issue"].to_numpy()))
                per["cartography"].append(score(truth, ca, (q["region"] == "hard-to-learn").to_numpy()))
                per["merged"].append(score(truth, q["priority"].to_numpy(), q["flagged"].to_numpy()))
                per["merged, raw mean"].append(score(truth, (cl + ca) / 2, q["flagged"].to_numpy()))
                for rule, merged in other_rules(cl, ca).items():
                    alts.setdefault((name, kind, rule), []).append(score(truth, merged, q["flagged"].to_numpy()))
                if before:
                    t = time.perf_counter()
                    old = find_suspicious_labels(data, seed=seed, model=default_text_classifier(seed=seed))
                    secs_before.append(time.perf_counter() - t)
                    qo = old.queue.join(truth_frame, on="id")
                    clo, cao = qo["cleanlab_score"].to_numpy(), qo["cartography_score"].to_numpy()
                    truth_o = qo["_flip"].to_numpy()
                    per["cleanlab (lbfgs, before)"].append(score(truth_o, clo, qo["is_label_issue"].to_numpy()))
                    per["merged, before (lbfgs, raw mean)"].append(
                        score(truth_o, (clo + cao) / 2, qo["flagged"].to_numpy()))
                k = int(truth.sum())
                top = q.head(k)
                sugg.append((top["suggested_label"] == top["_gold"]).mean())
            for method, vals in per.items():
                if not vals:
                    continue
                agg = {m: (np.nanmean([v[m] for v in vals]), np.nanstd([v[m] for v in vals]))
                       for m in ("p_at_k", "recall", "precision", "flagged", "auroc")}
                rows.append({"dataset": name, "noise": kind, "method": method, "n": df.height,
                             "flips": int(round(0.1 * df.height)), "per_seed": vals, **agg})
            rows[-1]["suggested_ok"] = float(np.mean(sugg))
            rows[-1]["seconds"] = float(np.mean(secs))
            rows[-1]["seconds_before"] = float(np.mean(secs_before)) if secs_before else None
    lines.append("| data (n, flips) | noise | method | precision@k | recall of flagged | precision of flagged "
                 "| flagged | AUROC |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        f = lambda m, d=3: f"{r[m][0]:.{d}f} ± {r[m][1]:.{d}f}"  # noqa: E731
        bold = "**" if r["method"] == "merged" else ""
        lines.append(f"| {r['dataset']} ({r['n']}, {r['flips']}) | {r['noise']} | {bold}{r['method']}{bold} | "
                     f"{f('p_at_k')} | {f('recall')} | {f('precision')} | {r['flagged'][0]:.0f} | {f('auroc', 4)} |")
    settings = list(dict.fromkeys((d, k) for d, k, _ in alts))
    lines += ["", "Other merge rules on the same runs' cleanlab and cartography scores, for reference "
              "(precision@k / AUROC, mean over seeds; the queue uses the mean of percentile ranks):", "",
              "| rule | " + " | ".join(f"{d}, {k}" for d, k in settings) + " |",
              "|---|" + "---|" * len(settings)]
    for rule in dict.fromkeys(r for _, _, r in alts):
        cells = [f"{np.mean([v['p_at_k'] for v in alts[(d, k, rule)]]):.3f} / "
                 f"{np.mean([v['auroc'] for v in alts[(d, k, rule)]]):.4f}" for d, k in settings]
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    return lines, rows


def verdict(rows: list[dict]) -> list[str]:
    out = []
    groups = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["noise"]), {})[r["method"]] = r
    for (d, n), g in groups.items():
        m = g["merged"]
        for metric in ("p_at_k", "auroc"):
            singles = {s: g[s][metric][0] for s in ("cleanlab", "cartography")}
            best = max(singles, key=singles.get)
            word = "beats" if m[metric][0] > singles[best] else ("ties" if m[metric][0] == singles[best] else
                                                                 "does NOT beat")
            seeds = len(m["per_seed"])
            wins = {s: sum(a[metric] >= b[metric] for a, b in zip(m["per_seed"], g[s]["per_seed"]))
                    for s in singles}
            out.append(f"- {d}, {n}: merged {metric.replace('p_at_k', 'precision@k')} {m[metric][0]:.4f} {word} "
                       f"the better single method ({best}, {singles[best]:.4f}); merged >= cleanlab in "
                       f"{wins['cleanlab']}/{seeds} seeds, >= cartography in {wins['cartography']}/{seeds}.")
        if "merged, before (lbfgs, raw mean)" in g:
            b = g["merged, before (lbfgs, raw mean)"]
            out.append(f"  Before -> after, merged: precision@k {b['p_at_k'][0]:.3f} -> {m['p_at_k'][0]:.3f}, "
                       f"AUROC {b['auroc'][0]:.4f} -> {m['auroc'][0]:.4f}.")
        took = f"one run took {m['seconds']:.1f} s"
        if m.get("seconds_before"):
            took += f" ({m['seconds_before']:.1f} s with lbfgs)"
        out.append(f"  Suggested label equals the true label for {m['suggested_ok']:.1%} of the top-k queue "
                   f"items; {took}.")
    return out


def make_synthetic(n: int, seed: int, *, signal: float = 1.0) -> pl.DataFrame:
    """``n`` documents of pseudo-words, two classes, 10 % of the labels flipped (column ``flipped``,
    the truth; ignored by the methods). Each class shifts the ranks of a share ``signal`` of its
    words (1.0: every word, an easy task; lower: the classes overlap and label errors are harder
    to tell from hard examples)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = np.array(["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(30_000)])
    y = rng.integers(0, 2, n)
    lens = rng.integers(8, 31, n)
    # Zipf-distributed word ranks; each class shifts its vocabulary a little.
    words = (rng.zipf(1.25, lens.sum()) - 1) % 30_000
    shift = np.repeat(y, lens) * 13
    if signal < 1.0:
        shift = shift * (np.random.default_rng(seed + 1).random(lens.sum()) < signal)
    words = (words + shift) % 30_000
    bounds = np.concatenate([[0], np.cumsum(lens)])
    texts = [" ".join(vocab[words[a:b]]) for a, b in zip(bounds[:-1], bounds[1:])]
    flipped = rng.random(n) < 0.1
    lab = np.where(flipped, 1 - y, y)
    return pl.DataFrame({"id": np.arange(n).astype(str), "text": texts, "label": np.array(["neg", "pos"])[lab],
                         "flipped": flipped})


REFERENCE = """
import sys
import numpy as np, polars as pl
from cleanlab.filter import find_label_issues
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
df = pl.read_parquet(sys.argv[1])
classes = sorted(df["label"].unique().to_list())
y = df["label"].replace_strict(classes, list(range(len(classes)))).to_numpy()
X = TfidfVectorizer().fit_transform(df["text"].to_list())
probs = cross_val_predict(LogisticRegression(max_iter=1000), X, y, cv=5, method="predict_proba")
np.save(sys.argv[2], find_label_issues(y, probs))
"""


def child_cpu(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, user + system of the child process and of the workers it waited for; wall seconds)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


BREAKDOWN = """
import resource, sys
from pathlib import Path


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


spent, t0 = {}, cpu()
import wslab.app.suspicious as S
spent["imports (polars, scikit-learn, cleanlab, wslab)"] = cpu() - t0


def timed(name, fn):
    def run(*a, **k):
        t = cpu()
        out = fn(*a, **k)
        spent[name] = spent.get(name, 0.0) + cpu() - t
        return out
    return run


S.build_features = timed("hashed TF-IDF features", S.build_features)
S.cross_fitted_dynamics = timed("25 SGD fold-epochs and their scoring", S.cross_fitted_dynamics)
S.write_review = timed("review files (tables, Label Studio, PNG, HTML)", S.write_review)
t = cpu()
S.review_file(Path(sys.argv[1]), Path(sys.argv[2]))
spent["read, cleanlab, queue, the rest"] = cpu() - t - sum(v for k, v in spent.items() if not k.startswith("imports"))
print(repr(spent))
"""


def breakdown(data: Path, out: Path) -> dict[str, float]:
    """CPU seconds of each step of ``wslab issues``'s library call on ``data`` (a fresh interpreter)."""
    import ast
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BREAKDOWN, str(data), str(out)], check=True, capture_output=True,
                          text=True)
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def run_speed(n: int, signals: list[float], *, repeats: int = 2) -> list[str]:
    """``wslab issues`` against cleanlab's find_label_issues on 5-fold LR probabilities, same data, same run:
    ``repeats`` runs of each, alternating; the table shows the lower CPU of each (and every run)."""
    import sys
    import tempfile

    lines = [f"{n:,} synthetic documents, 10 % of the labels flipped; `signal` is the share of each document's "
             "words that carry its class (1.0: separable classes; 0.3: overlapping classes, where label errors look "
             "like hard examples). Each command runs in a fresh interpreter; CPU seconds are user + system of the "
             "process and any worker it waited for (the machine is shared: CPU seconds, not wall, are comparable). "
             f"The two commands run {repeats} times each, alternating; the table gives the lower CPU time of each, "
             "all runs in brackets. "
             "Reference: scikit-learn `TfidfVectorizer()` (word unigrams) + `LogisticRegression(max_iter=1000)` "
             "probabilities from `cross_val_predict(cv=5)`, then cleanlab's `find_label_issues` (its flags). wslab: "
             "`wslab issues --data FILE --out DIR` (hashed word + char TF-IDF, 5 folds x 5 epochs of one set of fits "
             "giving both the out-of-fold probabilities and the data map, cleanlab, queue, data map PNG/HTML, all "
             "files); its flag is `flagged` in scores.parquet.", "",
             "| signal | method | CPU s | wall s | flagged | precision of flagged | recall |",
             "|---|---|---|---|---|---|---|"]
    notes = []
    for signal in signals:
        df = make_synthetic(n, seed=0, signal=signal)
        truth = df["flipped"].to_numpy()
        runs: dict[str, list[tuple[float, float]]] = {"ref": [], "ours": []}
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "labelled.parquet"
            df.drop("flipped").write_parquet(data)
            for _ in range(repeats):
                runs["ref"].append(child_cpu([sys.executable, "-c", REFERENCE, str(data), str(Path(tmp) / "ref.npy")]))
                runs["ours"].append(child_cpu([sys.executable, "-m", "wslab", "issues", "--data", str(data), "--out",
                                               str(Path(tmp) / "out"), "-q"]))
            ref = np.load(Path(tmp) / "ref.npy")
            scores = pl.read_parquet(Path(tmp) / "out" / "scores.parquet").join(
                df.select("id", "flipped"), on="id")
            steps = breakdown(data, Path(tmp) / "out2")
        ours, t = scores["flagged"].to_numpy(), scores["flipped"].to_numpy()
        best = {k: min(v) for k, v in runs.items()}
        for key, name, flags, tr in (("ref", "cleanlab on 5-fold LR (reference)", ref, truth),
                                     ("ours", "**wslab issues**", ours, t)):
            cpu, wall = best[key]
            every = ", ".join(f"{c:.1f}" for c, _ in runs[key])
            lines.append(f"| {signal:g} | {name} | {cpu:.1f} [{every}] | {wall:.1f} | {int(flags.sum()):,} | "
                         f"{tr[flags].mean():.3f} | {flags[tr].mean():.3f} |")
        lines.append(f"| {signal:g} | wslab / reference | **{best['ours'][0] / best['ref'][0]:.2f}x** CPU | "
                     f"{best['ours'][1] / best['ref'][1]:.2f}x | | {t[ours].mean() - truth[ref].mean():+.3f} | |")
        notes.append(f"- signal {signal:g}, where `wslab issues`'s CPU goes (one more run, in process): "
                     + "; ".join(f"{k} {v:.1f} s" for k, v in steps.items()) + f" (total {sum(steps.values()):.1f} s).")
    return lines + [""] + notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-before", action="store_true", help="do not rerun the previous defaults (lbfgs, raw mean)")
    ap.add_argument("--signals", default="0.3,1.0", help="comma-separated signal shares of the speed part")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each command in the speed part (alternating)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="markdown file to write (a part that is skipped "
                    "keeps its section from the existing file)")
    args = ap.parse_args()
    md = ["## Suspicious labels: cleanlab + cartography", "",
          f"Machine: {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores; defaults "
          "everywhere (hashed TF-IDF word 1-2 + char_wb 3-5 grams; 5 folds x 5 epochs of SGD logistic regression, "
          "one set of fits: each fold's last epoch predicts its held-out rows (cleanlab's input), every epoch "
          "records p(given label) on its training rows (the data map); priority = mean percentile rank of the "
          "signals; flagged where cleanlab and cartography agree). \"before\" rows: a separate lbfgs "
          "cross-validation and a separate cartography run on the same features, flagged where either fires.", ""]
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    kept_real = old[old.index("### Flipped"):old.index("### Speed") if "### Speed" in old else None] \
        if "### Flipped" in old else ""
    kept_speed = old[old.index("### Speed"):] if "### Speed" in old else ""
    if args.skip_real and kept_real:
        md += [kept_real.rstrip(), ""]
    if not args.skip_real:
        if not (DATA / "youtube" / "train.json").exists():
            md += ["Real-data part skipped: ../shared/data/wrench not found.", ""]
        else:
            lines, rows = run_real(args.seeds, before=not args.skip_before)
            md += [f"### Flipped labels on WRENCH train splits (mean ± sd over {args.seeds} seeds)", "",
                   "Uniform: 10 % of items flipped at random. Class-conditional: the same number of flips, "
                   "all from the larger class to the smaller one (youtube: spam -> ham, 19 % of spam; sms: "
                   "ham -> spam, 12 % of ham). k = number of flips.", "", *lines, "", *verdict(rows), ""]
    if not args.skip_speed:
        md += ["### Speed and flagged precision against cleanlab on cross-validated LR (issue 18)", "",
               *run_speed(args.docs, [float(x) for x in args.signals.split(",")], repeats=args.repeats), ""]
    elif kept_speed:
        md += [kept_speed.rstrip(), ""]
    text = "\n".join(md)
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
