"""The fast prediction path (HashedLinear, worker processes) gives the reference path's
probabilities: HashedTfidf.transform -> select_columns -> LogisticRegression.predict_proba."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from wslab.core.stats import predict_pool
from wslab.core.stats.features import text_classifier
from wslab.core.stats.hashed_linear import HashedLinear
from wslab.core.stats.hashing import HashedTfidf, select_columns, used_columns

WORDS = "card blocked pin transfer iban sent fraud stolen rate office карта перевод мошенники ставка the a".split()


def _corpus(n, seed):
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, rng.integers(0, 12))) + ("  PIN!" if i % 7 == 0 else "") for i in range(n)]
    texts[3] = None
    texts[5] = ""
    return texts, rng.integers(0, 4, n)


@pytest.mark.parametrize("n_features,n_classes", [(4096, 4), (1000, 2)])
def test_fast_path_equals_reference(n_features, n_classes):
    texts, y = _corpus(3000, 0)
    f = HashedTfidf(n_features=n_features, n_jobs=1)
    X = f.fit_transform(texts[:800])
    cols = used_columns(X)
    clf = text_classifier(C=4.0).fit(select_columns(X, cols), y[:800] % n_classes)
    ref = clf.predict_proba(select_columns(f.transform(texts), cols))
    fast = HashedLinear.from_classifier(f, clf, cols)
    got = fast.predict_proba(texts)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
    # pickled (as sent to a worker process), and with features appended after the text columns
    extra = sp.random(3000, 6, density=0.3, format="csr", dtype=np.float32, random_state=1)
    clf2 = text_classifier(C=4.0).fit(sp.hstack([select_columns(X, cols), extra[:800]]).tocsr(), y[:800] % n_classes)
    ref2 = clf2.predict_proba(sp.hstack([select_columns(f.transform(texts), cols), extra]).tocsr())
    fast2 = pickle.loads(pickle.dumps(HashedLinear.from_classifier(f, clf2, cols)))
    np.testing.assert_allclose(fast2.predict_proba(texts, extra), ref2, rtol=0, atol=1e-9)


def test_worker_processes_equal_in_process(monkeypatch):
    texts, y = _corpus(1200, 1)
    f = HashedTfidf(n_features=2048, n_jobs=1)
    X = f.fit_transform(texts)
    clf = text_classifier(C=4.0).fit(X, y)
    fast = HashedLinear.from_classifier(f, clf)
    monkeypatch.setattr(predict_pool, "MIN_PARALLEL", 100)
    got = predict_pool.parallel_proba(fast, texts, n_jobs=2)
    np.testing.assert_allclose(got, clf.predict_proba(f.transform(texts)), rtol=0, atol=1e-9)


def test_fast_path_is_bit_equal_on_any_characters_and_chunking(monkeypatch):
    """Random texts over several scripts, whitespace kinds, astral characters and a text that needs
    Polars' own lowercasing, scored in chunks of a few texts (CHUNK_CHARS small): the same float
    values as the reference path, to the bit."""
    from wslab.core.stats import hashing

    rng = np.random.default_rng(11)
    pool = list("abcXYZ  \t\n\u00a0_-.,!?19") + list("ПриветМИРё") + list("ΟΔΟΣσς") + ["\U00010400", "😀", "İ", "日本"]
    texts = ["".join(rng.choice(pool, rng.integers(0, 60))) for _ in range(700)] + [None, ""]
    y = rng.integers(0, 3, len(texts))
    f = HashedTfidf(n_features=2 ** 12, n_jobs=1)
    X = f.fit_transform(texts[:400])
    cols = used_columns(X)
    clf = text_classifier(C=4.0).fit(select_columns(X, cols), y[:400])
    ref = clf.predict_proba(select_columns(f.transform(texts), cols))
    monkeypatch.setattr(hashing, "CHUNK_CHARS", 500)
    fast = HashedLinear.from_classifier(f, clf, cols)
    assert np.array_equal(fast.predict_proba(texts), ref)
    assert (fast.features(texts) != f.transform(texts)).nnz == 0
