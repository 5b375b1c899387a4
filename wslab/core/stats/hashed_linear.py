"""Prediction of a linear model on hashed TF-IDF features, straight from the texts.

A logistic regression fitted on :class:`~wslab.core.stats.hashing.HashedTfidf` features scores a
document as ``intercept + sum over its n-gram columns of tfidf(column) x coef(column)``. This
module builds the feature matrix of ~:data:`~wslab.core.stats.hashing.CHUNK_CHARS` characters at a time straight from the
hashed n-gram occurrences of both families (:func:`~wslab.core.stats.hashing.gram_keys`: one
int32 key ``row * 2 n_features + column`` per occurrence, all in one array): one sort gives the
counts, then sublinear tf (a lookup table) x idf, scikit-learn's own L2 kernel on a view where
each (row, family) is a row, and one sparse product scores it. No per-family count matrices,
stacking or column selection (columns the model never saw simply weigh 0). The arithmetic is the
reference path's (``transform`` -> ``select_columns`` -> ``predict_proba``): the same float32
values, the same normalisation code, the same product and scikit-learn's own softmax, so the
probabilities are equal to the bit (tests).

Where the time went and what changed (issue 18; 100,000 short texts, one core): Polars' regex
tokenizer and whitespace clean-up (now a table lookup per code point), per-family arrays that were
compacted and concatenated (now keys written in place, invalid ones marked), weighted ``bincount``
norms and a float64 division (now scikit-learn's Cython kernel), and page faults of arrays of a
few MB per batch (now chunks whose arrays stay in cache): 6.6x -> ~10-12x the documents per CPU
second of the fitted-vocabulary ``TfidfVectorizer`` path (benchmarks/bench_text_predict.py).

:class:`HashedLinear` holds what prediction needs (idf, the classifier's weights spread over the
hashed columns, intercept): a few MB that pickle, so large inputs are split over worker processes
(:mod:`wslab.core.stats.predict_pool`), or broadcast to Spark executors
(:mod:`wslab.labeling.spark_predict`), that each score their slice and return only probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp

from wslab.core.stats.hashing import HashedTfidf, _code_points, _tfidf_csr, chunked_keys, gram_keys


class HashedLinear:
    """A fitted linear classifier on ``featurizer``'s columns ``columns`` (None: all), scored
    from texts directly (module doc). ``coef`` (K', len(columns)), ``intercept`` (K',), ``classes``
    the classifier's classes; ``binary`` (K' = 1): probabilities are ``[1 - p, p]`` with ``p``
    the logistic of the score, else the softmax of the K' scores (scikit-learn's LogisticRegression)."""

    def __init__(self, featurizer: HashedTfidf, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray,
                 columns: np.ndarray | None = None):
        d = featurizer.n_features
        self.n_features, self.word_ngrams, self.char_ngrams = d, featurizer.word_ngrams, featurizer.char_ngrams
        self.max_chars, self.idf = featurizer.max_chars, np.concatenate(featurizer.idf_)
        coef = np.asarray(coef)
        n_text = 2 * d if columns is None else len(columns)
        W = np.zeros((2 * d, coef.shape[0]), dtype=coef.dtype)
        W[np.arange(2 * d) if columns is None else columns] = coef[:, :n_text].T
        self.extra_coef = coef[:, n_text:]  # weights of features appended after the text columns
        self.W, self.intercept = W, np.asarray(intercept)
        self.classes = np.asarray(classes)

    @classmethod
    def from_classifier(cls, featurizer: HashedTfidf, clf, columns: np.ndarray | None = None) -> HashedLinear | None:
        """From a fitted scikit-learn ``LogisticRegression`` (multinomial or binary); None for
        anything else (the caller keeps the reference path)."""
        from sklearn.linear_model import LogisticRegression

        if not isinstance(clf, LogisticRegression) or getattr(clf, "multi_class", "auto") == "ovr" \
                or clf.solver == "liblinear":
            return None
        return cls(featurizer, clf.coef_, clf.intercept_, clf.classes_, columns)

    def __getstate__(self) -> dict:
        """Pickled compactly: the weights of the used columns only (W is mostly zeros)."""
        state = dict(self.__dict__)
        used = np.flatnonzero(self.W.any(axis=1))
        state["W"] = (used, self.W[used], self.W.shape)
        return state

    def __setstate__(self, state: dict) -> None:
        used, w, shape = state["W"]
        W = np.zeros(shape, dtype=w.dtype)
        W[used] = w
        self.__dict__.update(state, W=W)

    def features(self, texts: Sequence[str | None] | pl.Series) -> sp.csr_matrix:
        """``featurizer.transform(texts)`` (all 2 x n_features columns), built in one pass (at most
        ``2**31 / (2 n_features)`` texts: int32 keys)."""
        cp, lens, word = _code_points(texts, self.max_chars)
        return _tfidf_csr(gram_keys(cp, lens, word, self.word_ngrams[1], self.char_ngrams, self.n_features), len(lens),
                          self.n_features, self.idf)

    def decision(self, texts: Sequence[str | None] | pl.Series, extra: sp.spmatrix | None = None) -> np.ndarray:
        """(n, K') scores, as the classifier's ``decision_function`` (2-D); ``extra``: the (n, e)
        features appended after the text columns in training. Scored in chunks of at most
        :data:`CHUNK_CHARS` characters (:func:`~wslab.core.stats.hashing.chunked_keys`)."""
        d = self.n_features
        n, chunks = chunked_keys(texts, n_features=d, word_n_max=self.word_ngrams[1], char_ngrams=self.char_ngrams,
                                 max_chars=self.max_chars)
        W = self.W if extra is None else np.vstack([self.W, self.extra_coef.T.astype(self.W.dtype)])
        z = np.empty((n, W.shape[1]), dtype=np.result_type(np.float32, W, *(() if extra is None else (extra.dtype,))))
        for a, b, keys in chunks:
            X = _tfidf_csr(keys, b - a, d, self.idf)
            if extra is not None:
                X = sp.hstack([X, extra[a:b]], format="csr")
            z[a:b] = X @ W
        z += self.intercept
        return z

    def predict_proba(self, texts: Sequence[str | None] | pl.Series, extra: sp.spmatrix | None = None) -> np.ndarray:
        """(n, len(classes)) probabilities, as the classifier's ``predict_proba`` on the features
        (the same scikit-learn/scipy functions on the same scores)."""
        from scipy.special import expit
        from sklearn.utils.extmath import softmax

        z = self.decision(texts, extra)
        if z.shape[1] == 1:
            p = expit(z[:, 0])
            return np.stack([1 - p, p], axis=1)
        return softmax(z, copy=False)
