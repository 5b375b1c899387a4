"""Where selection's end models with gold start their solver (candidates.end_model_on): between the
dev-free fit and the gold-only fit on the same training items, never from a fit that saw a
held-out label."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from wslab.labeling.candidates import (Inputs, TextFeatures, blended_start, end_model_on, gold_model,
                                       vote_candidates)
from wslab.labeling.selection import dev_folds

WORDS = {0: ["refund", "late", "broken", "angry", "never"], 1: ["thanks", "great", "love", "fast", "happy"]}


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(0)
    n = 360
    y = rng.integers(0, 2, n)
    texts = [" ".join(rng.choice(WORDS[c] if rng.random() < 0.8 else WORDS[1 - c], 6)) + f" item{i % 40}"
             for i, c in enumerate(y)]
    L = np.stack([np.where([w in t for t in texts], k, -1) for k, w in [(0, "refund"), (0, "broken"),
                                                                         (1, "thanks"), (1, "love")]], axis=1)
    features = TextFeatures(lambda pos: [texts[i] for i in pos], np.arange(n), max_features=2 ** 12, n_jobs=1)
    return L, y, features


def _fold_prediction(corpus, y_dev_edit=None):
    """The held-out predictions of the first fold's end_model(majority_vote)+gold@0.5 fit."""
    L, y, features = corpus
    dev_pos = np.arange(240, 360)
    y_dev = y[dev_pos].copy()
    folds = dev_folds(y_dev, 5, 0)  # fixed before the edit, as selection's folds are
    tr, ho = folds[0]
    if y_dev_edit is not None:
        y_dev[ho] = y_dev_edit(y_dev[ho])
    inp = Inputs(L=L, n_classes=2, dev_pos=dev_pos, y_dev=y_dev, sample=np.arange(240), features=features)
    mv = vote_candidates(inp, label_model_grid=())[0].fit
    end_model_on(inp, mv, gold_share=None, dev_free=True)(np.arange(len(y_dev)))  # the dev-free "init"
    for train in [np.arange(len(y_dev))] + [t for t, _ in folds]:
        gold_model(inp, votes=False)(train)  # every gold-only fit, as selection makes them
    assert ("gold", np.sort(tr).tobytes()) in inp.warm
    return end_model_on(inp, mv, gold_share=0.5)(tr)(dev_pos[ho])


def test_held_out_labels_do_not_reach_the_fold_fit(corpus):
    base = _fold_prediction(corpus)
    flipped = _fold_prediction(corpus, lambda y: 1 - y)
    np.testing.assert_array_equal(base, flipped)


def test_blended_start_mixes_coefficients_and_falls_back_to_init():
    X = np.random.default_rng(1).normal(size=(60, 4))
    a = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    b = LogisticRegression().fit(X, (X[:, 1] > 0).astype(int))
    start = blended_start(a, b, 0.25)
    np.testing.assert_allclose(start.coef_, 0.75 * a.coef_ + 0.25 * b.coef_)
    np.testing.assert_allclose(start.intercept_, 0.75 * a.intercept_ + 0.25 * b.intercept_)
    assert start is not a and np.array_equal(a.coef_, LogisticRegression().fit(X, (X[:, 0] > 0).astype(int)).coef_)
    three = LogisticRegression().fit(X, np.digitize(X[:, 0], [-0.5, 0.5]))
    assert blended_start(a, None, 0.5) is a and blended_start(a, three, 0.5) is a
