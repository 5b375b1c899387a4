"""Hashed TF-IDF (wslab.core.stats.hashing): the n-grams are scikit-learn's, featurizing is stateless
(any batch, any thread count, the same rows), and fitting on the used columns alone is exact."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from wslab.core.config import SelectionConfig
from wslab.core.stats.features import text_classifier
from wslab.core.stats.hashing import HashedTfidf, select_columns, used_columns

TEXTS = ["Free PRIZE now!!  call 555", "see you at lunch", "", None, "Привет, как дела? 😀 ok", "a b c",
         "aaaa aaaa aaaa", "win\ta\nfree   prize"]


def test_counts_are_scikit_learns_word_and_char_wb_ngrams():
    """Per document, the number of distinct n-grams and of n-gram occurrences equal scikit-learn's
    CountVectorizer (word 1-2 with ``\\w+`` tokens; char_wb 2-5); 2^20 buckets make a collision
    in these few texts unlikely, and none happens."""
    word, char = HashedTfidf(n_features=2 ** 20).counts(TEXTS)
    texts = [t or "" for t in TEXTS]
    ref_char = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit_transform(texts)
    ref_word = CountVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b").fit_transform(texts)
    for ours, ref in ((word, ref_word), (char, ref_char)):
        assert np.diff(ours.indptr).tolist() == np.diff(ref.indptr).tolist()
        assert ours.sum(axis=1).A1.tolist() == ref.sum(axis=1).A1.tolist()
        for i in range(len(texts)):
            assert sorted(ours[i].data.tolist()) == sorted(ref[i].data.astype(float).tolist())


def test_each_family_is_unit_length_and_empty_rows_stay_empty():
    f = HashedTfidf(n_features=4096)
    X = f.fit_transform(TEXTS)
    d = f.n_features
    word_sq = X[:, :d].multiply(X[:, :d]).sum(axis=1).A1
    char_sq = X[:, d:].multiply(X[:, d:]).sum(axis=1).A1
    assert np.allclose(char_sq[[0, 1, 4, 5, 6, 7]], 1.0, atol=1e-5) and char_sq[2] == char_sq[3] == 0
    assert np.allclose(word_sq[[0, 1, 4, 5, 6, 7]], 1.0, atol=1e-5)


def test_transform_is_the_same_whatever_the_batch_and_the_threads(make_review_corpus):
    df, _ = make_review_corpus(300, np.random.default_rng(1))
    texts = df["text"].to_list()
    one = HashedTfidf(n_features=2 ** 12, n_jobs=1).fit(texts[:100])
    many = HashedTfidf(n_features=2 ** 12, n_jobs=2, batch_size=37)
    many.idf_ = one.idf_
    A, B = one.transform(texts), many.transform(texts)
    alone = [one.transform([t]) for t in texts[:20]]
    assert (A != B).nnz == 0
    assert all((A[i] != alone[i]).nnz == 0 for i in range(20))


def test_no_text_and_empty_texts():
    f = HashedTfidf(n_features=64).fit(["a b", "c"])
    assert f.transform([]).shape == (0, 128)
    assert f.transform(["", None]).nnz == 0 and f.transform(["", None]).shape == (2, 128)


def test_transform_before_fit_is_an_error():
    with pytest.raises(ValueError, match="fit"):
        HashedTfidf().transform(["x"])


def test_select_columns_is_column_indexing():
    rng = np.random.default_rng(0)
    X = HashedTfidf(n_features=64).fit_transform(TEXTS)
    for _ in range(10):
        cols = np.sort(rng.choice(X.shape[1], int(rng.integers(1, X.shape[1])), replace=False))
        assert np.array_equal(select_columns(X, cols).toarray(), X[:, cols].toarray())


def test_a_model_fitted_on_the_used_columns_predicts_as_one_fitted_on_all(make_review_corpus):
    df, y = make_review_corpus(200, np.random.default_rng(2))
    f = HashedTfidf(n_features=2 ** 14)
    X = f.fit_transform(df["text"].to_list()[:120])
    cols = used_columns(X)
    full = text_classifier(C=4.0).fit(X, y[:120])
    small = text_classifier(C=4.0).fit(select_columns(X, cols), y[:120])
    new = f.transform(df["text"].to_list()[120:])
    assert np.abs(full.coef_[:, np.setdiff1d(np.arange(X.shape[1]), cols)]).max() == 0.0
    assert np.allclose(full.predict_proba(new), small.predict_proba(select_columns(new, cols)), atol=1e-4)


def test_corpus_size_never_limits_the_candidates_by_default():
    """Issue 18: ``selection.max_text_rows`` is an explicit budget only; off unless set."""
    assert SelectionConfig().max_text_rows is None


def test_lowercasing_and_tokens_are_polars_own_whatever_the_characters():
    """Lowercasing by table equals Polars' to_lowercase, also where a text needs Polars itself (a
    final sigma, a dotted capital I that lowercases to two code points) and for characters above
    the Basic Multilingual Plane (Deseret capitals have lowercase forms; emoji none)."""
    rng = np.random.default_rng(5)
    pool = list("abcXYZ  \t\n\u00a0\u2003_-.,!?1234567890") + list("ПриветМИРёЁ") + list("ΟΔΟΣσςΑΒ") + \
        ["\U00010400", "\U00010428", "😀", "👍🏽", "ß", "ẞ", "Ⅻ", "ǅ", "\u0301", "日本"]
    texts = ["".join(rng.choice(pool, rng.integers(0, 40))) for _ in range(300)]
    plain = [t for t in texts if "Σ" not in t and "İ" not in t]
    f = HashedTfidf(n_features=2 ** 16)
    for batch in (texts + ["İstanbul ΟΔΟΣ"], plain):  # the first needs Polars' lowercasing, the second not
        lowered = pl.Series(batch).str.to_lowercase().to_list()
        for ours, ref in zip(f.counts(batch), f.counts(lowered)):
            assert (ours != ref).nnz == 0


@pytest.mark.parametrize("n_jobs, batch_size, chunk_chars", [(1, 5_000, 64_000), (2, 37, 300)])
def test_fit_transform_is_the_count_matrices_path(monkeypatch, n_jobs, batch_size, chunk_chars):
    """fit_transform (n-gram keys per chunk, idf applied once all are counted) gives the idf of the
    per-family count matrices (``counts``: scikit-learn's smoothed idf) and the matrix ``transform``
    builds from them, to the bit, whatever the characters, chunks, batches and threads."""
    from wslab.core.stats import hashing

    rng = np.random.default_rng(5)
    pool = list("abcXYZ  \t\n\u00a0_-.,!?19") + list("ПриветМИРё") + list("ΟΔΟΣσς") + ["\U00010400", "😀", "İ", "日本"]
    texts = ["".join(rng.choice(pool, rng.integers(0, 60))) for _ in range(300)] + [None, ""] + TEXTS
    monkeypatch.setattr(hashing, "CHUNK_CHARS", chunk_chars)
    f = HashedTfidf(n_features=2 ** 10, char_ngrams=(3, 5), n_jobs=n_jobs, batch_size=batch_size)
    X = f.fit_transform(texts)
    word, char = f.counts(texts)
    for idf, C in zip(f.idf_, (word, char)):
        ref = np.log((1 + len(texts)) / (1 + np.bincount(C.indices, minlength=2 ** 10))) + 1
        assert np.array_equal(idf, ref.astype(np.float32))
    assert X.dtype == np.float32 and (X != f.transform(texts)).nnz == 0
    assert np.array_equal(X.indptr, f.transform(texts).indptr)
    empty = HashedTfidf(n_features=64)
    assert empty.fit_transform(["", None]).shape == (2, 128) and np.allclose(empty.idf_[0], np.log(3) + 1)
