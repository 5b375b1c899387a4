import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from wslab.core.errors import InputError
from wslab.core.stats.features import build_features, make_text_featurizer
from wslab.quality.label_issues import (check_class_counts, default_cv_classifier, find_label_issues,
                                        majority_vote, multiannotator_consensus, out_of_sample_pred_probs)


def test_pred_probs_match_sklearn_cross_val_predict(corpus):
    df, _ = corpus
    X = build_features(df, text_col="text")
    y = (df["label"] == "spam").cast(pl.Int64).to_numpy()
    model = LogisticRegression(C=1.0, max_iter=500)
    ours = out_of_sample_pred_probs(X, y, n_classes=2, model=model, folds=3, seed=11)
    ref = cross_val_predict(model, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=11), method="predict_proba")
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0)


def test_default_cv_model_reaches_the_lbfgs_optimum(corpus):
    """liblinear's dual solver fits the same C=4 logistic regression as lbfgs (up to its small
    penalty on the intercept), so the out-of-sample probabilities agree closely."""
    df, _ = corpus
    X = build_features(df, text_col="text")
    y = (df["label"] == "spam").cast(pl.Int64).to_numpy()
    ours = out_of_sample_pred_probs(X, y, n_classes=2, folds=3, seed=4)
    ref = cross_val_predict(LogisticRegression(C=4.0, max_iter=1000), X, y,
                            cv=StratifiedKFold(3, shuffle=True, random_state=4), method="predict_proba")
    assert np.abs(ours - ref).max() < 0.05
    assert (ours.argmax(axis=1) == ref.argmax(axis=1)).mean() > 0.99
    assert default_cv_classifier(2).solver == "liblinear"
    assert default_cv_classifier(3).solver == "lbfgs"  # liblinear is binary only


@pytest.mark.parametrize("n_classes", [2, 3])  # liblinear (a global C random state) and lbfgs (threaded sums)
def test_parallel_folds_give_the_sequential_result_bit_for_bit(corpus, n_classes):
    df, _ = corpus
    X = build_features(df, text_col="text")
    y = np.arange(df.height) % n_classes if n_classes > 2 else (df["label"] == "spam").cast(pl.Int64).to_numpy()
    advanced = []

    class Recorder:
        import contextlib

        @contextlib.contextmanager
        def task(self, description, total=None):
            advanced.append(total)
            yield lambda n=1, **_: advanced.append(n)

    one = out_of_sample_pred_probs(X, y, n_classes=n_classes, folds=4, seed=3, n_jobs=1)
    two = out_of_sample_pred_probs(X, y, n_classes=n_classes, folds=4, seed=3, n_jobs=2, reporter=Recorder())
    assert np.array_equal(one, two) and np.allclose(two.sum(axis=1), 1.0)
    assert advanced == [4, 1, 1, 1, 1]  # one step per fold, as each finishes


def test_importing_wslab_quality_does_not_load_sklearn():
    import subprocess
    import sys

    code = ("import sys, wslab.quality as q; assert callable(q.cohen_kappa); "
            "print('sklearn' in sys.modules, 'cleanlab' in sys.modules); "
            "q.find_label_issues; print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "True"]


def test_cleanlab_finds_flipped_labels(corpus):
    df, flipped = corpus
    X = build_features(df, text_col="text")
    y = (df["label"] == "spam").cast(pl.Int64).to_numpy()
    pp = out_of_sample_pred_probs(X, y, n_classes=2, folds=3, seed=0)
    out = find_label_issues(y, pp)
    assert out.height == len(y)
    found = out["is_label_issue"].to_numpy()
    assert flipped[found].mean() > 0.8  # precision
    assert found[flipped].mean() > 0.8  # recall
    # self-confidence score is p(given label)
    np.testing.assert_allclose(out["label_quality"].to_numpy(), pp[np.arange(len(y)), y])


@pytest.mark.parametrize("labels, folds, expected", [
    (np.array([0] * 10 + [1] * 10), 5, 5),
    (np.array([0] * 10 + [1] * 3), 5, 3),  # documented fallback: fewer folds
])
def test_fold_fallback(labels, folds, expected):
    assert check_class_counts(labels, ["a", "b"], folds=folds) == expected


@pytest.mark.parametrize("labels, message", [
    (np.array([0] * 10), "expected at least two classes"),
    (np.array([0] * 10 + [1]), "class 'b' has 1 example"),
])
def test_class_count_errors(labels, message):
    with pytest.raises(InputError, match=message):
        check_class_counts(labels, ["a", "b"], folds=5, source="gold.csv")


def test_majority_vote_breaks_ties_by_the_one_tie_rule():
    from wslab.core.stats.ties import probs_to_preds

    L = np.array([[0, 1, np.nan], [1, 1, 0], [np.nan, 2, np.nan], [1, 0, np.nan]])
    tied = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    assert majority_vote(L).tolist() == probs_to_preds(tied).tolist()
    assert majority_vote(L, rows=np.array([7, 8, 9, 10]))[[0, 3]].tolist() == \
        probs_to_preds(tied[[0, 3]], rows=np.array([7, 10])).tolist()


def test_crowdlab_ranks_the_noisy_annotator_last():
    rng = np.random.default_rng(3)
    n = 200
    truth = rng.integers(0, 2, n)
    good = [np.where(rng.random(n) < 0.05, 1 - truth, truth) for _ in range(2)]
    bad = np.where(rng.random(n) < 0.4, 1 - truth, truth)
    L = np.stack([*good, bad], axis=1).astype(float)
    L[rng.random((n, 3)) < 0.2] = np.nan
    L[np.isnan(L).all(axis=1), 0] = truth[np.isnan(L).all(axis=1)]
    pp = np.clip(np.eye(2)[truth] * 0.8 + 0.1, 0, 1)
    res = multiannotator_consensus(L, pp, annotator_names=["ann1", "ann2", "noisy"])
    q = dict(zip(res.annotators["annotator"], res.annotators["annotator_quality"]))
    assert min(q, key=q.get) == "noisy"
    assert (res.items["consensus"].to_numpy() == truth).mean() > 0.95


def test_features_from_embedding_column():
    df = pl.DataFrame({"emb": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "x": [1, 2, 3]})
    X = build_features(df, feature_cols=["emb", "x"])
    assert X.shape == (3, 3)
    np.testing.assert_allclose(X[1], [0.3, 0.4, 2.0], rtol=1e-6)


def test_features_all_empty_text_is_an_error():
    df = pl.DataFrame({"text": ["", "  ", None]})
    with pytest.raises(InputError, match="empty in every row"):
        build_features(df, text_col="text", source="t.csv")


def test_featurizer_is_word_plus_char():
    X = make_text_featurizer(max_features=None).fit_transform(["abc def", "abc"])
    names = make_text_featurizer().fit(["abc def", "abc"]).get_feature_names_out()
    assert any(n.startswith("word__") for n in names) and any(n.startswith("char__") for n in names)
    assert X.shape[0] == 2
