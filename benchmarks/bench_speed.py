"""Benchmark (issue 18): ``wslab apply`` wall time on WRENCH youtube, sms and the demo against the glue a
user would write by hand and against the main of before issue 18, in one run.

    python benchmarks/bench_speed.py [youtube] [sms] [demo] [--old PYTHON]

The old main (``OLD_COMMIT``, the parent of the first issue-18 commit) runs from its own
install: ``--old`` (or ``WSLAB_OLD_PYTHON``) names that install's python, e.g. made by

    git clone . /tmp/oldmain && git -C /tmp/oldmain checkout 8075551
    python3 -m venv /tmp/oldmain/.venv && /tmp/oldmain/.venv/bin/pip install -e /tmp/oldmain

Without it that column is left out. Each version imports the data and writes the demo with its
own commands (``wslab import wrench``, ``wslab demo``), so each runs the config it writes.

The glue, timed in a fresh interpreter like the CLI: Snorkel's ``LabelModel`` with its defaults
fitted on the train split's LF votes, a TF-IDF word (1-2) + char_wb (2-5) logistic regression
trained on its labels of the covered train documents, predicting test. wslab: ``wslab import
wrench`` then ``wslab apply`` (sms with the 73 regex LFs of its readme re-applied; default config
but the selection metric of the dataset). Needs ../shared/data/wrench (skips with a note when
absent). Writes benchmarks/results/speed.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_wrench import DATA, SELECTION_METRIC, readme_lfs  # noqa: E402

DATASETS = ("youtube", "sms", "demo")
IMPORTS = "import wslab.app.pipeline, snorkel.labeling.model, cleanlab.filter, matplotlib.backends.backend_agg"
"""What a run of ``wslab apply`` imports before its work (the real Snorkel pulls torch)."""
OLD_COMMIT = "8075551"
"""The main before issue 18's work: the parent of 7bb2de8, the first commit of the speed branch."""


def glue(dataset: str) -> dict:
    """The hand-written pipeline; returns its test score (accuracy for youtube, F1 of spam for sms)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import FeatureUnion
    from snorkel.labeling.model import LabelModel

    def load(split):
        d = json.loads((DATA / dataset / f"{split}.json").read_text(encoding="utf-8"))
        return ([v["data"]["text"] for v in d.values()], np.array([v["label"] for v in d.values()]),
                np.array([v["weak_labels"] for v in d.values()]))

    texts, _, L = load("train")
    test_texts, y_test, _ = load("test")
    lm = LabelModel(cardinality=2, verbose=False)
    lm.fit(L, seed=0)
    covered = (L != -1).any(axis=1)
    y_weak = lm.predict(L[covered], tie_break_policy="random")
    feats = FeatureUnion([("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                          ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))])
    X = feats.fit_transform([t for t, c in zip(texts, covered) if c])
    clf = LogisticRegression(max_iter=1000).fit(X, y_weak)
    pred = clf.predict(feats.transform(test_texts))
    value = accuracy_score(y_test, pred) if dataset == "youtube" else f1_score(y_test, pred, pos_label=1)
    return {"score": float(value)}


def prepare(dataset: str, proj: Path, python: str = sys.executable) -> Path:
    import yaml

    if dataset == "demo":
        subprocess.run([python, "-m", "wslab", "demo", str(proj), "-q"], check=True, cwd=proj.parent)
        return proj / "config.yaml"
    # run outside any checkout: ``python -m wslab`` puts the working folder first on sys.path
    subprocess.run([python, "-m", "wslab", "import", "wrench", str(DATA / dataset), str(proj), "-q"], check=True,
                   cwd=proj.parent)
    cfg_path = proj / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["selection"] = {"metric": SELECTION_METRIC[dataset]}
    if dataset == "sms":  # its stored valid/test votes do not belong to their texts: re-apply the LFs
        (proj / "lfs.yaml").write_text(yaml.safe_dump({"lfs": readme_lfs(DATA / dataset)}, sort_keys=False),
                                       encoding="utf-8")
        cfg["lfs"] = {"files": ["lfs.yaml"]}
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return cfg_path


def apply_run(dataset: str, python: str) -> dict:
    """``wslab apply`` with ``python``'s wslab: wall and CPU seconds, test score, chosen pipeline and the
    run manifest's stage times."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = prepare(dataset, Path(tmp) / dataset, python)
        secs, cpu, res = timed([python, "-m", "wslab", "apply", str(cfg), "--json"], cwd=tmp)
        manifests = sorted(cfg.parent.rglob("manifest.json"), key=lambda m: m.stat().st_mtime)
        stages = json.loads(manifests[-1].read_text(encoding="utf-8")).get("timings_s", {}) if manifests else {}
    metrics = json.loads(res)
    final = metrics["test"]["final"]
    score = (final["accuracy"] if dataset == "youtube" else final["per_class"]["spam"]["f1"] if dataset == "sms"
             else final["macro_f1"])
    chosen = (metrics.get("candidates") or {}).get("chosen") or metrics.get("chosen") or "?"
    return {"wall": secs, "cpu": cpu, "score": score, "stages": stages,
            "chosen": chosen if isinstance(chosen, str) else chosen.get("name", "?")}


