"""One tie rule wherever votes become hard labels (issues 20 and 23.2): the label models, the
default pipeline's labels.parquet, the end models' training targets inside selection, the
quality stage's given labels and the annotators' majority vote all give a tied row the same
class (Snorkel's ``tie_break_policy="random"``, seeded by the row's corpus position)."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wslab.app.pipeline import labels_frame
from wslab.core.stats.ties import probs_to_preds
from wslab.labeling.aggregate import fit_label_models, majority_vote
from wslab.labeling.candidates import weak_targets
from wslab.quality.label_issues import majority_vote as annotator_majority


@st.composite
def label_matrices(draw):
    k = draw(st.integers(2, 4))
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 40))
    votes = draw(st.lists(st.lists(st.integers(-1, k - 1), min_size=m, max_size=m), min_size=n, max_size=n))
    sample = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    return np.array(votes, dtype=np.int64), k, np.sort(np.array(sample, dtype=np.int64))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label_matrices())
def test_every_path_from_votes_to_labels_agrees_on_tied_rows(case):
    L, k, sample = case
    names = [f"c{j}" for j in range(k)]
    mv = majority_vote(L, k)
    want = mv.predict(fill_uncovered=True)  # the label model's labels, the prior's class where no LF voted
    np.testing.assert_array_equal(mv.labels, np.where(mv.covered, want, -1))  # .labels abstains there
    # the label-model stage (majority vote on the vote patterns, joined back to rows)
    stage = fit_label_models(L, k, n_epochs=2, restarts=1)
    np.testing.assert_array_equal(stage.majority_vote.predict(fill_uncovered=True), want)
    # labels.parquet of the default pipeline (and what the quality stage reviews)
    frame = labels_frame(pl.Series("id", [str(i) for i in range(len(L))]), mv.probs,
                         np.full(len(L), "majority_vote", dtype=object), names)
    np.testing.assert_array_equal(frame["label"].to_numpy(), np.asarray(names)[want])
    # the end models' training labels on a sample of rows (selection's end_model_on)
    y, w = weak_targets(mv.probs[sample], sample)
    np.testing.assert_array_equal(y, want[sample])
    np.testing.assert_allclose(w, mv.probs[sample].max(axis=1))
    # the annotators' majority vote (the same votes as a table of ratings, NaN = not rated)
    rated = np.flatnonzero((L != -1).any(axis=1))
    if len(rated):
        ratings = np.where(L[rated] == -1, np.nan, L[rated]).astype(float)
        np.testing.assert_array_equal(annotator_majority(ratings, rows=rated), want[rated])


def test_ties_are_broken_by_corpus_position_not_by_order_within_a_subset():
    probs = np.full((6, 2), 0.5)
    whole = probs_to_preds(probs)
    assert len(set(whole.tolist())) == 2  # ties do go both ways
    rows = np.array([5, 1, 3])
    np.testing.assert_array_equal(probs_to_preds(probs[rows], rows=rows), whole[rows])
    y, _ = weak_targets(probs[rows], rows)
    np.testing.assert_array_equal(y, whole[rows])
