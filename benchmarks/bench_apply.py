"""Benchmark: declarative LFs (Polars) vs the same rules as Snorkel Python LFs (PandasLFApplier).

    python benchmarks/bench_apply.py [--sizes 100000 200000 1000000] [--snorkel-max 200000]

30 LFs (benchmarks/synth.py: keywords, regexes, column rules, lengths, combinations) over a
synthetic English/Russian bank-support corpus. wslab: the corpus parquet scanned lazily, the
compiled expressions evaluated by Polars' streaming engine (time includes reading the file;
median of 3 runs). Snorkel: ``PandasLFApplier`` over the same documents already in a pandas
frame (reading not timed; one run), each LF evaluating the *same regexes* with Python's ``re``.
Both label matrices are compared cell by cell. wslab also runs the reference compilation
(``compile_lf(..., optimize=False)``: the keyword regexes before the fast path) on the same
file, timed the same way, and its label matrix must equal the optimised one; so must the
optimised query collected by the in-memory engine (timed as a diagnostic). Above
``--snorkel-max`` documents Snorkel is not run: its time is extrapolated linearly from the
measured 100,000-document run, and the table says so. Prints a markdown section and writes benchmarks/results/apply.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import LABELS, lf_specs, machine_facts, python_lfs, write_corpus  # noqa: E402

from wslab.core.io import write_text  # noqa: E402
from wslab.labeling.apply import declarative_frame  # noqa: E402
from wslab.labeling.compile import compile_lf  # noqa: E402

WORK = Path(__file__).resolve().parent / "_work"
OUT = Path(__file__).resolve().parent / "results" / "apply.md"


def time_wslab(path: Path, specs, runs: int = 3, *, optimize: bool = True,
               engine: str = "streaming") -> tuple[float, pl.DataFrame]:
    """Median time of scan -> compiled LFs -> collect; ``optimize=False``: the reference
    compilation (declarative_frame's query with ``compile_lf(..., optimize=False)``)."""
    index = {name: i for i, name in enumerate(LABELS)}
    times, frame = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        if optimize:
            query = declarative_frame(pl.scan_parquet(path), specs, LABELS, id_column="id", text_column="text")
        else:
            query = pl.scan_parquet(path).select(
                [pl.col("id"), *(compile_lf(s, index, text_column="text", optimize=False) for s in specs)])
        frame = query.collect(engine=engine)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), frame


def time_snorkel(path: Path, specs) -> tuple[float, np.ndarray]:
    from snorkel.labeling import PandasLFApplier

    df = pl.read_parquet(path).to_pandas()
    applier = PandasLFApplier(python_lfs(specs))
    t0 = time.perf_counter()
    L = applier.apply(df, progress_bar=False)
    return time.perf_counter() - t0, L


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 200_000, 1_000_000])
    ap.add_argument("--snorkel-max", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    specs = lf_specs()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    per_doc_snorkel: float | None = None
    for n in sorted(args.sizes):
        path = write_corpus(WORK / f"apply_{n}.parquet", n, seed=args.seed)
        t_ref, frame_ref = time_wslab(path, specs, optimize=False)
        t_ws, frame = time_wslab(path, specs)
        t_mem, frame_mem = time_wslab(path, specs, engine="in-memory")
        if not (frame.equals(frame_ref) and frame.equals(frame_mem)):
            raise SystemExit(f"{n} documents: the optimised LF compilation voted differently from the reference")
        L_ws = frame.drop("id").to_numpy()
        if n <= args.snorkel_max:
            t_sn, L_sn = time_snorkel(path, specs)
            equal = f"{(L_ws == L_sn).mean() * 100:.4f} % equal cells"
            how = "measured"
            if per_doc_snorkel is None:
                per_doc_snorkel = t_sn / n
        else:
            if per_doc_snorkel is None:
                raise SystemExit("need a measured Snorkel size below --snorkel-max to extrapolate from")
            t_sn = per_doc_snorkel * n
            equal = "(not run)"
            how = f"extrapolated linearly from the {min(args.sizes):,}-document run"
        rows.append((n, t_ws, t_ref, t_mem, t_sn, how, equal, (L_ws != -1).any(axis=1).mean()))
        print(f"{n:>10,} docs: wslab {t_ws:.2f} s (reference compilation {t_ref:.2f} s), snorkel {t_sn:.1f} s "
              f"({how}), ratio {t_sn / t_ws:.0f}x ({t_sn / t_ref:.0f}x with the reference), {equal}", file=sys.stderr)
        path.unlink()
    lines = [
        "## LF application: declarative LFs (Polars) vs Snorkel's PandasLFApplier",
        "",
        f"30 LFs (keywords with Unicode whole-word matching, regexes, column rules, text length, all_of / any_of / not) "
        f"over a synthetic English/Russian support corpus (benchmarks/synth.py); the Snorkel LFs evaluate the same "
        f"regexes with Python's `re`. wslab time = median of 3 runs of scan parquet -> compiled expressions -> "
        f"streaming collect (file reading included); Snorkel time = one `PandasLFApplier.apply` over an in-memory "
        f"pandas frame (reading not timed). Both measured in the same run of this script. \"reference compilation\" "
        f"is the same wslab query with `compile_lf(..., optimize=False)` (the keyword regexes before the fast path "
        f"of labeling/compile.py), timed the same way; \"in-memory engine\" is the optimised query collected with "
        f"Polars' default in-memory engine instead of the streaming one (a diagnostic: the pipeline streams). All "
        f"three wslab label matrices are equal (checked). "
        f"Machine: {machine_facts()}.",
        "",
        "| documents | wslab | wslab, reference compilation | wslab, in-memory engine | Snorkel PandasLFApplier "
        "| Snorkel time is | speed-up | speed-up, reference compilation | label matrices vs Snorkel | coverage |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, t_ws, t_ref, t_mem, t_sn, how, equal, cov in rows:
        lines.append(f"| {n:,} | {t_ws:.2f} s | {t_ref:.2f} s | {t_mem:.2f} s | {t_sn:.1f} s | {how} "
                     f"| **{t_sn / t_ws:.0f}x** | {t_sn / t_ref:.0f}x | {equal} | {cov:.1%} |")
    ratios = {n: t_sn / t_ws for n, t_ws, _, _, t_sn, *_ in rows}
    at_200k = ratios.get(200_000)
    verdict = (f"at 200,000 documents {at_200k:.0f}x: the 50x target of issue 2 is "
               f"{'met' if at_200k >= 50 else 'missed'}, the 100x target of issue 6 is "
               f"{'met' if at_200k >= 100 else 'missed'}. " if at_200k else "")
    lines += ["", f"Targets: at least 50x at 200,000 documents (issue 2), at least 100x (issue 6); {verdict}"
              "Polars used both cores and Snorkel one, so per core the ratio is about half. Case-insensitive whole-word "
              "keywords compile to an equivalent fast form (ASCII keywords as `(?i)\\b(?:...)\\b`, others checked "
              "only on rows that a `(?i)` literal prefilter passes), and the text regexes of an `all_of` skip rows "
              "its column and length conditions already rule out; most of the remaining time goes to the "
              "Unicode regexes. Polars keeps 32 compiled regexes per thread: with more distinct patterns (here 42 with the "
              "fast path, 31 with the reference) each streaming morsel recompiles them. The streaming engine, which the pipeline uses to bound memory, "
              "spreads this query over the 2 cores less well than the in-memory engine (see that column)."]
    text = "\n".join(lines) + "\n"
    write_text(OUT, text)
    print(text)
    return text


if __name__ == "__main__":
    main()
