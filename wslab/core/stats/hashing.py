"""Hashed TF-IDF text features: word and character n-grams hashed into fixed columns.

The n-grams are those of scikit-learn's ``TfidfVectorizer`` pair the end model used before
(words ``\\w+`` in 1-2 grams; characters in 2-5 grams inside word boundaries, as ``char_wb``, with
whitespace collapsed), but counted column-wise with numpy instead of a Python loop per document,
and hashed instead of looked up in a fitted vocabulary. The texts become one array of lowercased
code points (:func:`_code_points`: lowercase, ``\\w`` and whitespace by tables built from Polars'
own functions); word tokens are runs of ``\\w`` characters hashed by prefix sums of a polynomial,
char n-grams rolling hashes over the array. So featurizing needs no fit:
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

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from wslab.core.limits import MAX_TEXT_CHARS

_M1 = np.uint32(0x9E3779B1)  # multiplicative hashing constants (golden ratio; FNV prime; murmur3 finaliser)
_B = np.uint32(0x01000193)
_F1, _F2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_W = np.uint64(0x9E3779B97F4A7C15)


# Unicode White_Space, which Rust's regex ``\\s`` and ``str::trim`` (Polars' ``strip_chars``) both use
_WHITESPACE = np.array([0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                        0x202F, 0x205F, 0x3000], dtype=np.uint32)
_IS_SPACE = np.zeros(0x3002, dtype=bool)
_IS_SPACE[_WHITESPACE] = True  # index 0x3001 (False) stands for every code point above
INVALID = np.int32(2 ** 31 - 1)
"""The key :func:`gram_keys` gives an n-gram position that holds no n-gram (sorted last)."""


def _mix32(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint32(16)
    h *= _F1
    h ^= h >> np.uint32(13)
    h *= _F2
    h ^= h >> np.uint32(16)
    return h


def _bucket(h: np.ndarray, d: int) -> np.ndarray:
    """``h % d`` of unsigned hashes, by a mask when ``d`` is a power of two (the same values)."""
    return h & h.dtype.type(d - 1) if d & (d - 1) == 0 else h % h.dtype.type(d)


def _clean(texts: Sequence[str | None] | pl.Series, max_chars: int | None) -> pl.Series:
    """The texts as a String Series, nulls as empty texts, cut to ``max_chars`` (not lowercased:
    :func:`_code_points` does that)."""
    s = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.String)
    s = s.cast(pl.String).fill_null("")
    return s if max_chars is None else s.str.slice(0, max_chars)


WORD, SPACE, SPECIAL = np.uint8(1), np.uint8(2), np.uint8(4)
_TABLES: list[tuple[np.ndarray, np.ndarray]] = []  # (lowercase, class bits) of each BMP code point, built once
_ASTRAL: dict[int, tuple[int, int]] = {}
_P = 0x100000001B3  # FNV-64 prime: the polynomial of the word hash
_POW: list[np.ndarray] = [np.ones(1, dtype=np.uint64)]  # _P ** k mod 2**64 for k < len (grown on demand)


def _classify(cps: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(lowercase, class bits) of code points, from Polars itself: ``to_lowercase`` (SPECIAL where
    it is not one code point, or depends on the context: only the Greek capital sigma, final or
    not), and its regex's ``\\w`` (WORD) and Unicode White_Space (SPACE)."""
    chars = pl.Series([chr(c) for c in cps], dtype=pl.String)
    low = chars.str.to_lowercase()
    single = (low.str.len_chars() == 1).to_numpy()
    lower = np.array([ord(x[0]) if ok else c for x, ok, c in zip(low.to_list(), single.tolist(), cps)], dtype=np.uint32)
    cls = np.where(chars.str.contains(r"^\w$").to_numpy(), WORD, 0).astype(np.uint8)
    cls[_IS_SPACE[np.minimum(np.asarray(cps, dtype=np.uint32), np.uint32(len(_IS_SPACE) - 1))]] |= SPACE
    cls[~single | (np.asarray(cps) == 0x3A3)] |= SPECIAL
    return lower, cls


def _tables() -> tuple[np.ndarray, np.ndarray]:
    if not _TABLES:
        lower, cls = np.arange(0x10000, dtype=np.uint32), np.zeros(0x10000, dtype=np.uint8)
        bmp = np.concatenate([np.arange(0xD800), np.arange(0xE000, 0x10000)])
        lower[bmp], cls[bmp] = _classify(bmp.tolist())
        _TABLES.append((lower, cls))
    return _TABLES[0]


