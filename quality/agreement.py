"""Inter-annotator agreement coefficients as pure functions over a coded rating matrix.

Data: ``codes`` is an integer array of shape ``(n_items, n_raters)``; ``codes[i, j]`` is the
category index (0..K-1) that rater ``j`` gave item ``i``, and ``-1`` means "not rated" (the
project-wide abstain value). Items may have any number of ratings. Every function returns a
:class:`Coefficient` (value, confidence interval, n, standard error, CI method, note).
:func:`wslab.quality.agreement_report.agreement_report` builds the full report on top of these.

>>> codes = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1], [0, 0, -1], [1, 0, 1]])
>>> round(fleiss_kappa(codes).value, 3), fleiss_kappa(codes).n
(0.464, 5)

Coefficients and their confidence intervals (all intervals two-sided, default 95 %)
-----------------------------------------------------------------------------------
``percent_agreement``
    Mean over items with >= 2 ratings of the share of agreeing rater pairs in the item,
    ``sum_k n_ik (n_ik - 1) / (r_i (r_i - 1))``. CI: normal interval from the standard error
    of that mean over items (Gwet 2014, variance of p_a), clipped to [0, 1].
``cohen_kappa`` (two raters, items rated by both)
    Unweighted, or weighted with ``linear`` (|i-j|) / ``quadratic`` ((i-j)^2) disagreement
    weights over the category order (as scikit-learn and statsmodels). CI: asymptotic normal
    interval with the large-sample variance of Fleiss, Cohen & Everitt (1969), the
    ``var_kappa`` of ``statsmodels.stats.inter_rater.cohens_kappa``; clipped to [-1, 1].
``fleiss_kappa``, ``fleiss_kappa_per_category``
    Fleiss (1971) generalised to an unequal number of raters per item (Gwet 2014, ch. 2):
    p_a as above; chance agreement ``sum_k pi_k^2`` with ``pi_k`` the mean over rated items of
    the share of the item's ratings in category k. With equal raters per item this is exactly
    Fleiss' kappa (``statsmodels.stats.inter_rater.fleiss_kappa``). The per-category kappa of
    category k is the same coefficient on the two categories "k" and "not k" (with equal
    raters, Fleiss' 1971 per-category formula). CI: Gwet's linearisation variance (irrCAC
    ``fleiss.kappa.raw``), a sum over items; clipped to [-1, 1].
``gwet_ac1``
    Gwet (2008) AC1 with chance agreement ``sum_k pi_k (1 - pi_k) / (K - 1)``, K = number of
    categories (declared categories count even when unused). CI: Gwet's linearisation variance
    (irrCAC ``gwet.ac1.raw``); clipped to [-1, 1].
``krippendorff_alpha``
    Krippendorff (2011) alpha from the coincidence matrix over items with >= 2 ratings, for
    ``nominal``, ``ordinal`` (distance from category ranks and marginal frequencies) and
    ``interval`` (squared difference of the categories' numeric values) data. There is no
    closed-form standard error, so the CI is a percentile bootstrap over items, seeded: items
    are compressed to their distinct per-item count vectors and a replicate draws pattern
    frequencies from a multinomial, which is the same as resampling items with replacement
    but costs O(patterns) instead of O(items). ``n_boot`` replicates (default 1000); when the
    data has very many distinct patterns the number is reduced so the work stays bounded (never
    below 200) and the result states the number used. Replicates in which alpha is undefined
    (a resample with one value only) are dropped.

Degenerate inputs (never a silent NaN)
--------------------------------------
A coefficient that cannot be computed has ``value=None``, ``ci=None`` and a ``note`` that says
why. The rules:

* no item with two ratings (one rater, or raters who never overlap): every coefficient is
  undefined (``n=0``);
* only one category used by everybody: observed agreement is 1 but expected agreement is 1
  too, so kappa (Cohen, Fleiss) and alpha are undefined (0/0). AC1 is 1.0 when at least two
  categories exist (declared or observed) and undefined when only one exists;
* a Cohen pair with no item rated by both: undefined with ``n=0``;
* fewer than two items: the value is reported, the CI is None (no variance estimate);
* a per-category kappa for a category that nobody used, or that every rating used, is
  undefined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from wslab.core.errors import InputError

MISSING = -1
LEVELS = ("nominal", "ordinal", "interval")
WEIGHTS = (None, "linear", "quadratic")
_EPS = 1e-12


@dataclass(frozen=True)
class Coefficient:
    """One agreement statistic: value, confidence interval, sample size and how the CI was made."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    se: float | None = None
    method: str = ""
    note: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict:
        out = {"value": self.value, "ci": list(self.ci) if self.ci is not None else None,
               "n": int(self.n), "se": self.se, "ci_method": self.method}
        if self.note:
            out["note"] = self.note
        out.update(self.extra)
        return out


