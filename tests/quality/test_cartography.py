import numpy as np
import polars as pl
import pytest

from wslab.cartography.dynamics import TrainingDynamics, data_map_metrics, record_training_dynamics
from wslab.cartography.plots import data_map_html, data_map_png
from wslab.cartography.regions import assign_regions
from wslab.core.stats.features import build_features


def test_metrics_by_hand():
    # 3 epochs, 2 examples with given labels 0 and 1.
    gold = np.array([[0.9, 0.2], [0.7, 0.4], [0.8, 0.0]])
    preds = np.array([[0, 0], [0, 1], [1, 0]])
    m = data_map_metrics(TrainingDynamics(gold, preds, np.array([0, 1])))
    np.testing.assert_allclose(m["confidence"], [0.8, 0.2])
    np.testing.assert_allclose(m["variability"], [np.sqrt(0.02 / 3), np.sqrt(0.08 / 3)])
    np.testing.assert_allclose(m["correctness"], [2 / 3, 1 / 3])


def test_dynamics_are_deterministic_and_flag_flips(corpus):
    df, flipped = corpus
    X = build_features(df, text_col="text")
    y = (df["label"] == "spam").cast(pl.Int64).to_numpy()
    a = record_training_dynamics(X, y, n_classes=2, epochs=4, seed=5)
    b = record_training_dynamics(X, y, n_classes=2, epochs=4, seed=5)
    assert a.gold_probs.shape == (4, len(y))
    np.testing.assert_array_equal(a.gold_probs, b.gold_probs)
    m = data_map_metrics(a)
    conf = m["confidence"].to_numpy()
    assert conf[flipped].mean() < 0.5 < conf[~flipped].mean()
    regions = assign_regions(m).to_numpy()
    hard = regions == "hard-to-learn"
    assert flipped[hard].mean() > 0.8 and hard[flipped].mean() > 0.6


def test_one_epoch_is_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        record_training_dynamics(np.zeros((4, 2)), np.array([0, 1, 0, 1]), n_classes=2, epochs=1)


@pytest.mark.parametrize("conf, var, corr, region", [
    (0.95, 0.01, 1.0, "easy-to-learn"),
    (0.55, 0.25, 0.6, "ambiguous"),
    (0.30, 0.25, 0.2, "ambiguous"),  # low confidence but the model keeps changing its mind
    (0.10, 0.05, 0.0, "hard-to-learn"),
    (0.45, 0.05, 0.6, "easy-to-learn"),  # predicted correctly in most epochs
])
def test_region_rule(conf, var, corr, region):
    m = pl.DataFrame({"confidence": [conf], "variability": [var], "correctness": [corr]})
    assert assign_regions(m).to_list() == [region]


def _frame():
    return pl.DataFrame({"id": ["a", "b"], "text": ["hello </script><script>alert(1)</script>", "x & y"],
                         "given_label": ["ham", "spam"], "confidence": [0.9, 0.1],
                         "variability": [0.05, 0.02], "correctness": [1.0, 0.0],
                         "region": ["easy-to-learn", "hard-to-learn"]})


def test_png_is_a_png():
    png = data_map_png(_frame())
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def _page_data(page: str) -> dict:
    import json
    import re

    blob = re.search(r'<script type="application/json" id="points">(.*?)</script>', page, flags=re.DOTALL).group(1)
    return json.loads(blob)


def test_html_is_self_contained_and_escapes_text():
    page = data_map_html(_frame())
    assert "src=" not in page and "<link" not in page
    assert "://" not in page  # nothing fetched from the network
    assert page.count("</script>") == 2  # only our own two script blocks close
    assert "\\u003c/script\\u003e" in page
    data = _page_data(page)
    assert data["points"]["id"] == ["a", "b"] and data["points"]["t"][0].startswith("hello </script>")
    assert "All 2 points are drawn." in page


def test_html_past_max_points_draws_non_easy_points_and_a_density_of_the_rest():
    n = 50
    f = pl.DataFrame({"id": [str(i) for i in range(n)], "text": ["t"] * n, "given_label": ["a"] * n,
                      "confidence": np.linspace(0, 1, n), "variability": [0.01] * n, "correctness": [1.0] * n,
                      "region": ["hard-to-learn"] * 5 + ["easy-to-learn"] * (n - 5)})
    page = data_map_html(f, max_points=10)
    data = _page_data(page)
    assert data["points"]["id"] == ["0", "1", "2", "3", "4"]
    assert data["n_density"] == 45 and sum(c[1] for c in data["density"]["cells"]) == 45
    assert "the 5 outside the easy-to-learn region are drawn one by one" in page
    assert sum(data["hist"]["confidence"]["counts"][0]) == 50  # the histograms count every point