def _lookup(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowercase, class bits) of each code point: a table of the Basic Multilingual Plane built
    from Polars once per process (~60 ms); code points above it asked once each and remembered."""
    lower_t, cls_t = _tables()
    low16 = np.minimum(cp, np.uint32(0xFFFF))
    lower, cls = lower_t[low16], cls_t[low16]
    astral = np.flatnonzero(cp > 0xFFFF)
    if len(astral):
        todo = [c for c in np.unique(cp[astral]).tolist() if c not in _ASTRAL]
        if todo:
            _ASTRAL.update(zip(todo, zip(*(a.tolist() for a in _classify(todo)))))
        got = np.array([_ASTRAL[c] for c in cp[astral].tolist()], dtype=np.int64).reshape(-1, 2)
        lower[astral], cls[astral] = got[:, 0], got[:, 1]
    return lower, cls


def _framed(texts: Sequence[str | None] | pl.Series, max_chars: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(code points (c,) uint32 of `` text1  text2 ... `` as written, characters per text (n,)
    with the two framing spaces). A list of strings none longer than ``max_chars`` is joined by
    Python itself (``len`` counts code points, as Polars' ``len_chars``); anything else (nulls,
    long texts, a Series) through :func:`_clean`."""
    joined = None
    if isinstance(texts, list):
        try:
            lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            if max_chars is None or not len(lens) or int(lens.max()) <= max_chars:
                joined = "  ".join(texts)
        except TypeError:  # a null among them
            joined = None
    if joined is None:
        s = _clean(texts, max_chars)
        lens = s.str.len_chars().to_numpy().astype(np.int64)
        joined = s.str.join("  ").item() if len(s) else ""
    return np.frombuffer((" " + joined + " ").encode("utf-32-le"), dtype=np.uint32), lens + 2


def _code_points(texts: Sequence[str | None] | pl.Series,
                 max_chars: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code points (c,) uint32, characters per document (n,), word character (c,) bool) of the
    texts (nulls as empty texts, cut to ``max_chars``) lowercased as Polars' ``to_lowercase`` does,
    every document framed by one space each side, `` doc1  doc2 ``, all Unicode whitespace written
    as a space. Lowercasing is a table lookup; texts with a character whose lowercase is not one
    code point or depends on its context (e.g. the Greek capital sigma) are lowercased by Polars
    instead. Char n-grams of this array (:func:`_char_ngram_hashes`) are those of ``char_wb`` on
    whitespace-collapsed text: a run of spaces only ever yields the n-grams its first and last
    space take part in."""
    cp, lens = _framed(texts, max_chars)
    lower, cls = _lookup(cp)
    if (cls & SPECIAL).any():
        s = _clean(texts, max_chars).str.to_lowercase()
        lens = s.str.len_chars().to_numpy().astype(np.int64) + 2
        cp = np.frombuffer((" " + s.str.join("  ").item() + " ").encode("utf-32-le"), dtype=np.uint32).copy()
        _, cls = _lookup(cp)
    else:
        cp = lower
    cp[(cls & SPACE) != 0] = 32
    return cp, lens, (cls & WORD).view(bool)


def _powers(n: int) -> np.ndarray:
    if len(_POW[0]) < n:
        size = max(n, 2 * len(_POW[0]))
        pw = np.full(size, _P, dtype=np.uint64)
        pw[0] = 1
        _POW[0] = np.cumprod(pw)  # wraps modulo 2**64
    return _POW[0]


def _word_hashes(cp: np.ndarray, word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hashes (t,) uint64, first code point (t,)) of the ``\\w+`` tokens of ``cp``
    (:func:`_code_points`) in order: maximal runs of word characters (``word``), as
    ``extract_all(r"\\w+")``. A token's hash is the polynomial ``sum_j (c_j + 1) P^j`` over its
    code points modulo 2^64 (prefix sums, no loop per token), then mixed (splitmix64's finaliser)."""
    first = word.copy()
    first[1:] &= ~word[:-1]
    starts = np.flatnonzero(first)
    if not len(starts):
        return np.empty(0, np.uint64), starts
    idx = np.flatnonzero(word)
    head = first[idx]
    token = np.cumsum(head) - 1
    offset = np.arange(len(idx)) - np.flatnonzero(head)[token]
    terms = (cp[idx].astype(np.uint64) + np.uint64(1)) * _powers(int(offset.max()) + 1)[offset]
    total = np.cumsum(terms)
    last = np.append(np.flatnonzero(head)[1:], len(idx)) - 1
    h = total[last]
    h[1:] -= total[last[:-1]]
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h, starts