def _undefined(n: int, note: str, method: str = "") -> Coefficient:
    return Coefficient(None, None, int(n), None, method, note)


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InputError(f"The 'confidence' parameter must be between 0 and 1. Got {confidence!r} instead.")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _normal(value: float, var: float, n: int, confidence: float, lo: float, hi: float,
            method: str) -> Coefficient:
    value = float(value)
    if n < 2 or not np.isfinite(var):
        return Coefficient(value, None, n, None, method, "fewer than two items: no confidence interval")
    se = float(np.sqrt(max(var, 0.0)))
    z = _z(confidence)
    return Coefficient(value, (max(lo, value - z * se), min(hi, value + z * se)), n, se, method)


# ---------------------------------------------------------------- input checks and counts


def check_codes(codes: np.ndarray, *, n_categories: int | None = None) -> tuple[np.ndarray, int]:
    """Validate a rating matrix; return it as an integer array and the number of categories."""
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise InputError(f"codes must be a 2-d array (n_items, n_raters), but it has {codes.ndim} dimension(s)")
    if codes.size and not np.issubdtype(codes.dtype, np.integer):
        raise InputError(f"codes must hold integer category indices (-1 = not rated), but its dtype is {codes.dtype}")
    top = int(codes.max()) if codes.size else -1
    if codes.size and int(codes.min()) < MISSING:
        raise InputError(f"codes must be >= -1 (-1 = not rated), but the smallest value is {int(codes.min())}")
    k = top + 1 if n_categories is None else int(n_categories)
    if top >= k:
        raise InputError(f"codes hold category {top} but n_categories is {k}")
    return codes, k


def category_counts(codes: np.ndarray, *, n_categories: int | None = None) -> np.ndarray:
    """Per-item category counts, shape (n_items, K): ``counts[i, k]`` raters put item i in k.

    >>> category_counts(np.array([[0, 1, 1], [2, -1, 2]]), n_categories=3).tolist()
    [[1, 2, 0], [0, 0, 2]]
    """
    codes, k = check_codes(codes, n_categories=n_categories)
    n = codes.shape[0]
    flat = codes.astype(np.int64, copy=False) + np.arange(n, dtype=np.int64)[:, None] * k
    flat = flat[codes >= 0]
    return np.bincount(flat, minlength=n * k).reshape(n, k) if k else np.zeros((n, 0), np.int64)


# ---------------------------------------------------------------- percent agreement, Fleiss, AC1


