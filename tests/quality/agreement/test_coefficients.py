"""Agreement coefficients against reference libraries and published values."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from wslab.quality.agreement import (category_counts, cohen_kappa, fleiss_kappa,
                                     fleiss_kappa_per_category, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)
from wslab.quality.bands import band

# Fleiss (1971) psychiatric diagnoses: 30 subjects, 6 raters, 5 categories (as in statsmodels/irr).
DIAGNOSES = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]) - 1

# Krippendorff's canonical reliability data: 4 coders (rows) x 12 units, values 1..5, nan = missing.
KRIPP = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
    [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
])


@pytest.fixture
def kripp_codes():
    return np.where(np.isnan(KRIPP), -1, KRIPP - 1).T.astype(np.int64)


@pytest.fixture
def random_ratings():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 4, 300)
    noise = rng.integers(0, 4, (300, 5))
    return np.where(rng.random((300, 5)) < 0.35, noise, truth[:, None])


def test_fleiss_1971_published_values():
    res = fleiss_kappa(DIAGNOSES)
    assert res.value == pytest.approx(0.4302445, abs=1e-7)  # irr::kappam.fleiss, Fleiss (1971) 0.430
    assert res.n == 30
    per_cat = [c.value for c in fleiss_kappa_per_category(DIAGNOSES)]
    assert per_cat == pytest.approx([0.245, 0.245, 0.520, 0.471, 0.566], abs=5e-4)  # Fleiss (1971) table


def test_fleiss_matches_statsmodels(random_ratings):
    table, _ = aggregate_raters(random_ratings)
    assert fleiss_kappa(random_ratings).value == pytest.approx(sm_fleiss_kappa(table), abs=1e-12)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_statsmodels_and_sklearn(random_ratings, weights):
    a, b = random_ratings[:, 0], random_ratings[:, 1]
    res = cohen_kappa(a, b, weights=weights, n_categories=4)
    table = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
    ref = sm_cohens_kappa(table, wt=weights) if weights else sm_cohens_kappa(table)
    assert res.value == pytest.approx(ref.kappa, abs=1e-12)
    assert res.se ** 2 == pytest.approx(ref.var_kappa, rel=1e-10)
    assert res.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)
    lo, hi = res.ci
    assert lo == pytest.approx(res.value - 1.959964 * res.se, abs=1e-5)
    assert hi == pytest.approx(res.value + 1.959964 * res.se, abs=1e-5)


def test_cohen_ignores_missing():
    a = np.array([0, 1, 1, -1, 0, 1])
    b = np.array([0, 1, 0, 1, -1, 1])
    res = cohen_kappa(a, b)
    assert res.n == 4
    assert res.value == pytest.approx(cohen_kappa_score([0, 1, 1, 1], [0, 1, 0, 1]))


@pytest.mark.parametrize("level,published", [("nominal", 0.743), ("interval", 0.849)])
def test_krippendorff_canonical(kripp_codes, level, published):
    res = krippendorff_alpha(kripp_codes, level=level, values=np.arange(1, 6))
    assert res.value == pytest.approx(published, abs=5e-4)
    assert res.value == pytest.approx(krippendorff.alpha(KRIPP, level_of_measurement=level), abs=1e-12)
    assert res.n == 11  # unit 12 has one value only
    assert res.ci[0] <= res.value <= res.ci[1]


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_krippendorff_matches_package_with_missing(level):
    rng = np.random.default_rng(3)
    codes = np.where(rng.random((200, 6)) < 0.3, -1, np.minimum(rng.integers(0, 5, (200, 1)) + rng.integers(0, 2, (200, 6)), 4))
    ref = krippendorff.alpha(np.where(codes < 0, np.nan, codes).T.astype(float), level_of_measurement=level)
    assert krippendorff_alpha(codes, level=level, n_boot=0).value == pytest.approx(ref, abs=1e-10)


def test_gwet_irrcac_published(kripp_codes):
    # irrCAC (Gwet) documentation, cac.raw4raters = the same 4 x 12 data set:
    # AC1 0.7754 (SE 0.1430), Fleiss' kappa 0.7612, percent agreement 0.8182
    ac1 = gwet_ac1(kripp_codes, n_categories=5)
    assert ac1.value == pytest.approx(0.77544, abs=5e-5)
    assert ac1.se == pytest.approx(0.14295, abs=5e-5)
    assert fleiss_kappa(kripp_codes).value == pytest.approx(0.7612, abs=5e-5)
    assert percent_agreement(kripp_codes).value == pytest.approx(0.8181818, abs=1e-7)


def _gwet_reference(codes, kind, q):
    """Item-by-item transcription of irrCAC's fleiss.kappa.raw / gwet.ac1.raw (unweighted)."""
    rows = [[int(v) for v in row if v >= 0] for row in codes]
    rows = [r for r in rows if r]
    n = len(rows)
    n2 = sum(len(r) >= 2 for r in rows)
    pa = sum(sum(r.count(k) * (r.count(k) - 1) for k in range(q)) / (len(r) * (len(r) - 1))
             for r in rows if len(r) >= 2) / n2
    pi = [sum(r.count(k) / len(r) for r in rows) / n for k in range(q)]
    pe = sum(p * p for p in pi) if kind == "fleiss" else sum(p * (1 - p) for p in pi) / (q - 1)
    coef = (pa - pe) / (1 - pe)
    total = 0.0
    for r in rows:
        m = len(r)
        pa_i = sum(r.count(k) * (r.count(k) - 1) for k in range(q)) / (m * (m - 1)) if m >= 2 else 0.0
        c_i = (n / n2) * (pa_i - pe * (m >= 2)) / (1 - pe)
        if kind == "fleiss":
            pe_i = sum(r.count(k) * pi[k] for k in range(q)) / m
        else:
            pe_i = sum(r.count(k) * (1 - pi[k]) for k in range(q)) / (m * (q - 1))
        total += (c_i - 2 * (1 - coef) * (pe_i - pe) / (1 - pe) - coef) ** 2
    return coef, total / (n * (n - 1))