def _word_ngram_hashes(h: np.ndarray, n_max: int):
    """``(n, mixed hashes of the n-grams starting at tokens 0..m-1)`` for n = 2..n_max (they may
    span two documents: the caller drops those)."""
    g = h
    for n in range(2, n_max + 1):
        m = len(h) - n + 1
        if m <= 0:
            return
        g = (g[:m] * _W) ^ h[n - 1:n - 1 + m]
        yield n, g ^ (g >> np.uint64(29))


def _char_ngram_hashes(cp: np.ndarray, n_min: int, n_max: int):
    """``(n, hashes (m,) uint32, bad (m,) int32)`` of the char n-grams starting at positions
    0..m-1 of ``cp``, n = n_min..n_max: ``bad`` is 0 where the n-gram is valid, :data:`INVALID`
    where it holds a space inside (it may start or end at one) or, for n = 2, is two spaces; so no
    valid n-gram spans two words or documents. ``key | bad`` marks the invalid keys (all keys are
    non-negative int32). The hashes are left unmixed (:func:`_mix32` mixes them in place)."""
    space = np.where(cp == 32, INVALID, np.int32(0))
    x = (cp + np.uint32(1)) * _M1
    h, bad = x, None
    for n in range(2, n_max + 1):
        m = len(cp) - n + 1
        if m <= 0:
            return
        h = h[:m] * _B + x[n - 1:n - 1 + m]
        bad = space[:m] & space[1:1 + m] if n == 2 else bad[:m] | space[n - 2:n - 2 + m]
        if n >= n_min:
            yield n, h, bad


