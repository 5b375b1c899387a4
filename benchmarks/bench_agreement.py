"""Benchmark: agreement statistics on 1,000,000 items x 5 annotators (long form, synthetic).

    python benchmarks/bench_agreement.py [--items 1000000]

Times the full report (percent agreement, Cohen's kappa for every pair, Fleiss' kappa with
per-category kappas, Krippendorff's alpha with a 1000-replicate bootstrap, Gwet's AC1, all with
CIs, plus scores against a 10,000-item gold set), then compares point estimates with
statsmodels and the ``krippendorff`` package on the same data. Prints a markdown section and
writes it to benchmarks/results/agreement.md. No network; the data is generated here.

End to end (issue 18): the same ratings written to a CSV; ``wslab agreement --annotations
FILE --json`` against the script a user would write (pandas ``read_csv`` + ``pivot``,
statsmodels ``aggregate_raters`` + ``fleiss_kappa`` and ``cohens_kappa`` for every pair, the
``krippendorff`` package's nominal alpha), each in a fresh interpreter, interleaved ``--repeats``
times; CPU seconds (user + system of the child process) and the values of both.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from wslab.core.io import write_text
from wslab.quality.agreement import category_counts, cohen_kappa, fleiss_kappa, krippendorff_alpha
from wslab.quality.agreement_report import agreement_report

CATS = ["neg", "neu", "pos"]
N_ANN = 5


def make_data(n_items: int, seed: int = 0) -> tuple[np.ndarray, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, n_items, p=[0.6, 0.25, 0.15])
    noise = rng.integers(0, 3, (n_items, N_ANN))
    err = rng.random((n_items, N_ANN)) < np.linspace(0.1, 0.3, N_ANN)
    codes = np.where(err, noise, truth[:, None]).astype(np.int64)
    ids = np.char.add("doc", np.arange(n_items).astype(str))
    long = pl.DataFrame({
        "id": np.repeat(ids, N_ANN),
        "annotator": np.tile([f"ann_{j}" for j in range(N_ANN)], n_items),
        "label": np.array(CATS)[codes.ravel()],
    })
    g = rng.choice(n_items, min(10_000, n_items), replace=False)
    gold = pl.DataFrame({"id": ids[g], "label": np.array(CATS)[truth[g]]})
    return codes, long, gold


REFERENCE = """
import json, sys
import numpy as np, pandas as pd, krippendorff
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa, cohens_kappa
df = pd.read_csv(sys.argv[1], dtype={"id": str})
wide = df.pivot(index="id", columns="annotator", values="label")
cats = sorted(pd.unique(df["label"]))
codes = wide.apply(lambda c: pd.Categorical(c, categories=cats).codes).to_numpy()
fk = fleiss_kappa(aggregate_raters(codes, n_cat=len(cats))[0])
ck = [cohens_kappa(pd.crosstab(codes[:, a], codes[:, b]).to_numpy()).kappa
      for a in range(codes.shape[1]) for b in range(a + 1, codes.shape[1])]
