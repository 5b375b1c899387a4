"""Snorkel's LabelModel can collapse for an unlucky seed; restarts keep the lowest-loss fit."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import yaml

from wslab.app.demo import write_demo
from wslab.labeling.aggregate import class_prior, snorkel_label_model
from wslab.labeling.apply import declarative_frame
from wslab.labeling.patterns import fit_with_restarts, vote_patterns
from wslab.labeling.spec import load_lf_specs


@pytest.fixture(scope="module")
def demo_votes(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    write_demo(d, n_docs=6000, n_gold=600, seed=7)
    specs = load_lf_specs(d / "lfs.yaml")
    labels = list(yaml.safe_load((d / "config.yaml").read_text())["labels"])
    corpus = pl.read_parquet(d / "data" / "corpus.parquet")
    M = declarative_frame(corpus.lazy(), specs, labels, id_column="id", text_column="text").collect()
    gold = pl.read_csv(d / "data" / "gold.csv")
    pos = pl.DataFrame({"id": M["id"]}).with_row_index("p").join(gold, on="id")
    y = np.array([labels.index(v) for v in pos["label"]])
    return M.drop("id").to_numpy().astype(np.int64), pos["p"].to_numpy(), y, len(labels)


def covered_accuracy(agg, pos, y):
    c = agg.covered[pos]
    return (agg.labels[pos][c] == y[c]).mean()


@pytest.mark.parametrize("seed", [7, 9])
def test_restarts_rescue_a_seed_where_a_single_snorkel_fit_collapses(demo_votes, seed):
    L, pos, y, K = demo_votes
    prior = class_prior(y, K)
    single = covered_accuracy(snorkel_label_model(L, K, prior=prior, seed=seed, restarts=1), pos, y)
    rescued = covered_accuracy(snorkel_label_model(L, K, prior=prior, seed=seed, restarts=3), pos, y)
    assert single < 0.5  # Snorkel's own fit from this seed is degenerate
    assert rescued > 0.75


def test_restarts_keep_the_lowest_training_loss(demo_votes):
    L, _, y, K = demo_votes
    p = vote_patterns(L)
    model, losses = fit_with_restarts(p.votes, p.counts, K, restarts=3, seed=9, prior=class_prior(y, K), n_epochs=500)
    import torch

    with torch.no_grad():
        assert float(model._loss_mu()) == pytest.approx(min(losses))
    assert max(losses) > min(losses)
