"""Prediction of a linear model on hashed TF-IDF features without building the feature matrix.

A logistic regression fitted on :class:`~wslab.core.stats.hashing.HashedTfidf` features scores a
document as ``intercept + sum over its n-gram columns of tfidf(column) x coef(column)``. This
module builds a batch's feature matrix straight from the hashed n-gram occurrences of both
families: one sort of ``row * 2 n_features + column`` (int32 keys: batches of up to 2^31 / (2
n_features) documents) gives the counts, then sublinear tf x idf, both L2 norms (``np.bincount``)
and the CSR arrays, and one sparse product scores it. No per-family count matrices, normalisation
pass, stacking or column selection (columns the model never saw simply weigh 0). The arithmetic
is the reference path's (``transform`` -> ``select_columns`` -> ``predict_proba``): the same
float32 values, norms accumulated in float64 in the same order, the same float32 product and
scikit-learn's own softmax, so the probabilities are equal (tests: within 1e-9; measured: 0).

:class:`HashedLinear` holds what prediction needs (idf, the classifier's weights spread over the
hashed columns, intercept): a few MB that pickle, so large inputs are split over worker processes
(:mod:`wslab.core.stats.predict_pool`) that each featurize and score their slice and return only
probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp

from wslab.core.stats.hashing import HashedTfidf, _char_grams, _clean, _word_grams


def _tfidf_csr(word: tuple[np.ndarray, np.ndarray], char: tuple[np.ndarray, np.ndarray], n_rows: int, d: int,
               idf: np.ndarray) -> sp.csr_matrix:
    """The (n_rows, 2d) float32 CSR ``HashedTfidf.transform`` returns, from the hashed (rows, cols)
    occurrences of both families: one sort of ``row * 2d + column`` counts them (word columns
    first, as ``hstack`` puts them); sublinear tf x idf in float32 and each family's L2 norm
    accumulated in float64 in column order, as ``_weigh`` and scikit-learn's ``normalize`` do."""
    D = 2 * d
    dtype = np.int32 if n_rows * D < 2 ** 31 else np.int64
    key = np.empty(len(word[0]) + len(char[0]), dtype=dtype)
    nw = len(word[0])
    key[:nw] = word[0]
    key[nw:] = char[0]
    key *= D
    key[:nw] += word[1]
    key[nw:] += char[1]
    key[nw:] += d
    key.sort()
    if not len(key):
        return sp.csr_matrix((n_rows, D), dtype=np.float32)
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.empty(len(starts), dtype=np.float32)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1], casting="unsafe")
    counts[-1] = len(key) - starts[-1]
    u = key[starts]
    if D & (D - 1) == 0:  # a power of two (the default): shift and mask instead of a division
        r, c = u >> (D.bit_length() - 1), u & (D - 1)
    else:
        r, c = np.divmod(u, D)
    val = (np.log(counts) + 1) * idf[c]                       # float32, as _weigh
    fam = r * 2
    fam += c >= d                                              # (row, family) of each entry
    norm = np.sqrt(np.bincount(fam, (val * val).astype(np.float64), minlength=2 * n_rows))
    norm[norm == 0] = 1.0
    x = (val / norm[fam]).astype(np.float32)                   # float32 / float64, stored float32
    indptr = np.searchsorted(u, np.arange(n_rows + 1, dtype=u.dtype) * D)  # u is sorted by row
    return sp.csr_matrix((x, c.astype(np.int32, copy=False), indptr), shape=(n_rows, D))


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
        """``featurizer.transform(texts)`` (all 2 x n_features columns), built in one pass."""
        s, d = _clean(texts, self.max_chars), self.n_features
        return _tfidf_csr(_word_grams(s, self.word_ngrams[1], d),
                          _char_grams(s, self.char_ngrams[0], self.char_ngrams[1], d), len(s), d, self.idf)

    def decision(self, texts: Sequence[str | None] | pl.Series, extra: sp.spmatrix | None = None) -> np.ndarray:
        """(n, K') scores, as the classifier's ``decision_function`` (2-D); ``extra``: the (n, e)
        features appended after the text columns in training."""
        X = self.features(texts)
        if extra is not None:
            X = sp.hstack([X, extra], format="csr")
            W = np.vstack([self.W, self.extra_coef.T.astype(self.W.dtype)])
        else:
            W = self.W
        return X @ W + self.intercept

    def predict_proba(self, texts: Sequence[str | None] | pl.Series, extra: sp.spmatrix | None = None) -> np.ndarray:
        """(n, len(classes)) probabilities, as the classifier's ``predict_proba`` on the features
        (the same scikit-learn/scipy functions on the same scores)."""
        from scipy.special import expit
        from sklearn.utils.extmath import softmax

        step = max(1, (2 ** 31 - 1) // (2 * self.n_features))  # int32 sort keys (twice as fast as int64)
        n = len(texts)
        if n > step:
            z = np.vstack([self.decision(texts[i:i + step], None if extra is None else extra[i:i + step])
                           for i in range(0, n, step)])
        else:
            z = self.decision(texts, extra)
        if z.shape[1] == 1:
            p = expit(z[:, 0])
            return np.stack([1 - p, p], axis=1)
        return softmax(z, copy=False)
