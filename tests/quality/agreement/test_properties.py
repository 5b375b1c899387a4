"""Invariants over every coefficient: annotator order and label names do not matter."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import wslab.quality.agreement as agreement
from wslab.quality.agreement import (cohen_kappa, fleiss_kappa, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)

K = 3
# Every multi-rater coefficient, nominal: must not depend on rater order or category names.
REGISTRY = {
    "percent_agreement": lambda c: percent_agreement(c),
    "fleiss_kappa": lambda c: fleiss_kappa(c, ),
    "gwet_ac1": lambda c: gwet_ac1(c, n_categories=K),
    "krippendorff_alpha": lambda c: krippendorff_alpha(c, n_categories=K, n_boot=0),
}

codes_strategy = arrays(np.int64, st.tuples(st.integers(2, 25), st.integers(2, 5)),
                        elements=st.integers(-1, K - 1))


def test_registry_covers_every_public_coefficient():
    public = {name for name in ("percent_agreement", "fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
              if callable(getattr(agreement, name))}
    assert public == set(REGISTRY)


def _same(a, b):
    if a.value is None or b.value is None:
        return a.value is None and b.value is None
    return abs(a.value - b.value) < 1e-9 and a.n == b.n


@settings(max_examples=60, deadline=None)
@given(codes=codes_strategy, data=st.data())
def test_invariant_to_annotator_order_and_label_renaming(codes, data):
    perm = data.draw(st.permutations(range(codes.shape[1])))
    relabel = np.array(data.draw(st.permutations(range(K))))
    renamed = np.where(codes >= 0, relabel[np.maximum(codes, 0)], -1)
    for name, fn in REGISTRY.items():
        base = fn(codes)
        assert _same(base, fn(codes[:, list(perm)])), name
        assert _same(base, fn(renamed)), name


@settings(max_examples=60, deadline=None)
@given(codes=arrays(np.int64, st.tuples(st.integers(2, 30), st.just(2)), elements=st.integers(-1, K - 1)),
       data=st.data())
def test_cohen_symmetric_and_invariant_to_renaming(codes, data):
    relabel = np.array(data.draw(st.permutations(range(K))))
    renamed = np.where(codes >= 0, relabel[np.maximum(codes, 0)], -1)
    base = cohen_kappa(codes[:, 0], codes[:, 1], n_categories=K)
    assert _same(base, cohen_kappa(codes[:, 1], codes[:, 0], n_categories=K))
    assert _same(base, cohen_kappa(renamed[:, 0], renamed[:, 1], n_categories=K))