def timed(cmd: list[str], cwd: str | Path | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds: user + system of the process and every child it waited for, stdout)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


METRIC = {"youtube": "accuracy", "sms": "F1 of spam", "demo": "macro F1"}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--glue"]:
        print(json.dumps(glue(argv[1])))
        return 0
    old = os.environ.get("WSLAB_OLD_PYTHON")
    if "--old" in argv:
        i = argv.index("--old")
        old, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    out = HERE / "results" / "speed.md"
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    rows, cpu_rows, stage_rows, old_walls = [], [], [], []
    cell = lambda x, f="{:.0f} s": f.format(x) if x is not None else "-"  # noqa: E731
    for dataset in [d for d in DATASETS if not argv or d in argv]:
        glue_s = glue_cpu = theirs = None
        if dataset != "demo":
            glue_s, glue_cpu, glue_out = timed([sys.executable, __file__, "--glue", dataset])
            theirs = json.loads(glue_out)["score"]
        ours = apply_run(dataset, sys.executable)
        prev = apply_run(dataset, old) if old else None
        wslab_s, old_s = ours["wall"], prev["wall"] if prev else None
        old_chosen = f" ({prev['chosen']})" if prev else ""
        if prev:
            old_walls.append((dataset, old_s))
        rows.append(f"| {dataset} | {METRIC[dataset]} | {wslab_s:.0f} s | {cell(glue_s)} | "
                    f"**{cell(wslab_s / glue_s if glue_s else None, '{:.1f}x')}** | {cell(old_s)} | "
                    f"**{cell(old_s / wslab_s if old_s else None, '{:.1f}x')}** | {100 * ours['score']:.1f} "
                    f"({ours['chosen']}) | {cell(100 * theirs if theirs is not None else None, '{:.1f}')} | "
                    f"{cell(100 * prev['score'] if prev else None, '{:.1f}')}"
                    f"{old_chosen} |")
        cpu_rows.append(f"| {dataset} | {ours['cpu']:.1f} | {cell(glue_cpu, '{:.1f}')} | "
                        f"{cell(prev['cpu'] if prev else None, '{:.1f}')} | "
                        f"**{cell(prev['cpu'] / ours['cpu'] if prev else None, '{:.1f}x')}** |")
        for who, run in (("wslab", ours), ("old main", prev)):
            if run:
                stage_rows.append(f"| {dataset} | {who} | " + ", ".join(
                    f"{k} {v:.1f}" for k, v in run["stages"].items() if v >= 0.05) + " |")
    imports_s, _, _ = timed([sys.executable, "-c", IMPORTS])
    floor = ""
    if old and rows:
        floor = ("\n\nThe floor: in a fresh interpreter, importing what `wslab apply` needs (" + IMPORTS.removeprefix(
            "import ") + f") takes {imports_s:.1f} s of wall time in this run, before any work; 5x faster than the "
            "old main would leave " + ", ".join(f"{d} {w / 5:.1f} s" for d, w in old_walls) + " for everything, "
            "imports included.")
    text = ("## Speed: `wslab apply` against the hand-written glue and the main before issue 18\n\n"
            "Wall time of `wslab apply` (default config, the dataset's selection metric; sms with its readme's 73 "
            "regex LFs re-applied; the demo as `wslab demo` writes it: 50,000 messages, 2,000 gold) and of the glue a "
            "user would write (Snorkel `LabelModel` defaults on the train votes, TF-IDF word + char_wb logistic "
            "regression on its labels of the covered train documents, predict test; WRENCH only), and of `wslab "
            f"apply` of the main before issue 18 (commit {OLD_COMMIT}, the parent of 7bb2de8, the first commit of "
            "the speed work; installed in its own venv, importing the data with its own commands), each in a fresh "
            "interpreter, in the same run of benchmarks/bench_speed.py. "
            f"Load average at the end: {os.getloadavg()[0]:.1f} on 2 cores (ratios matter more than seconds). "
            "Targets: wslab at most 3x the glue's wall time, at least 5x faster than the old main.\n\n"
            "| dataset | metric | wslab apply | glue | wslab / glue | old main | old main / wslab | wslab test score "
            "(chosen) | glue test score | old main test score (chosen) |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
            "CPU seconds of the same runs (user + system of the process and every child process it waited for: "
            "unlike wall time, this does not depend on how busy the machine was):\n\n"
            "| dataset | wslab apply | glue | old main | old main / wslab |\n|---|---|---|---|---|\n"
            + "\n".join(cpu_rows) + "\n\n"
            "Stage times from each run's manifest (seconds; the rest of the wall time is start-up imports, "
            "reading the project and writing the report):\n\n| dataset | version | stages |\n|---|---|---|\n"
            + "\n".join(stage_rows) + floor + "\n")
    print(text)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
