"""Hashed TF-IDF text features: word and character n-grams hashed into fixed columns.

The n-grams are those of scikit-learn's ``TfidfVectorizer`` pair the end model used before
(words ``\\w+`` in 1-2 grams; characters in 2-5 grams inside word boundaries, as ``char_wb``, with
whitespace collapsed), but counted column-wise with numpy and Polars instead of a Python loop per
document, and hashed instead of looked up in a fitted vocabulary. So featurizing needs no fit:
only the inverse document frequencies are learnt (once per run, from unlabelled texts), every fold
and candidate shares one matrix, and any batch of documents is featurized independently of the
others, in parallel threads (numpy, Polars and scipy's sparse kernels release the GIL).

Columns ``[0, n_features)`` hold word n-grams, ``[n_features, 2 n_features)`` character n-grams;
each family is sublinear-tf x idf and L2-normalised on its own (as a ``FeatureUnion`` of two
``TfidfVectorizer`` would), float32.

>>> f = HashedTfidf(n_features=1024).fit(["free prize now", "see you at lunch"])
>>> X = f.transform(["free lunch", "free lunch"])
>>> X.shape, bool((X[0] != X[1]).nnz == 0), round(float(X[0].multiply(X[0]).sum()), 4)
((2, 2048), True, 2.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from wslab.core.limits import MAX_TEXT_CHARS

_M1 = np.uint32(0x9E3779B1)  # multiplicative hashing constants (golden ratio; FNV prime; murmur3 finaliser)
_B = np.uint32(0x01000193)
_F1, _F2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_W = np.uint64(0x9E3779B97F4A7C15)


def _mix32(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint32(16)
    h *= _F1
    h ^= h >> np.uint32(13)
    h *= _F2
    h ^= h >> np.uint32(16)
    return h


def _clean(texts: Sequence[str | None], max_chars: int | None) -> pl.Series:
    s = pl.Series(texts, dtype=pl.String).fill_null("")
    if max_chars is not None:
        s = s.str.slice(0, max_chars)
    return s.str.to_lowercase()


def _word_grams(s: pl.Series, n_max: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of every word n-gram (1..n_max) of every document, one entry per occurrence."""
    tokens = s.str.extract_all(r"\w+")
    lens = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    h = tokens.explode().drop_nulls().hash(seed=7).to_numpy()
    doc = np.repeat(np.arange(len(lens), dtype=np.int32), lens)
    rows, cols = [doc], [h % np.uint64(n_features)]
    g = h
    for n in range(2, n_max + 1):
        m = len(h) - n + 1
        if m <= 0:
            break
        g = (g[:m] * _W) ^ h[n - 1:n - 1 + m]
        same = doc[:m] == doc[n - 1:n - 1 + m]
        mixed = g[same] ^ (g[same] >> np.uint64(29))
        rows.append(doc[:m][same])
        cols.append(mixed % np.uint64(n_features))
    return np.concatenate(rows), np.concatenate(cols).astype(np.int32)


