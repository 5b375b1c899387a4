"""A tiny project for the bad-input matrix: every file a command can take, written per test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest


LFS = {"lfs": [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "hate"]},
]}


@pytest.fixture
def project(tmp_path: Path, project_writer) -> Path:
    """Write a small valid project into tmp_path; return the folder.

    corpus.csv (id, text), gold.csv, annotations.csv (long), lfs.yaml, config.yaml, a queue.csv as
    ``wslab issues`` writes it, a labelled table, and run/ with a manifest and metrics.
    """
    rng = np.random.default_rng(4)
    n = 60
    y = rng.integers(0, 2, n)
    words = np.array([["great", "love", "nice"], ["awful", "hate", "bad"]])
    texts = [f"the order was {words[k][rng.integers(0, 3)]} today" for k in y]
    ids = [f"d{i:03d}" for i in range(n)]
    names = np.array(["pos", "neg"])
    ann = [(ids[i], a, names[y[i]] if rng.random() < 0.8 else names[1 - y[i]]) for i in range(30) for a in ("a", "b")]
    tables = {
        "corpus.csv": pl.DataFrame({"id": ids, "text": texts}),
        "gold.csv": pl.DataFrame({"id": ids[:30], "label": names[y[:30]].tolist()}),
        "labeled.csv": pl.DataFrame({"id": ids, "text": texts, "label": names[y].tolist()}),
        "annotations.csv": pl.DataFrame(ann, schema=["id", "annotator", "label"], orient="row"),
        "queue.csv": pl.DataFrame({"rank": [1, 2], "id": ids[:2], "text": texts[:2], "given_label": ["pos", "neg"],
                                   "suggested_label": ["neg", "pos"], "priority": [0.9, 0.8], "reasons": ["x", "y"]}),
    }
    project_writer(tmp_path, tables=tables, lfs=LFS, config={
        "task": "review sentiment", "seed": 1, "labels": {"pos": "positive", "neg": "negative"},
        "gold": {"path": "gold.csv"}, "lfs": {"files": ["lfs.yaml"]}})
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"config_hash": "x", "rows": {}}), encoding="utf-8")
    (run / "metrics.json").write_text(json.dumps({"labels": ["pos", "neg"]}), encoding="utf-8")
    return tmp_path
