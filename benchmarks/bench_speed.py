"""Benchmark (issue 18): ``wslab apply`` wall time on WRENCH youtube and sms against the glue a user
would write by hand, in one run.

    python benchmarks/bench_speed.py [youtube] [sms]

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

DATASETS = ("youtube", "sms")


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


def prepare(dataset: str, proj: Path) -> Path:
    import yaml

    subprocess.run([sys.executable, "-m", "wslab", "import", "wrench", str(DATA / dataset), str(proj), "-q"],
                   check=True)
    cfg_path = proj / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["selection"] = {"metric": SELECTION_METRIC[dataset]}
    if dataset == "sms":  # its stored valid/test votes do not belong to their texts: re-apply the LFs
        (proj / "lfs.yaml").write_text(yaml.safe_dump({"lfs": readme_lfs(DATA / dataset)}, sort_keys=False),
                                       encoding="utf-8")
        cfg["lfs"] = {"files": ["lfs.yaml"]}
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return cfg_path


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, out


def main(argv: list[str]) -> int:
    if argv[:1] == ["--glue"]:
        print(json.dumps(glue(argv[1])))
        return 0
    out = HERE / "results" / "speed.md"
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return 0
    rows = []
    for dataset in [d for d in DATASETS if not argv or d in argv]:
        glue_s, glue_out = timed([sys.executable, __file__, "--glue", dataset])
        with tempfile.TemporaryDirectory() as tmp:
            cfg = prepare(dataset, Path(tmp) / dataset)
            wslab_s, res = timed([sys.executable, "-m", "wslab", "apply", str(cfg), "--json"])
        metrics = json.loads(res)
        final = metrics["test"]["final"]
        ours = final["accuracy"] if dataset == "youtube" else final["per_class"]["spam"]["f1"]
        theirs = json.loads(glue_out)["score"]
        rows.append(f"| {dataset} | {'accuracy' if dataset == 'youtube' else 'F1 of spam'} | {wslab_s:.0f} s | "
                    f"{glue_s:.0f} s | **{wslab_s / glue_s:.1f}x** | {100 * ours:.1f} ({metrics['candidates']['chosen']}) "
                    f"| {100 * theirs:.1f} |")
    text = ("## Speed: `wslab apply` against the hand-written glue (issue 18)\n\n"
            "Wall time of `wslab apply` (default config, the dataset's selection metric; sms with its readme's 73 "
            "regex LFs re-applied) and of the glue a user would write (Snorkel `LabelModel` defaults on the train "
            "votes, TF-IDF word + char_wb logistic regression on its labels of the covered train documents, "
            "predict test), each in a fresh interpreter, in the same run of benchmarks/bench_speed.py. "
            f"Load average at the end: {os.getloadavg()[0]:.1f} on 2 cores (ratios matter more than seconds). "
            "Target: wslab at most 3x the glue's wall time.\n\n"
            "| dataset | metric | wslab apply | glue | ratio | wslab test score (chosen) | glue test score |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    print(text)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
