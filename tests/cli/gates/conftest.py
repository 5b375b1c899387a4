"""A small seeded project with long LF names and two annotators, for gates and console output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

# Long names: the console tables must print them whole (wrapped on a terminal, never cut with "…").
LONG_NAMES = ["keyword_positive_words_english_and_russian_reviews", "keyword_negative_words_english_and_russian_reviews",
              "stars_at_most_two_means_an_unhappy_customer_review", "stars_four_or_more_means_a_happy_customer_review",
              "the_word_again_without_praise_is_a_repeat_complaint"]


@pytest.fixture
def gate_project(tmp_path: Path, make_review_corpus, project_writer) -> Path:
    """corpus.csv, gold.csv, ann.csv (two annotators), lfs.yaml, config.yaml; returns the config path."""
    rng = np.random.default_rng(21)
    df, y = make_review_corpus(800, rng)
    gold_idx = rng.choice(len(df), 300, replace=False)
    names = np.array(["pos", "neg"])
    gold = pl.DataFrame({"id": df["id"].gather(gold_idx), "label": names[y[gold_idx]]})
    rows = []
    for ann, acc in (("a1", 0.9), ("a2", 0.75)):
        flip = rng.random(gold.height) > acc
        rows.append(pl.DataFrame({"id": gold["id"], "annotator": ann,
                                  "label": np.where(flip, names[1 - y[gold_idx]], names[y[gold_idx]])}))
    a, b, c, d, e = LONG_NAMES
    lfs = {"lfs": [
        {"name": a, "label": "pos", "kind": "keywords", "keywords": ["great", "love", "excellent", "happy", "супер"]},
        {"name": b, "label": "neg", "kind": "keywords", "keywords": ["terrible", "hate", "awful", "broken", "плохо"]},
        {"name": c, "label": "neg", "kind": "column", "column": "stars", "op": "le", "value": 2},
        {"name": d, "label": "pos", "kind": "column", "column": "stars", "op": "ge", "value": 4},
        {"name": e, "label": "neg", "kind": "keywords", "keywords": ["again"]},
    ]}
    return project_writer(tmp_path, tables={"corpus.csv": df, "gold.csv": gold, "ann.csv": pl.concat(rows)}, lfs=lfs,
                          config={"seed": 5, "gold": {"path": "gold.csv", "dev_fraction": 0.5},
                                  "lfs": {"files": ["lfs.yaml"]}, "annotations": "ann.csv",
                                  "label_model": {"n_epochs": 100},
                                  "end_model": {"max_features": 3000}, "suspicious": {"folds": 3, "epochs": 2},
                                  "evaluation": {"bootstrap": 50}})