def _char_grams(s: pl.Series, n_min: int, n_max: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of every character n-gram (n_min..n_max) inside word boundaries: each document
    is `` w1 w2 ... `` (whitespace collapsed, one space each side), and an n-gram may start or end
    at a space but hold none inside (so none spans two words, nor two documents)."""
    docs = " " + s.str.replace_all(r"\s+", " ").str.strip_chars() + " "
    lens = docs.str.len_chars().to_numpy().astype(np.int64)
    cp = np.frombuffer(docs.str.join("").item().encode("utf-32-le"), dtype=np.uint32)
    doc = np.repeat(np.arange(len(lens), dtype=np.int32), lens)
    space = cp == 32
    x = (cp + np.uint32(1)) * _M1
    h, inside_ok = x, None
    rows, cols = [], []
    for n in range(2, n_max + 1):
        m = len(cp) - n + 1
        if m <= 0:
            break
        h = h[:m] * _B + x[n - 1:n - 1 + m]
        # n = 2: not two spaces (the seam between documents); n > 2: no space strictly inside
        inside_ok = ~(space[:m] & space[1:1 + m]) if n == 2 else inside_ok[:m] & ~space[n - 2:n - 2 + m]
        if n < n_min:
            continue
        idx = np.flatnonzero(inside_ok)
        rows.append(doc[idx])
        cols.append(_mix32(h[idx]) % np.uint32(n_features))
    if not rows:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(rows), np.concatenate(cols).astype(np.int32)


def _count_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """CSR of the (row, col) occurrences, duplicates counted: one sort of ``row * n_cols + col``
    (numpy's vectorised sort; int32 keys when they fit, as they do for batches of a few thousand
    documents), then run lengths."""
    dtype = np.int32 if n_rows * n_cols < 2 ** 31 else np.int64
    key = rows.astype(dtype)
    key *= n_cols
    key += cols
    key.sort()
    if not len(key):
        return sp.csr_matrix((n_rows, n_cols), dtype=np.float32)
    starts = np.flatnonzero(np.diff(key, prepend=-1))
    counts = np.diff(starts, append=len(key)).astype(np.float32)
    unique = key[starts]
    r, c = np.divmod(unique, n_cols)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((counts, c.astype(np.int32, copy=False), indptr), shape=(n_rows, n_cols))


def used_columns(X: sp.csr_matrix) -> np.ndarray:
    """The sorted columns where ``X`` has an entry: a model fitted on ``X`` with an L2 penalty
    (from a zero start) keeps a zero weight on every other column, so it may be fitted on these
    columns alone (:func:`select_columns`) and predict from them alone, with the same result."""
    return np.unique(X.indices)


def select_columns(X: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """``X[:, cols]`` for sorted unique ``cols``, by a lookup table (entries elsewhere dropped)."""
    where = np.full(X.shape[1], -1, dtype=np.int32)
    where[cols] = np.arange(len(cols), dtype=np.int32)
    new = where[X.indices]
    keep = new >= 0
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    indptr = np.zeros(X.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=X.shape[0]), out=indptr[1:])
    return sp.csr_matrix((X.data[keep], new[keep], indptr), shape=(X.shape[0], len(cols)))


class HashedTfidf:
    """Hashed word + char n-gram TF-IDF (module doc). ``fit`` learns the idf from texts (no labels);
    ``transform`` featurizes any texts, in ``n_jobs`` threads of at most ``batch_size`` documents."""

    def __init__(self, *, n_features: int = 2 ** 18, word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] = (2, 5), max_chars: int | None = MAX_TEXT_CHARS,
                 n_jobs: int = 2, batch_size: int = 5_000) -> None:
        if word_ngrams[0] != 1:
            raise ValueError(f"word_ngrams must start at 1; got {word_ngrams}")
        self.n_features, self.word_ngrams, self.char_ngrams = int(n_features), word_ngrams, char_ngrams
        self.max_chars, self.n_jobs, self.batch_size = max_chars, n_jobs, batch_size
        self.idf_: tuple[np.ndarray, np.ndarray] | None = None

    def counts(self, texts: Sequence[str | None]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(word, char) n-gram counts, each (n, n_features) float32, duplicates summed."""
        s, d = _clean(texts, self.max_chars), self.n_features
        out = []
        for rows, cols in (_word_grams(s, self.word_ngrams[1], d),
                           _char_grams(s, self.char_ngrams[0], self.char_ngrams[1], d)):
            out.append(_count_matrix(rows, cols, len(s), d))
        return out[0], out[1]

    def fit(self, texts: Sequence[str | None]) -> HashedTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str | None]) -> sp.csr_matrix:
        counts = self._map(self.counts, texts)
        word, char = (sp.vstack([c[f] for c in counts], format="csr") for f in (0, 1))
        n = word.shape[0]
        # smoothed idf, as scikit-learn's: log((1 + n) / (1 + df)) + 1
        self.idf_ = tuple((np.log((1 + n) / (1 + np.bincount(C.indices, minlength=self.n_features))) + 1)
                          .astype(np.float32) for C in (word, char))
        return self._weigh((word, char))

    def transform(self, texts: Sequence[str | None]) -> sp.csr_matrix:
        if self.idf_ is None:
            raise ValueError("HashedTfidf: call fit before transform")
        parts = self._map(lambda chunk: self._weigh(self.counts(chunk)), texts)
        return parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")

    def _map(self, fn, texts: Sequence[str | None]) -> list:
        """``fn`` over consecutive chunks of ``texts``: at most ``batch_size`` each, spread over
        ``n_jobs`` threads."""
        texts = texts if isinstance(texts, list) else list(texts)
        step = max(1, min(self.batch_size, -(-len(texts) // max(self.n_jobs, 1))))
        chunks = [texts[i:i + step] for i in range(0, len(texts), step)] or [[]]
        if len(chunks) == 1 or self.n_jobs <= 1:
            return [fn(c) for c in chunks]
        with ThreadPoolExecutor(self.n_jobs) as pool:
            return list(pool.map(fn, chunks))

    def _weigh(self, counts: tuple[sp.csr_matrix, sp.csr_matrix]) -> sp.csr_matrix:
        """Sublinear tf x idf, each family L2-normalised, side by side."""
        out = []
        for C, idf in zip(counts, self.idf_):
            C.data = (np.log(C.data) + 1) * idf[C.indices]
            out.append(normalize(C, copy=False) if C.shape[0] else C)
        return sp.hstack(out, format="csr")