rel = np.where(codes >= 0, codes, np.nan).T.astype(float)
ka = krippendorff.alpha(rel, level_of_measurement="nominal", value_domain=list(range(len(cats))))
print(json.dumps({"fleiss_kappa": fk, "cohen_kappa_first_pair": ck[0], "krippendorff_alpha": ka}))
"""


def child_cpu(cmd: list[str]) -> tuple[float, str]:
    """(CPU seconds, user + system, of the child process running ``cmd``; its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def end_to_end(long: pl.DataFrame, repeats: int) -> list[str]:
    """``wslab agreement`` vs the reference script on the same CSV, CPU seconds, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "annotations.csv"
        long.write_csv(path)
        ours_s, ref_s = [], []
        for _ in range(repeats):
            s, out = child_cpu([sys.executable, "-m", "wslab", "agreement", "--annotations", str(path), "--json"])
            ours_s.append(s)
            ours = json.loads(out)
            s, out = child_cpu([sys.executable, "-c", REFERENCE, str(path)])
            ref_s.append(s)
            ref = json.loads(out)
    o, r = statistics.median(ours_s), statistics.median(ref_s)
    return [
        f"### End to end from a CSV ({long.height:,} rows): `wslab agreement` vs pandas + statsmodels + krippendorff",
        "",
        f"CPU seconds (user + system of a fresh interpreter, median of {repeats}, interleaved). wslab computes more "
        "(95 % CIs for every coefficient, a 1000-replicate bootstrap for alpha, per-category kappas, AC1, percent "
        "agreement); the reference computes the point estimates only.",
        "",
        "| | CPU s (median) | runs | Fleiss' kappa | Cohen's kappa, first pair | Krippendorff's alpha |",
        "|---|---|---|---|---|---|",
        f"| `wslab agreement --json` | **{o:.1f}** | {', '.join(f'{x:.1f}' for x in ours_s)} | "
        f"{ours['fleiss_kappa']['value']:.12f} | {ours['cohen_kappa'][0]['value']:.12f} | "
        f"{ours['krippendorff_alpha']['value']:.12f} |",
        f"| reference script | {r:.1f} | {', '.join(f'{x:.1f}' for x in ref_s)} | {ref['fleiss_kappa']:.12f} | "
        f"{ref['cohen_kappa_first_pair']:.12f} | {ref['krippendorff_alpha']:.12f} |",
        "",
        f"wslab / reference CPU: **{o / r:.2f}x** (target: at most 1).",
        "",
    ]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "agreement.md"))
    parser.add_argument("--repeats", type=int, default=3, help="end-to-end runs of each (0: skip)")
    args = parser.parse_args()

    (codes, long, gold), t_gen = timed(lambda: make_data(args.items))
    report, t_report = timed(lambda: agreement_report(long, gold, seed=0))

    # point estimates, ours
    pairs = [(a, b) for a in range(N_ANN) for b in range(a + 1, N_ANN)]
    ours_fleiss, t_fleiss = timed(lambda: fleiss_kappa(codes).value)
    ours_cohen, t_cohen = timed(lambda: [cohen_kappa(codes[:, a], codes[:, b], n_categories=3).value for a, b in pairs])
    ours_alpha, t_alpha = timed(lambda: krippendorff_alpha(codes, n_boot=0).value)
    ours_alpha_i, t_alpha_i = timed(lambda: krippendorff_alpha(codes, level="interval", n_boot=0).value)

    # references on the same data
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    sm_f, t_sm_f = timed(lambda: sm_fleiss(aggregate_raters(codes, n_cat=3)[0]))

    def sm_pairs():
        out = []
        for a, b in pairs:
            table = np.zeros((3, 3))
            np.add.at(table, (codes[:, a], codes[:, b]), 1)  # statsmodels takes a contingency table
            out.append(sm_cohen(table).kappa)
        return out

    sm_c, t_sm_c = timed(sm_pairs)
    rows = []
    try:
        import krippendorff

        rel = codes.T.astype(float)
        kr_n, t_kr_n = timed(lambda: krippendorff.alpha(rel, level_of_measurement="nominal", value_domain=[0, 1, 2]))
        kr_i, t_kr_i = timed(lambda: krippendorff.alpha(rel, level_of_measurement="interval", value_domain=[0, 1, 2]))
        rows += [("Krippendorff's alpha, nominal", ours_alpha, t_alpha, "krippendorff " + krippendorff.__version__
                  if hasattr(krippendorff, "__version__") else "krippendorff", kr_n, t_kr_n),
                 ("Krippendorff's alpha, interval", ours_alpha_i, t_alpha_i, "krippendorff", kr_i, t_kr_i)]
    except ImportError:
        pass
    rows = [("Fleiss' kappa", ours_fleiss, t_fleiss, "statsmodels aggregate_raters + fleiss_kappa", sm_f, t_sm_f),
            (f"Cohen's kappa, {len(pairs)} pairs (first pair shown)", ours_cohen[0], t_cohen,
             "statsmodels cohens_kappa (tables by np.add.at)", sm_c[0], t_sm_c)] + rows
    max_cohen_diff = max(abs(x - y) for x, y in zip(ours_cohen, sm_c))

    c = report
    lines = [
        f"## Agreement statistics: {args.items:,} items benchmark",
        "",
        f"Data: {args.items:,} items x {N_ANN} annotators in long form ({long.height:,} rows), 3 classes "
        f"(60/25/15 %), annotator error rates 10-30 %, gold set of {gold.height:,} items; generated in "
        f"{t_gen:.1f} s. Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}.",
        "",
        f"**Full report (`agreement_report`, everything `wslab agreement --json` prints): {t_report:.1f} s** "
        f"(coding {long.height:,} rows with polars, percent agreement, 10 Cohen pairs, Fleiss' kappa + per-category, "
        f"Krippendorff's alpha with a {c['krippendorff_alpha'].get('n_boot', '?')}-replicate bootstrap, "
        "Gwet's AC1, all with 95 % CIs; scores against gold for 5 annotators + majority).",
        "",
        "| coefficient | value | 95 % CI | n |",
        "|---|---|---|---|",
    ]
    for name, key in [("percent agreement", "percent_agreement"), ("Fleiss' kappa", "fleiss_kappa"),
                      ("Krippendorff's alpha (nominal)", "krippendorff_alpha"), ("Gwet's AC1", "gwet_ac1")]:
        v = c[key]
        lines.append(f"| {name} | {v['value']:.4f} | [{v['ci'][0]:.4f}, {v['ci'][1]:.4f}] | {v['n']:,} |")
    p0 = c["cohen_kappa"][0]
    lines.append(f"| Cohen's kappa {' / '.join(p0['annotators'])} | {p0['value']:.4f} | "
                 f"[{p0['ci'][0]:.4f}, {p0['ci'][1]:.4f}] | {p0['n']:,} |")
    lines += [
        "",
        "Point estimates against reference implementations on the same matrix:",
        "",
        "| coefficient | wslab | time | reference | reference value | time | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ours, t_ours, ref_name, ref, t_ref in rows:
        lines.append(f"| {name} | {ours:.6f} | {t_ours:.2f} s | {ref_name} | {ref:.6f} | {t_ref:.2f} s | "
                     f"{t_ref / t_ours:.1f}x |")
    lines += ["", f"Largest difference over the {len(pairs)} Cohen pairs: {max_cohen_diff:.1e}.", ""]
    if args.repeats > 0:
        lines += end_to_end(long, args.repeats)
    text = "\n".join(lines)
    print(text)
    write_text(args.out, text)


if __name__ == "__main__":
    main()
