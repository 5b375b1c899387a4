"""Benchmark: Snorkel's LabelModel on 1M x 50 LFs, pattern-deduplicated vs the raw matrix.

    python benchmarks/bench_label_model.py [--rows 1000000] [--lfs 50]

A synthetic label matrix (4 classes, unipolar LFs as keyword/regex LFs are: each LF votes one
class, firing more often on documents of that class; coverage 1-12 % per LF). Each variant
runs in its own process, so its peak RSS is its own:

* raw: ``LabelModel.fit(L)`` then ``predict_proba(L)``, as Snorkel is used;
* patterns: ``wslab.labeling.patterns.fit_label_model_on_patterns(L)``: distinct rows with
  counts (Polars group-by), the same fit on the weighted overlap matrix, one prediction per
  pattern joined back to the rows.

Both fit 500 epochs with the same seed and class balance; the learned ``mu`` and the
probabilities are compared. Prints a markdown section, writes benchmarks/results/label_model.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import machine_facts  # noqa: E402

WORK = Path(__file__).resolve().parent / "_work"
OUT = Path(__file__).resolve().parent / "results" / "label_model.md"
PRIOR = np.array([0.3, 0.3, 0.15, 0.25])
FIT = dict(n_epochs=500, lr=0.01, seed=0)


def make_matrix(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = len(PRIOR)
    y = rng.choice(k, n, p=PRIOR)
    label = np.arange(m) % k
    coverage = rng.uniform(0.01, 0.12, m)
    precision = rng.uniform(0.55, 0.95, m)
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        own = y == label[j]
        # P(fire | own class) and P(fire | other class) giving overall coverage and precision
        p_own = coverage[j] * precision[j] / PRIOR[label[j]]
        p_other = coverage[j] * (1 - precision[j]) / (1 - PRIOR[label[j]])
        fire = rng.random(n) < np.where(own, min(p_own, 1.0), p_other)
        L[fire, j] = label[j]
    return L, y


def run_variant(variant: str, data: Path, out: Path) -> None:
    from snorkel.labeling.model import LabelModel

    from wslab.labeling.patterns import fit_pattern_label_model, vote_patterns

    L = np.load(data)
    t0 = time.perf_counter()  # imports are not timed
    if variant.startswith("raw"):
        if variant == "raw1":
            import torch

            torch.set_num_threads(1)
        model = LabelModel(cardinality=len(PRIOR), verbose=False, device="cpu")
        L64 = L.astype(np.int64)
        model.fit(L64, class_balance=PRIOR, progress_bar=False, **FIT)
        t_fit = time.perf_counter() - t0
        probs = model.predict_proba(L64)
        mu = model.mu.detach().numpy()
        n_patterns = None
    else:
        p = vote_patterns(L)
        model = fit_pattern_label_model(p.votes, p.counts, len(PRIOR), prior=PRIOR, **FIT)
        t_fit = time.perf_counter() - t0
        probs = model.predict_proba(p.votes)[p.inverse]
        mu = model.mu.detach().numpy()
        n_patterns = len(p.counts)
    total = time.perf_counter() - t0
    np.save(out.with_suffix(".probs.npy"), probs)
    np.save(out.with_suffix(".mu.npy"), mu)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps({"fit_s": t_fit, "total_s": total, "peak_rss_mb": rss, "patterns": n_patterns}))


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--lfs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", choices=["raw", "raw1", "patterns"], help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.variant:
        run_variant(args.variant, args.data, args.out)
        return ""

    WORK.mkdir(parents=True, exist_ok=True)
    L, y = make_matrix(args.rows, args.lfs, args.seed)
    data = WORK / "lm_matrix.npy"
    np.save(data, L)
    res = {}
    for variant in ("patterns", "raw", "raw1"):
        out = WORK / f"lm_{variant}.json"
        subprocess.run([sys.executable, __file__, "--variant", variant, "--data", str(data), "--out", str(out)],
                       check=True)
        res[variant] = json.loads(out.read_text())
        res[variant]["probs"] = np.load(out.with_suffix(".probs.npy"))
        res[variant]["mu"] = np.load(out.with_suffix(".mu.npy"))
    covered = (L != -1).any(axis=1)
    raw, raw1, pat = res["raw"], res["raw1"], res["patterns"]
    mu_diff = float(np.abs(raw["mu"] - pat["mu"]).max())
    prob_diff = float(np.abs(raw["probs"][covered] - pat["probs"][covered]).max())
    same_pred = float((raw["probs"][covered].argmax(1) == pat["probs"][covered].argmax(1)).mean())
    acc = float((pat["probs"][covered].argmax(1) == y[covered]).mean())
    for p in WORK.glob("lm_*"):
        p.unlink()
    lines = [
        "## Label model: pattern-deduplicated fit vs Snorkel on the raw matrix",
        "",
        f"Synthetic label matrix: {args.rows:,} rows x {args.lfs} unipolar LFs, 4 classes, coverage 1-12 % per LF, "
        f"{covered.mean():.1%} of rows covered, **{pat['patterns']:,} distinct vote patterns**. Snorkel 0.10 "
        f"`LabelModel`, 500 epochs, lr 0.01, seed 0, the same class balance; each variant in its own process "
        f"(peak RSS is that process's). Machine: {machine_facts()}.",
        "",
        "| variant | fit | fit + predict every row | peak RSS |",
        "|---|---|---|---|",
        f"| Snorkel on the raw matrix (`fit(L)`, `predict_proba(L)`) | {raw['fit_s']:.1f} s | {raw['total_s']:.1f} s "
        f"| {raw['peak_rss_mb']:,.0f} MB |",
        f"| Snorkel on the raw matrix, torch limited to 1 thread | {raw1['fit_s']:.1f} s | {raw1['total_s']:.1f} s "
        f"| {raw1['peak_rss_mb']:,.0f} MB |",
        f"| wslab: distinct patterns with counts, predictions joined back | {pat['fit_s']:.1f} s | "
        f"{pat['total_s']:.1f} s | {pat['peak_rss_mb']:,.0f} MB |",
        f"| **ratio** raw / wslab | **{raw['fit_s'] / pat['fit_s']:.1f}x** | **{raw['total_s'] / pat['total_s']:.1f}x** | "
        f"{raw['peak_rss_mb'] / pat['peak_rss_mb']:.1f}x less memory |",
        f"| ratio raw (1 thread) / wslab | {raw1['fit_s'] / pat['fit_s']:.1f}x | {raw1['total_s'] / pat['total_s']:.1f}x | "
        f"{raw1['peak_rss_mb'] / pat['peak_rss_mb']:.1f}x less memory |",
        "",
        f"Same result: largest difference in the learned `mu` {mu_diff:.1e}, in the probabilities of covered rows "
        f"{prob_diff:.1e}; predicted class identical on {same_pred:.4%} of covered rows (accuracy against the "
        f"generating labels: {acc:.3f}). Fit time includes the Polars group-by into patterns; the fit itself "
        f"depends on the number of LFs, not rows, once the overlap matrix is built. wslab runs Snorkel's "
        f"training loop with one torch thread (its matrices are (m*K)^2 = {args.lfs * 4} x {args.lfs * 4}; on this shared 2-core machine "
        f"two threads were up to 20x slower); the second row separates that gain from the pattern deduplication.",
    ]
    text = "\n".join(lines) + "\n"
    from wslab.io import write_text

    write_text(OUT, text)
    print(text)
    return text


if __name__ == "__main__":
    main()
