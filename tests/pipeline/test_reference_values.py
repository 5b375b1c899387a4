"""Label models, LF analysis and metrics against Snorkel, scikit-learn and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from snorkel.labeling import LFAnalysis
from snorkel.labeling.model import MajorityLabelVoter
from snorkel.utils import probs_to_preds as snorkel_probs_to_preds
from statsmodels.stats.proportion import proportion_confint

from wslab.labeling.aggregate import majority_vote, probs_to_preds
from wslab.labeling.label_model import fit_label_model
from wslab.labeling.analysis import lf_summary
from wslab.core.stats.intervals import wilson_interval
from wslab.core.stats.metrics import classification_report


def synthetic_votes(rng, n=2000, K=3, accs=(0.9, 0.8, 0.7, 0.6, 0.55), cover=(0.5, 0.6, 0.4, 0.7, 0.3)):
    y = rng.integers(0, K, n)
    cols = []
    for acc, cov in zip(accs, cover):
        wrong = (y + rng.integers(1, K, n)) % K
        vote = np.where(rng.random(n) < acc, y, wrong)
        cols.append(np.where(rng.random(n) < cov, vote, -1))
    return np.stack(cols, axis=1), y


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(2, 4)),
              elements=st.sampled_from([0.0, 0.25, 0.5, 1.0])))
def test_probs_to_preds_matches_snorkel(probs):
    expected = snorkel_probs_to_preds(probs, tie_break_policy="random")
    np.testing.assert_array_equal(probs_to_preds(probs), expected)
    np.testing.assert_array_equal(probs_to_preds(probs, block=7), expected)  # blocks keep each row's own hash


def test_majority_vote_matches_snorkel_majority_voter():
    """Same winners and ties as Snorkel; our probabilities are vote shares, Snorkel's one-hot."""
    L, _ = synthetic_votes(np.random.default_rng(0))
    ours = majority_vote(L, 3)
    voter = MajorityLabelVoter(cardinality=3)
    covered = (L != -1).any(axis=1)
    theirs = voter.predict_proba(L)
    np.testing.assert_array_equal(ours.probs[covered] == ours.probs[covered].max(axis=1, keepdims=True),
                                  theirs[covered] == theirs[covered].max(axis=1, keepdims=True))
    np.testing.assert_array_equal(ours.labels[covered],
                                  voter.predict(L, tie_break_policy="random")[covered])
    np.testing.assert_array_equal(ours.covered, covered)


def test_snorkel_label_model_beats_majority_vote_with_unequal_lf_accuracies():
    L, y = synthetic_votes(np.random.default_rng(1), accs=(0.95, 0.9, 0.55, 0.5, 0.5), cover=(0.3, 0.3, 0.9, 0.9, 0.9))
    lm = fit_label_model(L, 3, n_epochs=300, seed=0).aggregation()
    mv = majority_vote(L, 3)
    assert np.allclose(lm.probs.sum(axis=1), 1)
    covered = lm.covered
    acc_lm = (lm.labels[covered] == y[covered]).mean()
    acc_mv = (mv.labels[covered] == y[covered]).mean()
    assert acc_lm > acc_mv + 0.02


def test_uncovered_rows_get_the_prior():
    L = np.array([[0, -1, 0], [-1, -1, -1], [1, 1, -1], [0, 0, 1]] * 25)
    prior = np.array([0.3, 0.7])
    for agg in (majority_vote(L, 2, prior=prior), fit_label_model(L, 2, prior=prior, n_epochs=20).aggregation()):
        np.testing.assert_allclose(agg.probs[1], prior)
        assert not agg.covered[1]


def test_lf_summary_matches_snorkel_lf_analysis():
    L, y = synthetic_votes(np.random.default_rng(2))
    ours = lf_summary(L, [f"lf{j}" for j in range(L.shape[1])], ["a", "b", "c"], L_dev=L, y_dev=y)
    ref = LFAnalysis(L).lf_summary(Y=y)
    np.testing.assert_allclose(ours["coverage"].to_numpy(), ref["Coverage"].to_numpy())
    np.testing.assert_allclose(ours["overlaps"].to_numpy(), ref["Overlaps"].to_numpy())
    np.testing.assert_allclose(ours["conflicts"].to_numpy(), ref["Conflicts"].to_numpy())
    np.testing.assert_allclose(ours["dev_accuracy"].to_numpy(), ref["Emp. Acc."].to_numpy())
    np.testing.assert_array_equal(ours["dev_n"].to_numpy(), (ref["Correct"] + ref["Incorrect"]).to_numpy())


def test_lf_flags_zero_coverage_and_below_chance():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    L = np.stack([np.where(rng.random(500) < 0.5, 1 - y, -1), np.full(500, -1), np.where(y == 1, 1, -1)], axis=1)
    s = lf_summary(L, ["inverted", "silent", "perfect"], ["a", "b"], L_dev=L, y_dev=y)
    # "inverted" always votes wrong; where "perfect" votes too (y == 1) the 1-1 tie costs majority vote half an item
    assert s["flags"].to_list() == ["below_chance,costly_conflicts", "zero_coverage,no_dev_votes", ""]
    assert s["conflict_cost"][0] == 0.5 * ((y == 1) & (L[:, 0] != -1)).sum() and s["conflict_gain"][0] == 0


@pytest.mark.parametrize("k,n", [(0, 10), (8, 10), (37, 40), (120, 400)])
def test_wilson_matches_statsmodels(k, n):
    lo, hi = wilson_interval(k, n)
    ref = proportion_confint(k, n, method="wilson")
    assert float(lo) == pytest.approx(ref[0], abs=1e-12)
    assert float(hi) == pytest.approx(ref[1], abs=1e-12)


def test_classification_report_matches_sklearn_and_ci_is_sane():
    rng = np.random.default_rng(4)
    y = rng.choice(3, 800, p=[0.6, 0.3, 0.1])
    pred = np.where(rng.random(800) < 0.75, y, rng.integers(0, 3, 800))
    r = classification_report(y, pred, ["a", "b", "c"], n_boot=400, rng=np.random.default_rng(0))
    assert r["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert r["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert r["weighted_f1"] == pytest.approx(f1_score(y, pred, average="weighted"))
    p, rec, f, sup = precision_recall_fscore_support(y, pred, zero_division=0)
    for k, lab in enumerate("abc"):
        assert r["per_class"][lab]["precision"] == pytest.approx(p[k])
        assert r["per_class"][lab]["recall"] == pytest.approx(rec[k])
        assert r["per_class"][lab]["f1"] == pytest.approx(f[k])
        assert r["per_class"][lab]["support"] == sup[k]
    for key in ("accuracy", "macro_f1", "weighted_f1"):
        lo, hi = r["ci"][key]
        assert lo < r[key] < hi and hi - lo < 0.15
    # the bootstrap standard error of accuracy is close to the binomial one
    width = r["ci"]["accuracy"][1] - r["ci"]["accuracy"][0]
    binomial = 2 * 1.96 * np.sqrt(r["accuracy"] * (1 - r["accuracy"]) / 800)
    assert width == pytest.approx(binomial, rel=0.2)
    again = classification_report(y, pred, ["a", "b", "c"], n_boot=400, rng=np.random.default_rng(0))
    assert again["ci"] == r["ci"]
