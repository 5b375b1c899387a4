"""The Makefile snippet in README.md ("Using wslab from a Makefile"), run against a generated project.

tests/packaging/test_wheel.py runs the same targets with wslab installed from a wheel: it reuses
:func:`readme_snippet`, :func:`write_training_repo` and :func:`check_makefile_targets`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using wslab from a Makefile", 1)[1].split("\n## ", 1)[0]
    m = re.search(r"```make\n(.*?)```", section, flags=re.DOTALL)
    assert m, "README: no ```make block under 'Using wslab from a Makefile'"
    return m.group(1)


def wslab_command(tmp: Path) -> str:
    """The venv's wslab console script."""
    return str(Path(sys.executable).parent / "wslab")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A training repo laid out as the snippet's defaults expect."""
    return write_training_repo(tmp_path_factory.mktemp("training-repo"))


def write_training_repo(root: Path) -> Path:
    """Write a tiny training repo (data/, labeling/ and the README's Makefile) into ``root``."""
    (root / "data").mkdir()
    (root / "labeling").mkdir()
    rng = np.random.default_rng(8)
    n = 300
    y = rng.integers(0, 2, n)
    words = np.array([["great", "love", "nice", "fine"], ["awful", "hate", "bad", "broken"]])
    texts = [f"the {words[k][rng.integers(0, 4)]} order {words[k][rng.integers(0, 4)]}" if rng.random() < 0.8
             else f"the order came {'today' if k else 'late'}" for k in y]
    # a few mixed messages, where the two LFs conflict: the queue (flagged items only) is not empty
    texts = [t if rng.random() > 0.1 else f"{t} but {words[1 - k][rng.integers(0, 3)]}" for t, k in zip(texts, y)]
    ids = [f"r{i:04d}" for i in range(n)]
    names = np.array(["pos", "neg"])
    pl.DataFrame({"id": ids, "text": texts}).write_parquet(root / "data" / "corpus.parquet")
    gold = rng.choice(n, 60, replace=False)
    pl.DataFrame({"id": [ids[i] for i in gold], "label": names[y[gold]].tolist()}).write_csv(root / "data" / "gold.csv")
    rows = [(ids[i], a, names[y[i]] if rng.random() < 0.9 else names[1 - y[i]]) for i in gold for a in ("a", "b", "c")]
    pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row").write_csv(root / "data" / "annotations.csv")
    lfs = {"lfs": [{"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love", "nice"]},
                   {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "hate", "bad"]}]}
    (root / "labeling" / "lfs.yaml").write_text(yaml.safe_dump(lfs))
    config = {"seed": 2, "corpus": {"path": "../data/corpus.parquet"}, "labels": {"pos": "positive", "neg": "negative"},
              "gold": {"path": "../data/gold.csv"}, "lfs": {"files": ["lfs.yaml"]},
              "end_model": {"max_features": 1000}, "evaluation": {"bootstrap": 50},
              "suspicious": {"folds": 2, "epochs": 2, "max_items": 200}, "output": {"dir": "runs/labels"}}
    (root / "labeling" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "Makefile").write_text(readme_snippet(), encoding="utf-8")
    return root


def run_make(repo: Path, *args: str, wslab: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**(env if env is not None else os.environ), "COLUMNS": "120"}
    return subprocess.run(["make", "--no-print-directory", f"WSLAB={wslab or wslab_command(repo)}", *args], cwd=repo,
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_readme_makefile_targets(repo):
    check_makefile_targets(repo)


def check_makefile_targets(repo: Path, **make_kwargs) -> None:
    """Run the README's targets in ``repo``: labels (twice), agreement passing and failing, the queue."""
    def make(*args):
        return run_make(repo, *args, **make_kwargs)

    run = repo / "labeling" / "runs" / "labels"
    first = make("labels")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (run / "labels.parquet").exists() and (run / "report.html").exists()
    again = make("labels")  # nothing changed: make does not run wslab again
    assert again.returncode == 0 and "wslab" not in again.stdout, again.stdout
    assert "up to date" in again.stdout or "Nothing to be done" in again.stdout

    ok = make("agreement", "MIN_ALPHA=0.0")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    gate = make("agreement", "MIN_ALPHA=0.99")
    assert gate.returncode != 0
    assert re.search(r"fail: krippendorff_alpha = 0\.\d+ is below --fail-under 0\.99", gate.stderr), gate.stderr

    queue = make("relabel-queue", "QUEUE_TOP=5")
    assert queue.returncode == 0, queue.stdout + queue.stderr
    tasks = json.loads((repo / "relabel" / "tasks.json").read_text())
    assert 1 <= len(tasks) <= 5