def test_cross_fitted_dynamics_slots_and_held_out_predictions():
    """Each row's data-map entries come from the folds that trained on it (in fold order), its
    pred_probs from the one fold that held it out; checked against the fits redone by hand."""
    from sklearn.model_selection import StratifiedKFold

    from wslab.cartography.dynamics import cross_fitted_dynamics, default_dynamics_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    dyn, probs = cross_fitted_dynamics(X, y, n_classes=2, folds=3, epochs=2, seed=4)
    assert dyn.gold_probs.shape == (4, 60) and probs.shape == (60, 2)
    np.testing.assert_allclose(probs.sum(1), 1.0)
    seen = np.zeros(60, dtype=int)
    for f, (train, test) in enumerate(StratifiedKFold(3, shuffle=True, random_state=4).split(X, y)):
        m = default_dynamics_model(seed=4).set_params(
            random_state=np.random.RandomState(np.random.SeedSequence([4, f]).generate_state(1)[0]))
        for e in range(2):
            m.partial_fit(X[train], y[train], classes=[0, 1])
            p = m.predict_proba(X[train])[np.arange(len(train)), y[train]]
            np.testing.assert_allclose(dyn.gold_probs[seen[train] * 2 + e, train], p, rtol=1e-6)
        seen[train] += 1
        np.testing.assert_allclose(probs[test], m.predict_proba(X[test]))
    assert (seen == 2).all()
    again, probs2 = cross_fitted_dynamics(X, y, n_classes=2, folds=3, epochs=2, seed=4)
    assert np.array_equal(again.gold_probs, dyn.gold_probs) and np.array_equal(probs, probs2)
    with pytest.raises(ValueError, match="at least 2"):
        cross_fitted_dynamics(X, y, n_classes=2, folds=2, epochs=1)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_probas_equal_sgd_predict_proba(n_classes):
    """The one-product scoring of every epoch's weights gives what each epoch's model's own
    predict_proba gives, to the bit on sparse float32 features (the same sums)."""
    import scipy.sparse as sp

    from wslab.cartography.dynamics import default_dynamics_model, logistic_probas

    rng = np.random.default_rng(3)
    X = sp.random(80, 40, density=0.2, format="csr", dtype=np.float32, random_state=3)
    y = rng.integers(0, n_classes, 80)
    m = default_dynamics_model(seed=1)
    weights, theirs = [], []
    for _ in range(3):
        m.partial_fit(X, y, classes=np.arange(n_classes))
        weights.append((m.coef_.copy(), m.intercept_.copy(), m.classes_))
        theirs.append(m.predict_proba(X))
    ours = logistic_probas(X, weights, n_classes)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ours[0], ours[-1])  # the epochs differ


def test_row_gather_is_row_indexing():
    """Each fold's training rows, written into the reused buffers, are X[rows] (runs of any length,
    first and last rows in or out); a dense X is indexed as usual."""
    import scipy.sparse as sp

    from wslab.cartography.dynamics import _RowGather

    X = sp.random(50, 30, density=0.3, format="csr", dtype=np.float32, random_state=2)
    sets = [np.flatnonzero(np.random.default_rng(s).random(50) < 0.7) for s in range(4)] + [np.arange(1, 49)]
    gather = _RowGather(X, sets)
    for rows in sets:
        got = gather(rows)
        ref = X[rows]
        assert got.shape == ref.shape and np.array_equal(got.indptr, ref.indptr)
        assert np.array_equal(got.indices, ref.indices) and np.array_equal(got.data, ref.data)
        assert got.dtype == np.float64  # scikit-learn's SGD is faster on float64 than on float32
    dense = X.toarray()
    assert np.array_equal(_RowGather(dense, sets)(sets[0]), dense[sets[0]])


def test_cross_fitted_dynamics_on_the_used_columns_equal_the_full_width():
    """A wide hashed CSR matrix is fitted on its used columns only; the data map and the held-out
    probabilities are those of the same fits on the full width (a CSC copy takes the full-width path)."""
    import scipy.sparse as sp

    from wslab.cartography.dynamics import cross_fitted_dynamics

    rng = np.random.default_rng(5)
    X = sp.random(90, 5000, density=0.004, format="csr", dtype=np.float32, random_state=5)
    y = rng.integers(0, 3, 90)
    narrow, p_narrow = cross_fitted_dynamics(X, y, n_classes=3, folds=3, epochs=2, seed=1)
    wide, p_wide = cross_fitted_dynamics(X.tocsc(), y, n_classes=3, folds=3, epochs=2, seed=1)
    np.testing.assert_allclose(narrow.gold_probs, wide.gold_probs, rtol=1e-6)
    np.testing.assert_allclose(p_narrow, p_wide, rtol=1e-6)
    assert np.array_equal(narrow.predictions, wide.predictions)