def count_patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``counts`` (n_items, K) and how many items have each: (patterns (P, K)
    int64, freq (P,)). Every coefficient of counts is a sum over items of a function of the item's
    row, so it can be summed over the few patterns instead (5 raters, 3 categories: at most 21 patterns
    for any number of items). Rows are keyed as numbers in base max+1 and counted with ``bincount``
    when the key space is small, else sorted.

    >>> pats, freq = count_patterns(np.array([[2, 0], [1, 1], [2, 0]]))
    >>> pats.tolist(), freq.tolist()
    ([[2, 0], [1, 1]], [2, 1])
    """
    counts = np.asarray(counts, dtype=np.int64)
    n, k = counts.shape
    if n == 0 or k == 0:
        return counts.reshape(0, k), np.zeros(0, dtype=np.int64)
    base = int(counts.max()) + 1
    if k * np.log2(base) >= 62:
        pats, freq = np.unique(counts, axis=0, return_counts=True)
        return pats, freq
    powers = base ** np.arange(k, dtype=np.int64)
    keys = counts @ powers
    if base ** k <= 4 * n + 1024:
        freq = np.bincount(keys, minlength=base ** k)
        uniq = np.flatnonzero(freq)
        freq = freq[uniq]
    else:
        uniq, freq = np.unique(keys, return_counts=True)
    return (uniq[:, None] // powers[None, :]) % base, freq


def _pairwise_parts(pats: np.ndarray, freq: np.ndarray):
    """(rated patterns as floats, their freq, r, two, pa_i), one entry per pattern."""
    counts = np.asarray(pats, dtype=np.float64)
    r = counts.sum(1)
    rated = r > 0
    counts, r, w = counts[rated], r[rated], freq[rated].astype(np.float64)
    two = r >= 2
    pairs = np.where(two, r * (r - 1), 1.0)
    pa_i = np.where(two, (counts * (counts - 1)).sum(1) / pairs, 0.0)
    return counts, w, r, two, pa_i


def percent_agreement_from_counts(counts: np.ndarray, *, confidence: float = 0.95) -> Coefficient:
    """:func:`percent_agreement` from per-item category counts (see :func:`category_counts`)."""
    method = "normal, SE of the mean over items"
    _, w, _, two, pa_i = _pairwise_parts(*count_patterns(counts))
    n2 = int(w[two].sum())
    if n2 == 0:
        return _undefined(0, "no item has two ratings", method)
    vals, w2 = pa_i[two], w[two]
    mean = float((w2 * vals).sum() / n2)
    var = float((w2 * (vals - mean) ** 2).sum() / (n2 - 1)) / n2 if n2 > 1 else np.nan
    return _normal(mean, var, n2, confidence, 0.0, 1.0, method)


def percent_agreement(codes: np.ndarray, *, confidence: float = 0.95) -> Coefficient:
    """Mean pairwise percent agreement over items with at least two ratings.

    >>> percent_agreement(np.array([[0, 0, 1], [1, 1, 1]])).value  # (1/3 + 1) / 2
    0.6666666666666666
    """
    return percent_agreement_from_counts(category_counts(codes), confidence=confidence)


def _chance_corrected(pats: np.ndarray, freq: np.ndarray, *, kind: str, n_categories: int,
                      confidence: float) -> Coefficient:
    """Fleiss' kappa or AC1 and Gwet's variance of the items whose count rows are ``pats`` (P, K),
    ``freq`` items each: every sum over items is a sum over patterns weighted by ``freq``."""
    method = "normal, Gwet linearisation variance"
    counts, w, r, two, pa_i = _pairwise_parts(pats, freq)
    n, n2 = int(w.sum()), int(w[two].sum())
    if n2 == 0:
        return _undefined(0, "no item has two ratings", method)
    pa = float((w * pa_i).sum() / n2)
    prop = counts / r[:, None]
    pi = (w @ prop) / n
    if kind == "fleiss":
        pe = float(pi @ pi)
        pe_i = prop @ pi
    else:
        q = n_categories
        if q < 2:
            return _undefined(n2, "only one category exists; AC1 needs at least two", method)
        pe = float((pi * (1 - pi)).sum() / (q - 1))
        pe_i = prop @ (1 - pi) / (q - 1)
    if 1 - pe <= _EPS:
        used = int((pi > 0).sum())
        return _undefined(n2, f"only {used} category used in all ratings: expected agreement is 1, "
                              "so the chance-corrected coefficient is undefined (observed agreement "
                              f"is {pa:.3f})", method)
    coef = (pa - pe) / (1 - pe)
    if n < 2:
        return _normal(coef, np.nan, n2, confidence, -1.0, 1.0, method)
    c_i = (n / n2) * (pa_i - pe * two) / (1 - pe)
    c_i = c_i - 2 * (1 - coef) * (pe_i - pe) / (1 - pe)
    var = float((w * (c_i - coef) ** 2).sum() / (n * (n - 1)))
    return _normal(coef, var, n2, confidence, -1.0, 1.0, method)


def fleiss_kappa_from_counts(counts: np.ndarray, *, confidence: float = 0.95) -> Coefficient:
    """:func:`fleiss_kappa` from per-item category counts (see :func:`category_counts`)."""
    counts = np.asarray(counts)
    return _chance_corrected(*count_patterns(counts), kind="fleiss", n_categories=counts.shape[1],
                             confidence=confidence)


def fleiss_kappa(codes: np.ndarray, *, confidence: float = 0.95) -> Coefficient:
    """Fleiss' kappa, correct with an unequal number of raters per item (see module docstring)."""
    return fleiss_kappa_from_counts(category_counts(codes), confidence=confidence)