def _word_grams(cp: np.ndarray, word: np.ndarray, doc: np.ndarray, n_max: int,
                n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of every word n-gram (1..n_max) of the code points ``cp`` (``word``: which are
    word characters) of documents ``doc`` (per code point), one entry per occurrence."""
    h, starts = _word_hashes(cp, word)
    doc = doc[starts]
    rows, cols = [doc], [_bucket(h, n_features)]
    for n, mixed in _word_ngram_hashes(h, n_max):
        same = doc[:len(mixed)] == doc[n - 1:]
        rows.append(doc[:len(mixed)][same])
        cols.append(_bucket(mixed[same], n_features))
    return np.concatenate(rows), np.concatenate(cols).astype(np.int32)


def _char_grams(cp: np.ndarray, doc: np.ndarray, n_min: int, n_max: int,
                n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of every character n-gram (n_min..n_max) inside word boundaries
    (:func:`_char_ngram_hashes`), one entry per occurrence."""
    rows, cols = [], []
    for _, h, bad in _char_ngram_hashes(cp, n_min, n_max):
        idx = np.flatnonzero(bad == 0)
        rows.append(doc[idx])
        cols.append(_bucket(_mix32(h[idx]), n_features))
    if not rows:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(rows), np.concatenate(cols).astype(np.int32)


def gram_keys(cp: np.ndarray, lens: np.ndarray, word: np.ndarray, word_n_max: int, char_ngrams: tuple[int, int],
              d: int) -> np.ndarray:
    """int32 ``row * 2d + column`` of every n-gram occurrence of both families in the code points
    ``cp`` (``word``: which are word characters) of ``len(lens)`` documents of ``lens`` code points
    each (:func:`_code_points`; word columns ``[0, d)``, char columns ``[d, 2d)``, as
    :class:`HashedTfidf`), in no particular order, with :data:`INVALID` at positions that hold no
    n-gram (cheaper than compacting each array; a sort puts them last). Needs ``len(lens) * 2d < 2**31``."""
    n, D = len(lens), 2 * d
    h, starts = _word_hashes(cp, word)
    cbase = np.repeat(np.arange(d, n * D + d, D, dtype=np.int32), lens)
    wbase = cbase[starts] - np.int32(d)
    sizes = [len(h)] + [max(len(h) - k + 1, 0) for k in range(2, word_n_max + 1)] + \
        [max(len(cp) - k + 1, 0) for k in range(char_ngrams[0], char_ngrams[1] + 1)]
    out = np.empty(sum(sizes), dtype=np.int32)
    at = len(h)
    np.add(wbase, _bucket(h, d).astype(np.int32), out=out[:at])
    for k, mixed in _word_ngram_hashes(h, word_n_max):
        part = out[at:at + len(mixed)]
        np.add(wbase[:len(mixed)], _bucket(mixed, d).astype(np.int32), out=part)
        part[wbase[:len(mixed)] != wbase[k - 1:]] = INVALID
        at += len(mixed)
    for _, hc, bad in _char_ngram_hashes(cp, *char_ngrams):
        part = out[at:at + len(hc)]
        np.add(cbase[:len(hc)], _bucket(_mix32(hc.copy()), d).view(np.int32), out=part)
        part |= bad
        at += len(hc)
    return out[:at]


def _log_tf(counts: np.ndarray) -> np.ndarray:
    """``np.log(counts.astype(float32)) + 1`` (sublinear tf, float32) by a lookup table over
    ``1..max(counts)``: the same float32 values, computed once per distinct count."""
    table = np.empty(int(counts.max()) + 1, dtype=np.float32)
    table[0] = 0
    table[1:] = np.log(np.arange(1, len(table), dtype=np.float32)) + 1
    return table[counts]


def _counted(key: np.ndarray, n_rows: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sublinear tf (nnz,) float32, columns (nnz,) int32, famptr (2 n_rows + 1,))`` of the
    n-gram keys ``row * 2d + column`` of both families (:func:`gram_keys`; sorted here in place):
    one int32 sort counts them (word columns first, as ``hstack`` puts them); ``famptr`` is where
    each (row, family) starts, so ``(tf, columns, famptr)`` is a CSR with each (row, family) a row."""
    D = 2 * d
    key.sort()
    key = key[:int(np.searchsorted(key, INVALID))]
    if not len(key):
        return np.empty(0, np.float32), np.empty(0, np.int32), np.zeros(2 * n_rows + 1, dtype=np.int32)
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=len(key))
    u = key[starts]
    c = u & np.int32(D - 1) if D & (D - 1) == 0 else u % np.int32(D)  # a mask for powers of two (the default)
    # where each (row, family) starts: keys sorted, so a binary search of row * 2d + family * d
    at = np.arange(2 * n_rows + 1, dtype=np.int64)
    famptr = np.searchsorted(u, ((at >> 1) * D + (at & 1) * d).astype(u.dtype)).astype(np.int32)
    return _log_tf(counts), c, famptr


def _normalized(val: np.ndarray, c: np.ndarray, famptr: np.ndarray, n_rows: int, d: int) -> sp.csr_matrix:
    """The (n_rows, 2d) CSR of tf x idf values ``val`` (:func:`_counted`'s layout), each family
    L2-normalised in place by scikit-learn's own kernel (as ``_weigh`` does through ``normalize``)."""
    inplace_csr_row_normalize_l2(sp.csr_matrix((val, c, famptr), shape=(2 * n_rows, 2 * d)))
    return sp.csr_matrix((val, c, famptr[::2].copy()), shape=(n_rows, 2 * d))


def _tfidf_csr(key: np.ndarray, n_rows: int, d: int, idf: np.ndarray) -> sp.csr_matrix:
    """The (n_rows, 2d) float32 CSR ``HashedTfidf.transform`` returns, from the n-gram keys
    ``row * 2d + column`` of both families (:func:`gram_keys`; sorted here in place): counted
    (:func:`_counted`), sublinear tf x idf in float32, each family L2-normalised (:func:`_normalized`)."""
    val, c, famptr = _counted(key, n_rows, d)
    val *= idf[c]
    return _normalized(val, c, famptr, n_rows, d)


CHUNK_CHARS = 64_000
"""Characters scored at a time. A chunk's arrays (a few hundred KB each) stay in the CPU's cache
and are reused by the allocator; 4,096 texts of the synthetic corpus at once (~1 MB arrays, each
a fresh memory map) took ~20% longer, in page faults (measured with ``ru_minflt``)."""


def chunk_bounds(lengths: np.ndarray, *, max_rows: int, max_chars: int = CHUNK_CHARS) -> np.ndarray:
    """Bounds ``[0, ..., n]`` of consecutive chunks of texts of ``lengths`` characters: at most
    ``max_rows`` texts and about ``max_chars`` characters each (a longer text alone).

    >>> chunk_bounds(np.array([1, 1, 1, 10, 1]), max_rows=2, max_chars=6).tolist()
    [0, 2, 3, 4, 5]
    """
    n = len(lengths)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    cuts = np.searchsorted(ends, np.arange(max_chars, ends[-1], max_chars), side="right")
    return np.unique(np.concatenate([[0, n], cuts, np.arange(max_rows, n, max_rows)]))


def chunked_keys(texts: Sequence[str | None] | pl.Series, *, n_features: int, word_n_max: int,
                 char_ngrams: tuple[int, int], max_chars: int | None) -> tuple[int, Iterator]:
    """``(number of texts, chunks)``: ``chunks`` yields ``(a, b, keys)``, the :func:`gram_keys` of
    ``texts[a:b]`` for consecutive chunks of about :data:`CHUNK_CHARS` characters (:func:`chunk_bounds`;
    few enough texts per chunk for int32 keys ``row * 2 n_features + column``)."""
    d = n_features
    cp, lens, word = _code_points(texts, max_chars)
    at = np.concatenate([[0], np.cumsum(lens)])
    bounds = chunk_bounds(lens, max_rows=(2 ** 31 - 1) // (2 * d), max_chars=CHUNK_CHARS)
    return len(lens), ((int(a), int(b), gram_keys(cp[at[a]:at[b]], lens[a:b], word[at[a]:at[b]], word_n_max,
                                                   char_ngrams, d))
                       for a, b in zip(bounds[:-1], bounds[1:]))


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
    seen = np.zeros(X.shape[1], dtype=bool)  # sorted, without a sort (or an int64 copy) of every entry
    seen[X.indices] = True
    return np.flatnonzero(seen)


def select_columns(X: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """``X[:, cols]`` for sorted unique ``cols``, by a lookup table (entries elsewhere dropped)."""
    where = np.full(X.shape[1], -1, dtype=np.int32)
    where[cols] = np.arange(len(cols), dtype=np.int32)
    new = where[X.indices]
    keep = new >= 0
    if keep.all():  # every entry kept (``cols`` covers the used columns): the rows stay as they are
        return sp.csr_matrix((X.data, new, X.indptr), shape=(X.shape[0], len(cols)))
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
        d = self.n_features
        cp, lens, word = _code_points(texts if isinstance(texts, (list, pl.Series)) else list(texts), self.max_chars)
        doc = np.repeat(np.arange(len(lens), dtype=np.int32), lens)
        out = []
        for rows, cols in (_word_grams(cp, word, doc, self.word_ngrams[1], d),
                           _char_grams(cp, doc, self.char_ngrams[0], self.char_ngrams[1], d)):
            out.append(_count_matrix(rows, cols, len(lens), d))
        return out[0], out[1]

    def fit(self, texts: Sequence[str | None]) -> HashedTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str | None]) -> sp.csr_matrix:
        """Learn the idf from ``texts`` and return their features: the matrix ``transform`` gives
        (tests), built as :class:`~wslab.core.stats.hashed_linear.HashedLinear` builds it, from
        one array of n-gram keys per chunk of :data:`CHUNK_CHARS` characters (:func:`gram_keys`,
        :func:`_counted`), the idf applied once all are counted: 100,000 short texts in ~1 CPU-s
        instead of 3.4 (per-family count matrices, stacked twice)."""
        d = self.n_features
        parts = [p for batch in self._map(self._counted_chunks, texts) for p in batch]
        n = sum(rows for *_, rows in parts)
        if not parts or not sum(len(c) for _, c, _, _ in parts):
            self.idf_ = (np.full(d, np.log(1 + n) + 1, dtype=np.float32),) * 2
            return sp.csr_matrix((n, 2 * d), dtype=np.float32)
        val = np.concatenate([v for v, *_ in parts])
        col = np.concatenate([c for _, c, *_ in parts])
        sizes = np.cumsum([0] + [len(c) for _, c, *_ in parts])
        famptr = np.concatenate([f[:-1] + at for (_, _, f, _), at in zip(parts, sizes[:-1])] + [sizes[-1:]])
        famptr = famptr.astype(np.int32 if sizes[-1] < 2 ** 31 else np.int64)
        df = np.zeros(2 * d, dtype=np.int64)
        for a in range(0, len(col), 2 ** 20):  # bincount makes an int64 copy of its input: slices of it
            df += np.bincount(col[a:a + 2 ** 20], minlength=2 * d)
        # smoothed idf, as scikit-learn's: log((1 + n) / (1 + df)) + 1
        idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        self.idf_ = (idf[:d], idf[d:])
        val *= idf[col]
        return _normalized(val, col, famptr, n, d)

    def _counted_chunks(self, texts: Sequence[str | None]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """:func:`_counted` of each chunk of at most :data:`CHUNK_CHARS` characters of ``texts``, with its row count."""
        _, chunks = chunked_keys(texts, n_features=self.n_features, word_n_max=self.word_ngrams[1],
                                 char_ngrams=self.char_ngrams, max_chars=self.max_chars)
        return [(*_counted(keys, b - a, self.n_features), b - a) for a, b, keys in chunks]

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
