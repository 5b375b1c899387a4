"""Pattern-deduplicated label model == Snorkel's LabelModel fitted on the raw matrix."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from snorkel.labeling.model import LabelModel

from wslab.labeling.label_model import _fit_once, fit_label_model
from wslab.labeling.patterns import vote_patterns


def _matrix(rng: np.random.Generator, n: int, m: int, k: int, coverage: float = 0.3) -> np.ndarray:
    y = rng.integers(0, k, n)
    noisy = np.where(rng.random((n, m)) < 0.75, y[:, None], rng.integers(0, k, (n, m)))
    return np.where(rng.random((n, m)) < coverage, noisy, -1)


@pytest.fixture
def L3() -> np.ndarray:
    return _matrix(np.random.default_rng(5), 4000, 7, 3)


def _raw_fit(L, k, prior, **kw):
    model = LabelModel(cardinality=k, verbose=False, device="cpu")
    model.fit(L, class_balance=prior, progress_bar=False, **kw)
    return model


def test_vote_patterns_counts_and_inverse(L3):
    p = vote_patterns(L3)
    assert p.n_rows == len(L3)
    np.testing.assert_array_equal(p.votes[p.inverse], L3)
    ref, ref_counts = np.unique(L3, axis=0, return_counts=True)
    np.testing.assert_array_equal(p.votes, ref)  # same lexicographic order as numpy
    np.testing.assert_array_equal(p.counts, ref_counts)


@pytest.mark.parametrize("kw", [dict(n_epochs=100, seed=1), dict(n_epochs=300, lr=0.02, l2=0.1, seed=7)])
def test_mu_and_predictions_equal_raw_fit(L3, kw):
    prior = np.array([0.5, 0.3, 0.2])
    raw = _raw_fit(L3, 3, prior, **kw)
    p = vote_patterns(L3)
    # Snorkel's own loss on the weighted overlap matrix: bit-identical
    one = fit_label_model(p, 3, prior=prior, restarts=1, fast=False, early_stopping=None, **kw).restarts[0]
    np.testing.assert_array_equal(raw.mu.detach().numpy(), one.mu)
    np.testing.assert_allclose(one.lf_accuracies, raw.get_weights())  # reads Snorkel's per-LF coverage
    # the default fast loss: the same parameters up to float rounding
    fast = fit_label_model(p, 3, prior=prior, restarts=1, early_stopping=None, **kw).restarts[0]
    np.testing.assert_allclose(fast.mu, raw.mu.detach().numpy(), rtol=0, atol=1e-6)
    agg = fit_label_model(L3, 3, prior=prior, restarts=1, fast=False, early_stopping=None, **kw).aggregation()
    covered = (L3 != -1).any(axis=1)
    np.testing.assert_allclose(agg.probs[covered], raw.predict_proba(L3)[covered], rtol=0, atol=1e-12)
    np.testing.assert_allclose(agg.probs[~covered], np.tile(prior, ((~covered).sum(), 1)))
    np.testing.assert_array_equal(agg.covered, covered)


def test_row_count_not_pattern_count_sets_the_clamp():
    # 5,000 rows but few patterns: Snorkel clamps mu to [1e-4, 1 - 1e-4] (from n = 5000), not [0.01, 0.99]
    rng = np.random.default_rng(2)
    L = _matrix(rng, 5000, 3, 2, coverage=0.6)
    assert len(vote_patterns(L).counts) < 100
    raw = _raw_fit(L, 2, None, n_epochs=200, seed=0)
    p = vote_patterns(L)
    one = fit_label_model(p, 2, n_epochs=200, seed=0, restarts=1, fast=False, early_stopping=None).restarts[0]
    np.testing.assert_array_equal(raw.mu.detach().numpy(), one.mu)


def test_polars_frame_input_and_aggregate_api(L3):
    frame = pl.DataFrame({"id": np.arange(len(L3)), **{f"lf{j}": pl.Series(L3[:, j], dtype=pl.Int8)
                                                          for j in range(L3.shape[1])}})
    a = fit_label_model(frame, 3, n_epochs=50, seed=3).aggregation()
    b = fit_label_model(L3, 3, n_epochs=50, seed=3).aggregation()
    np.testing.assert_array_equal(a.probs, b.probs)
    c = fit_label_model(vote_patterns(L3), 3, n_epochs=50, seed=3).aggregation()
    assert c.name == "label_model"
    np.testing.assert_allclose(c.probs, b.probs, atol=1e-12)


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="positive"):
        _fit_once(np.zeros((2, 3), int), np.array([1, 0]), 2, prior=np.full(2, 0.5), n_epochs=1, lr=0.01, l2=0.0, seed=0)