def fleiss_kappa_per_category_from_counts(counts: np.ndarray, *, confidence: float = 0.95) -> list[Coefficient]:
    """Per-category Fleiss kappas from per-item category counts, one per column."""
    pats, freq = count_patterns(counts)  # the sums over items, over the distinct count rows
    r = pats.sum(1)
    out = []
    for k in range(pats.shape[1]):  # loop over categories, not items
        two = np.stack([pats[:, k], r - pats[:, k]], axis=1)
        res = _chance_corrected(two, freq, kind="fleiss", n_categories=2, confidence=confidence)
        if not res.defined and res.n:
            used = (freq * pats[:, k]).sum()
            note = ("category never used" if used == 0 else "every rating is this category")
            res = _undefined(res.n, note, res.method)
        out.append(res)
    return out


def fleiss_kappa_per_category(codes: np.ndarray, *, n_categories: int | None = None,
                              confidence: float = 0.95) -> list[Coefficient]:
    """Kappa of each category k against "not k" (Fleiss 1971, generalised to unequal raters).

    >>> [round(c.value, 3) for c in fleiss_kappa_per_category(np.array([[0, 0], [1, 1], [1, 0]]))]
    [0.333, 0.333]
    """
    return fleiss_kappa_per_category_from_counts(category_counts(codes, n_categories=n_categories),
                                                 confidence=confidence)


def gwet_ac1_from_counts(counts: np.ndarray, *, confidence: float = 0.95) -> Coefficient:
    """:func:`gwet_ac1` from per-item category counts; K is the number of columns."""
    counts = np.asarray(counts)
    return _chance_corrected(*count_patterns(counts), kind="ac1", n_categories=counts.shape[1],
                             confidence=confidence)


def gwet_ac1(codes: np.ndarray, *, n_categories: int | None = None, confidence: float = 0.95) -> Coefficient:
    """Gwet's AC1. ``n_categories`` (default: max code + 1) matters: it sets chance agreement."""
    return gwet_ac1_from_counts(category_counts(codes, n_categories=n_categories), confidence=confidence)


# ---------------------------------------------------------------- Cohen's kappa


def weight_matrix(n_categories: int, weights: str | None) -> np.ndarray:
    """Disagreement weights (0 on the diagonal), normalised to max 1 as statsmodels does."""
    if weights not in WEIGHTS:
        raise InputError(f"The 'weights' parameter must be one of {list(WEIGHTS)}. Got {weights!r} instead.")
    pos = np.arange(n_categories, dtype=np.float64)
    diff = np.abs(pos[:, None] - pos[None, :])
    if weights is None:
        return (diff > 0).astype(np.float64)
    span = max(n_categories - 1, 1)
    return diff / span if weights == "linear" else (diff / span) ** 2


def cohen_kappa_from_table(table: np.ndarray, *, weights: str | None = None,
                           confidence: float = 0.95) -> Coefficient:
    """Cohen's kappa from a K x K contingency table (rows: rater a, columns: rater b)."""
    method = "normal, Fleiss-Cohen-Everitt asymptotic variance"
    table = np.asarray(table, dtype=np.float64)
    nobs = int(round(table.sum()))
    if nobs == 0:
        return _undefined(0, "no item rated by both", method)
    p = table / table.sum()
    row, col = p.sum(1), p.sum(0)
    agree = 1.0 - weight_matrix(table.shape[0], weights)  # agreement weights, 1 on the diagonal
    po = float((agree * p).sum())
    pe = float(row @ agree @ col)
    if 1 - pe <= _EPS:
        return _undefined(nobs, "both raters used one and the same category only: expected agreement "
                                "is 1, so kappa is undefined", method)
    kappa = (po - pe) / (1 - pe)
    w_row = agree @ col          # weighted mean agreement of row category i
    w_col = row @ agree          # weighted mean agreement of column category j
    term = (p * (agree - (w_row[:, None] + w_col[None, :]) * (1 - kappa)) ** 2).sum()
    var = (term - (kappa - pe * (1 - kappa)) ** 2) / ((1 - pe) ** 2 * nobs)
    return _normal(kappa, var, nobs, confidence, -1.0, 1.0, method)


