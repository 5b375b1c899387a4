"""The fast label-model loss == Snorkel's LabelModel (same learned mu), early stopping, skipped fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from snorkel.labeling.model import LabelModel

from wslab.labeling.aggregate import majority_vote
from wslab.labeling.fast_label_model import EarlyStopping, fast_label_model_class
from wslab.labeling.label_model import fit_label_model
from wslab.labeling.patterns import overlap_share, vote_patterns


def _matrix(seed: int, n: int, m: int, k: int, coverage: float, unipolar: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = rng.uniform(0.4, 0.9, m)
    if unipolar:  # each LF votes one class, more often on its own class (keyword LFs)
        own = np.arange(m) % k
        rate = np.where(y[:, None] == own, coverage * 2, coverage * 0.5)
        return np.where(rng.random((n, m)) < rate, own, -1)
    noisy = np.where(rng.random((n, m)) < acc, y[:, None], rng.integers(0, k, (n, m)))
    return np.where(rng.random((n, m)) < coverage, noisy, -1)


def _snorkel(L, k, prior, **kw):
    model = LabelModel(cardinality=k, verbose=False, device="cpu")
    model.fit(L, class_balance=prior, progress_bar=False, **kw)
    return model


def _fast(L, k, prior, early_stopping=None, **kw):
    model = fast_label_model_class()(cardinality=k, verbose=False, device="cpu")
    model.early_stopping = early_stopping
    model.fit(L, class_balance=prior, progress_bar=False, **kw)
    return model


def _mu(model) -> np.ndarray:
    return model.mu.detach().numpy()


CASES = [
    # (seed, rows, LFs, classes, coverage, unipolar, fit settings)
    (1, 3000, 7, 3, 0.3, False, dict(n_epochs=100, seed=1)),
    (2, 2000, 40, 9, 0.1, False, dict(n_epochs=300, lr=0.02, l2=0.1, seed=3)),
    (3, 5000, 80, 9, 0.05, True, dict(n_epochs=200, seed=0)),
    (4, 3000, 150, 9, 0.03, False, dict(n_epochs=40, lr=0.005, l2=0.5, seed=11)),
    (5, 4000, 12, 2, 0.6, False, dict(n_epochs=500, seed=5)),  # dense overlaps: the BLAS branch
]


@pytest.mark.parametrize("seed,n,m,k,coverage,unipolar,kw", CASES)
def test_same_mu_as_snorkel_fit(seed, n, m, k, coverage, unipolar, kw):
    L = _matrix(seed, n, m, k, coverage, unipolar)
    prior = np.random.default_rng(seed).dirichlet(np.full(k, 5.0))
    ref = _snorkel(L, k, prior, **kw)
    fast = _fast(L, k, prior, **kw)
    assert fast.epochs_run == kw["n_epochs"]
    np.testing.assert_allclose(_mu(fast), _mu(ref), rtol=0, atol=1e-6)
    # the pattern-weighted fit wslab runs, with the fast loss, is the same fit
    p = vote_patterns(L)
    pat = fit_label_model(p, k, prior=prior, restarts=1, early_stopping=None, **kw)
    np.testing.assert_allclose(pat.restarts[0].mu, _mu(ref), rtol=0, atol=1e-6)
    covered = (L != -1).any(axis=1)
    np.testing.assert_allclose(pat.aggregation().probs[covered], ref.predict_proba(L)[covered], rtol=0, atol=1e-5)


def test_both_branches_of_the_overlap_product_are_exercised():
    sparse = _fast(_matrix(3, 5000, 80, 9, 0.05, True), 9, None, n_epochs=1)
    dense = _fast(_matrix(5, 4000, 12, 2, 0.6), 2, None, n_epochs=1)
    assert sparse._O_off.is_sparse and not dense._O_off.is_sparse


@pytest.mark.parametrize("l2", [0.0, 0.3, "per_lf"])
def test_loss_value_equals_snorkels_at_any_mu(l2):
    L = _matrix(7, 3000, 30, 5, 0.15)
    prior = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    ref = _snorkel(L, 5, prior, n_epochs=1)
    fast = _fast(L, 5, prior, n_epochs=1)
    if l2 == "per_lf":
        l2 = np.random.default_rng(0).uniform(0, 1, ref.d)
    rng = np.random.default_rng(1)
    for _ in range(3):
        mu = torch.from_numpy(rng.uniform(0, 1, (ref.d, 5)).astype(np.float32))
        ref.mu.data, fast.mu.data = mu.clone(), mu.clone()
        ref.mu_init, fast.mu_init = mu * 0.5, mu * 0.5
        with torch.no_grad():
            want, got = float(ref._loss_mu(l2=l2)), float(fast._loss_mu(l2=l2))
        assert got == pytest.approx(want, rel=1e-5)


def test_early_stopping_ends_the_loop_and_equals_a_shorter_snorkel_fit():
    L = _matrix(2, 3000, 20, 4, 0.2)
    prior = np.array([0.4, 0.3, 0.2, 0.1])
    stop = EarlyStopping(tol=1e-3, patience=10)
    fast = _fast(L, 4, prior, early_stopping=stop, n_epochs=2000, seed=4)
    assert 10 < fast.epochs_run < 2000
    hist = fast.loss_history
    assert len(hist) == fast.epochs_run

    def improvement(t):  # best loss of epochs t-9..t vs the best before them
        before = min(hist[:t - 9])
        return (before - min(hist[t - 9:t + 1])) / before

    assert improvement(len(hist) - 1) <= 1e-3  # the criterion held when it stopped, and not before
    assert all(improvement(t) > 1e-3 for t in range(10, len(hist) - 1))
    # stopping after epoch t is a fit of t epochs, clamp and symmetry breaking included
    ref = _snorkel(L, 4, prior, n_epochs=fast.epochs_run, seed=4)
    np.testing.assert_allclose(_mu(fast), _mu(ref), rtol=0, atol=1e-6)


def test_early_stopping_ignores_a_momentum_overshoot():
    stop = EarlyStopping(tol=1e-3, patience=3)
    # the last loss is no better than 3 epochs ago, but the window holds a new best: go on
    assert not stop.should_stop([1.0, 0.8, 0.4, 0.6, 0.8])
    assert stop.should_stop([1.0, 0.8, 0.4, 0.6, 0.8, 0.5])  # 3 epochs without beating 0.4


def test_early_stopping_arguments_checked():
    with pytest.raises(ValueError, match="tol > 0"):
        EarlyStopping(tol=0, patience=5)
    p = vote_patterns(_matrix(1, 500, 5, 2, 0.5))
    with pytest.raises(ValueError, match="fast"):
        fit_label_model(p, 2, fast=False, early_stopping=EarlyStopping())


def test_fit_skipped_with_a_note_when_lfs_almost_never_overlap():
    rng = np.random.default_rng(0)
    n, m = 20000, 30
    L = np.full((n, m), -1)
    lf = rng.integers(0, m, n)  # one LF per row ...
    L[np.arange(n), lf] = rng.integers(0, 3, n)
    few = rng.choice(n, 100, replace=False)  # ... and a second vote on 0.5 % of rows
    L[few, (lf[few] + 1) % m] = rng.integers(0, 3, 100)
    L[rng.choice(n, 500, replace=False)] = -1
    p = vote_patterns(L)
    share = overlap_share(p.votes, p.counts)
    assert share == pytest.approx(100 / ((L != -1).any(axis=1).sum()), abs=0.002)
    fit = fit_label_model(L, 3, n_epochs=20)
    assert not fit.fitted
    agg = fit.aggregation()
    assert agg.note is not None and "not fitted" in agg.note and "majority vote" in agg.note
    assert agg.name == "label_model"
    mv = majority_vote(L, 3)
    np.testing.assert_array_equal(agg.probs, mv.probs)
    np.testing.assert_array_equal(agg.covered, mv.covered)
    # a lower threshold fits, and says nothing
    fitted = fit_label_model(L, 3, n_epochs=20, restarts=1, min_overlap=0.001).aggregation()
    assert fitted.note is None and not np.array_equal(fitted.probs, mv.probs)


def test_enough_overlap_fits_and_no_vote_at_all_is_skipped():
    L = _matrix(1, 3000, 7, 3, 0.3)
    assert fit_label_model(L, 3, n_epochs=20, restarts=1).note is None
    empty = np.full((50, 4), -1)
    agg = fit_label_model(empty, 2, prior=np.array([0.7, 0.3])).aggregation()
    assert "0.00%" in agg.note
    np.testing.assert_allclose(agg.probs, np.tile([0.7, 0.3], (50, 1)))
    assert not agg.covered.any()


def test_sparse_predict_proba_equals_snorkels_on_the_same_model():
    L = _matrix(3, 5000, 80, 9, 0.05, True)
    L[:5] = -1  # uncovered rows: Snorkel gives them the class balance
    fast = _fast(L, 9, np.random.default_rng(0).dirichlet(np.full(9, 5.0)), n_epochs=30)
    want = LabelModel.predict_proba(fast, L)  # Snorkel's own method, dense indicator
    np.testing.assert_allclose(fast.predict_proba(L), want, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="cardinality"):
        fast.predict_proba(np.full((2, 80), 9))


@pytest.mark.parametrize("case", [(7, 3000, 30, 5, 0.15, 0.3), (5, 4000, 12, 2, 0.6, 0.0)])  # sparse and dense O_off
def test_numpy_objective_equals_the_torch_loss_and_its_autograd_gradient(case):
    seed, n, m, k, coverage, l2 = case
    fast = _fast(_matrix(seed, n, m, k, coverage), k, None, n_epochs=1)
    objective = fast._objective(l2)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        mu = torch.from_numpy(rng.uniform(0, 1, (fast.d, k)).astype(np.float32))
        fast.mu.data = mu.clone()
        fast.mu.grad = None
        loss = fast._loss_mu(l2=l2)
        loss.backward()
        value, grad = objective.value_and_grad(mu.numpy().astype(np.float64))
        assert value == pytest.approx(float(loss.detach()), rel=1e-12)
        np.testing.assert_allclose(grad.astype(np.float32), fast.mu.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_default_fit_runs_its_epochs_in_numpy_and_other_optimizers_in_snorkels_loop():
    L = _matrix(1, 2000, 8, 3, 0.4)
    numpy_fit = _fast(L, 3, None, n_epochs=50, seed=2)
    assert not hasattr(numpy_fit, "optimizer")  # no torch optimizer: building one imports torch._dynamo (1 s)
    adam = _fast(L, 3, None, n_epochs=50, seed=2, optimizer="adam")
    ref = _snorkel(L, 3, None, n_epochs=50, seed=2, optimizer="adam")
    assert adam.epochs_run == 50 and hasattr(adam, "optimizer")
    np.testing.assert_allclose(_mu(adam), _mu(ref), rtol=0, atol=1e-6)
