"""A tiny, seeded sentiment-like project written to a temp folder for the spine tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

# the root conftest's review LFs, plus a nested rule (all_of / not)
NEG_NOT_POS = {"name": "neg_not_pos", "label": "neg", "kind": "all_of", "conditions": [
    {"kind": "keywords", "keywords": ["again"]},
    {"kind": "not", "condition": {"kind": "keywords", "keywords": ["great", "love"]}}]}


@pytest.fixture
def project(tmp_path: Path, make_review_corpus, make_review_lfs, project_writer) -> Path:
    """Write corpus.csv, gold.csv, lfs.yaml and config.yaml; return the config path."""
    rng = np.random.default_rng(11)
    df, y = make_review_corpus(1200, rng)
    gold_idx = rng.choice(len(df), 400, replace=False)
    gold = pl.DataFrame({"id": df["id"].gather(gold_idx), "label": np.where(y[gold_idx] == 1, "neg", "pos")})
    return project_writer(tmp_path, tables={"corpus.csv": df, "gold.csv": gold}, lfs=make_review_lfs(NEG_NOT_POS), config={
        "seed": 3,
        "gold": {"path": "gold.csv", "dev_fraction": 0.5},
        "lfs": {"files": ["lfs.yaml"]},
        "label_model": {"n_epochs": 200},
        "end_model": {"max_features": 5000},
        "evaluation": {"bootstrap": 200},
    })


@pytest.fixture
def corpus(make_review_corpus) -> pl.DataFrame:
    df, _ = make_review_corpus(600, np.random.default_rng(5))
    return df
