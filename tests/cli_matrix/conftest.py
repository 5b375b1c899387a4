"""A tiny project for the bad-input matrix: every file a command can take, written per test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

LFS = {"lfs": [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "hate"]},
]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
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
    pl.DataFrame({"id": ids, "text": texts}).write_csv(tmp_path / "corpus.csv")
    pl.DataFrame({"id": ids[:30], "label": names[y[:30]].tolist()}).write_csv(tmp_path / "gold.csv")
    pl.DataFrame({"id": ids, "text": texts, "label": names[y].tolist()}).write_csv(tmp_path / "labeled.csv")
    ann = [(ids[i], a, names[y[i]] if rng.random() < 0.8 else names[1 - y[i]]) for i in range(30) for a in ("a", "b")]
    pl.DataFrame(ann, schema=["id", "annotator", "label"], orient="row").write_csv(tmp_path / "annotations.csv")
    pl.DataFrame({"rank": [1, 2], "id": ids[:2], "text": texts[:2], "given_label": ["pos", "neg"],
                  "suggested_label": ["neg", "pos"], "priority": [0.9, 0.8], "reasons": ["x", "y"]}
                 ).write_csv(tmp_path / "queue.csv")
    (tmp_path / "lfs.yaml").write_text(yaml.safe_dump(LFS), encoding="utf-8")
    config = {"task": "review sentiment", "seed": 1, "corpus": {"path": "corpus.csv"},
              "labels": {"pos": "positive", "neg": "negative"}, "gold": {"path": "gold.csv"},
              "lfs": {"files": ["lfs.yaml"]}, "output": {"dir": "run"}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"config_hash": "x", "rows": {}}), encoding="utf-8")
    (run / "metrics.json").write_text(json.dumps({"labels": ["pos", "neg"]}), encoding="utf-8")
    return tmp_path