@pytest.mark.parametrize("kind", ["fleiss", "ac1"])
def test_unequal_raters_match_item_by_item_reference(kind):
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 3, 80)
    codes = np.where(rng.random((80, 4)) < 0.3, rng.integers(0, 3, (80, 4)), truth[:, None])
    codes[rng.random((80, 4)) < 0.35] = -1  # 1 to 4 raters per item, some items with none
    res = fleiss_kappa(codes) if kind == "fleiss" else gwet_ac1(codes, n_categories=3)
    coef, var = _gwet_reference(codes, kind, 3)
    assert res.value == pytest.approx(coef, abs=1e-12)
    assert res.se ** 2 == pytest.approx(var, rel=1e-10)


def test_percent_agreement_by_hand():
    res = percent_agreement(np.array([[0, 0, 1], [1, 1, 1], [0, -1, -1]]))
    assert res.value == pytest.approx((1 / 3 + 1) / 2)
    assert res.n == 2


def test_bootstrap_is_seeded(kripp_codes):
    a = krippendorff_alpha(kripp_codes, seed=5)
    b = krippendorff_alpha(kripp_codes, seed=5)
    c = krippendorff_alpha(kripp_codes, seed=6)
    assert a.ci == b.ci and a.ci != c.ci
    assert a.extra["n_boot"] == 1000


def test_counts_by_bincount():
    assert category_counts(np.array([[0, 2, -1], [1, 1, 1]]), n_categories=3).tolist() == [[1, 0, 1], [0, 3, 0]]


# ---------------------------------------------------------------- degenerate inputs


def test_one_category_used():
    codes = np.zeros((10, 3), dtype=np.int64)
    for res in (fleiss_kappa(codes), krippendorff_alpha(codes), cohen_kappa(codes[:, 0], codes[:, 1])):
        assert res.value is None and res.ci is None and "undefined" in res.note
    assert percent_agreement(codes).value == 1.0
    assert gwet_ac1(codes, n_categories=2).value == 1.0  # defined when two categories exist
    assert gwet_ac1(codes).value is None                # only one category exists


def test_one_annotator_and_no_overlap():
    one = np.array([[0], [1], [1]])
    never_twice = np.array([[0, -1], [-1, 1], [1, -1]])
    for codes in (one, never_twice):
        for res in (percent_agreement(codes), fleiss_kappa(codes), gwet_ac1(codes, n_categories=2),
                    krippendorff_alpha(codes)):
            assert res.value is None and res.n == 0 and res.note == "no item has two ratings"
    assert cohen_kappa(never_twice[:, 0], never_twice[:, 1]).note == "no item rated by both"


def test_single_item_has_value_without_ci():
    res = fleiss_kappa(np.array([[0, 0, 1]]), )
    assert res.ci is None and "fewer than two items" in res.note


def test_bands():
    assert [band(v) for v in (-0.1, 0.0, 0.2, 0.21, 0.6, 0.8, 0.81)] == [
        "poor", "slight", "slight", "fair", "moderate", "substantial", "almost perfect"]
    assert [band(v, "simple") for v in (0.59, 0.6, 0.8, 0.81)] == ["poor", "good", "good", "very high"]
    assert band(None) is None


@pytest.mark.parametrize("k, raters", [(3, 5), (2, 40), (8, 5), (30, 4)])
def test_count_patterns_are_the_rows_with_their_frequencies(k, raters):
    """Every coefficient sums over count patterns; the patterns must be exactly the distinct rows
    (small key space: bincount; large: sort; very many categories: unique rows)."""
    from wslab.quality.agreement import category_counts, count_patterns

    rng = np.random.default_rng(k)
    codes = rng.integers(-1, k, size=(500, raters))
    counts = category_counts(codes, n_categories=k)
    pats, freq = count_patterns(counts)
    rows, n = np.unique(counts, axis=0, return_counts=True)
    order = np.lexsort(pats.T[::-1])
    assert np.array_equal(pats[order], rows) and np.array_equal(freq[order], n)
