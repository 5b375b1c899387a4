"""A tiny, seeded sentiment-like project written to a temp folder for the spine tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

LFS = {
    "lfs": [
        {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love", "excellent", "happy"]},
        {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["terrible", "hate", "awful", "broken"]},
        {"name": "kw_ru_pos", "label": "pos", "kind": "keywords", "keywords": ["ОТЛИЧНО", "супер"]},
        {"name": "re_ru_neg", "label": "neg", "kind": "regex", "pattern": r"(ужасн|плох)\w*"},
        {"name": "stars_low", "label": "neg", "kind": "column", "column": "stars", "op": "le", "value": 2},
        {"name": "stars_high", "label": "pos", "kind": "column", "column": "stars", "op": "ge", "value": 4},
        {"name": "neg_not_pos", "label": "neg", "kind": "all_of", "conditions": [
            {"kind": "keywords", "keywords": ["again"]},
            {"kind": "not", "condition": {"kind": "keywords", "keywords": ["great", "love"]}}]},
    ]
}


@pytest.fixture
def project(tmp_path: Path, make_review_corpus, project_writer) -> Path:
    """Write corpus.csv, gold.csv, lfs.yaml and config.yaml; return the config path."""
    rng = np.random.default_rng(11)
    df, y = make_review_corpus(1200, rng)
    gold_idx = rng.choice(len(df), 400, replace=False)
    gold = pl.DataFrame({"id": df["id"].gather(gold_idx), "label": np.where(y[gold_idx] == 1, "neg", "pos")})
    return project_writer(tmp_path, tables={"corpus.csv": df, "gold.csv": gold}, lfs=LFS, config={
        "seed": 3,
        "gold": {"path": "gold.csv", "dev_fraction": 0.5},
        "lfs": {"files": ["lfs.yaml"]},
        "label_model": {"kind": "auto", "n_epochs": 200},
        "end_model": {"max_features": 5000},
        "evaluation": {"bootstrap": 200},
    })


@pytest.fixture
def corpus(make_review_corpus) -> pl.DataFrame:
    df, _ = make_review_corpus(600, np.random.default_rng(5))
    return df