def cohen_kappa(a: np.ndarray, b: np.ndarray, *, weights: str | None = None,
                n_categories: int | None = None, confidence: float = 0.95) -> Coefficient:
    """Cohen's kappa between two raters over the items both rated (-1 = not rated).

    ``weights``: None, ``"linear"`` or ``"quadratic"``; weighted kappa needs codes that follow
    the category order (0 < 1 < ... < K-1).

    >>> round(cohen_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])).value, 3)
    0.5
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(f"a and b must be 1-d and of the same length, but a has shape {a.shape} and b has shape {b.shape}")
    _, k = check_codes(np.stack([a, b], axis=1), n_categories=n_categories)
    both = (a >= 0) & (b >= 0)
    table = np.bincount(a[both].astype(np.int64) * k + b[both], minlength=k * k).reshape(k, k)
    return cohen_kappa_from_table(table, weights=weights, confidence=confidence)


# ---------------------------------------------------------------- Krippendorff's alpha


def _delta(level: str, marginals: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """Squared distance matrices; ``marginals`` has shape (..., K) (batched for the bootstrap)."""
    k = marginals.shape[-1]
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        v = np.arange(k, dtype=np.float64) if values is None else np.asarray(values, np.float64)
        return (v[:, None] - v[None, :]) ** 2
    if level == "ordinal":
        cum = np.cumsum(marginals, axis=-1)
        idx = np.arange(k)
        lo = np.minimum(idx[:, None], idx[None, :])
        hi = np.maximum(idx[:, None], idx[None, :])
        between = cum[..., hi] - cum[..., lo] + marginals[..., lo]
        half = (marginals[..., :, None] + marginals[..., None, :]) / 2
        return (between - half) ** 2
    raise InputError(f"The 'level' parameter must be one of {list(LEVELS)}. Got {level!r} instead.")


def _alpha_from_coincidence(o: np.ndarray, level: str, values: np.ndarray | None,
                            distance: np.ndarray | None = None) -> np.ndarray:
    """alpha for one (K, K) or a batch (B, K, K) of coincidence matrices; NaN where undefined.
    ``distance``: a fixed (K, K) distance matrix in place of the level's (e.g. MASI on tag sets)."""
    n_c = o.sum(-1)
    n = n_c.sum(-1)
    delta = _delta(level, n_c, values) if distance is None else distance
    d_o = (o * delta).sum((-2, -1))
    d_e = (n_c[..., :, None] * n_c[..., None, :] * delta).sum((-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d_e > 0, 1.0 - (n - 1) * d_o / d_e, np.nan)


def _pattern_coincidences(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct per-item count vectors of pairable items, as coincidence contributions + freqs."""
    counts = np.asarray(counts, dtype=np.int64)
    m = counts.sum(1)
    c = counts[m >= 2]
    k = c.shape[1]
    base = int(c.sum(1).max()) + 1 if len(c) else 1
    if k * np.log2(base) < 62:
        keys = c @ (base ** np.arange(k, dtype=np.int64))
        _, first, freq = np.unique(keys, return_index=True, return_counts=True)
        pats = c[first]
    else:
        pats, freq = np.unique(c, axis=0, return_counts=True)
    pats = pats.astype(np.float64)
    mm = pats.sum(1)
    contrib = pats[:, :, None] * pats[:, None, :]
    contrib[:, np.arange(k), np.arange(k)] -= pats
    contrib /= (mm - 1)[:, None, None]
    return contrib.reshape(len(pats), k * k), freq


def krippendorff_alpha_from_counts(counts: np.ndarray, *, level: str = "nominal",
                                   values: np.ndarray | None = None, n_boot: int = 1000,
                                   seed: int | np.random.Generator = 0,
                                   confidence: float = 0.95, distance: np.ndarray | None = None) -> Coefficient:
    """:func:`krippendorff_alpha` from per-item category counts (see :func:`category_counts`).

    ``distance``: a (K, K) matrix of distances between the categories (0 on the diagonal), used
    as Krippendorff's delta in place of ``level``'s, e.g. MASI between tag sets
    (:func:`wslab.quality.agreement_tags.masi_alpha`)."""
    counts = np.asarray(counts, dtype=np.int64)
    k = counts.shape[1]
    if distance is not None and np.shape(distance) != (k, k):
        raise InputError(f"distance must be a ({k}, {k}) matrix, one row and column per category, but it has "
                         f"shape {np.shape(distance)}")
    if level not in LEVELS:
        raise InputError(f"The 'level' parameter must be one of {list(LEVELS)}. Got {level!r} instead.")
    if values is not None and len(values) != k:
        raise InputError(f"values must give one number per category, but there are {k} categories and {len(values)} values")
    method = "percentile bootstrap over items"
    m = counts.sum(1)
    pairable = m >= 2
    n_units = int(pairable.sum())
    if n_units == 0:
        return _undefined(0, "no item has two ratings", method)
    c = counts[pairable].astype(np.float64)
    w = c / (m[pairable] - 1)[:, None]
    o = w.T @ c - np.diag(w.sum(0))
    alpha = float(_alpha_from_coincidence(o, level, values, distance))
    if not np.isfinite(alpha):
        return _undefined(n_units, "only one category used in pairable ratings: expected disagreement "
                                   "is 0, so alpha is undefined", method)
    if n_units < 2 or n_boot <= 0:
        note = "fewer than two items: no confidence interval" if n_units < 2 else "bootstrap disabled"
        return Coefficient(alpha, None, n_units, None, method, note)
    contrib, freq = _pattern_coincidences(counts)
    n_pat = len(freq)
    budget = 4e8  # multiply-adds per call, ~ a second on a laptop core
    b_total = int(min(n_boot, max(200, budget // max(n_pat * k * k, 1))))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    p = freq / freq.sum()
    chunk = max(1, int(min(b_total, 2e7 // max(n_pat, 1))))
    reps = []
    for start in range(0, b_total, chunk):  # loop over replicate chunks, not items
        draws = rng.multinomial(n_units, p, size=min(chunk, b_total - start)).astype(np.float64)
        reps.append(_alpha_from_coincidence((draws @ contrib).reshape(-1, k, k), level, values, distance))
    reps = np.concatenate(reps)
    reps = reps[np.isfinite(reps)]
    extra = {"n_boot": int(b_total)}
    if len(reps) < 2:
        return Coefficient(alpha, None, n_units, None, method, "bootstrap replicates undefined", extra)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(reps, [tail, 100 - tail])
    return Coefficient(alpha, (float(lo), float(hi)), n_units, float(reps.std(ddof=1)), method, None, extra)


def krippendorff_alpha(codes: np.ndarray, *, level: str = "nominal", values: np.ndarray | None = None,
                       n_categories: int | None = None, n_boot: int = 1000,
                       seed: int | np.random.Generator = 0, confidence: float = 0.95) -> Coefficient:
    """Krippendorff's alpha with missing ratings; ``level`` nominal, ordinal or interval.

    Category codes follow the category order (needed for ordinal). ``values`` are the numeric
    values of the categories for interval data (default: 0..K-1, i.e. equal spacing).

    >>> round(krippendorff_alpha(np.array([[0, 0], [1, 1], [1, 0], [0, -1]])).value, 3)
    0.444
    """
    counts = category_counts(codes, n_categories=n_categories)
    return krippendorff_alpha_from_counts(counts, level=level, values=values, n_boot=n_boot,
                                          seed=seed, confidence=confidence)
