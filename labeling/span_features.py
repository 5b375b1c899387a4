"""Span-aware features of corpus rows, computed once per run and shared by the candidates that
use them (``gold_only+spans``, ``gold+votes+spans``; :mod:`wslab.labeling.candidates`).

The regions of each document (before, e1, between, e2, after: :mod:`wslab.core.stats.regions`)
are hashed apart, so a word between the two entities is another feature than the same word
after them. As :class:`~wslab.labeling.candidates.TextFeatures`, the idf is learnt from the
stored rows' texts (no labels), only the hashed columns they use are kept, and any other rows
are featurized on demand with the same stateless hashing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wslab.core.stats.regions import RegionTfidf
from wslab.labeling.stored_features import StoredFeatures

FetchRegions = Callable[[np.ndarray], dict[str, list[str]]]
"""Corpus positions -> their regions (:meth:`wslab.core.spans.EntitySpans.regions` of their texts)."""


class SpanFeatures(StoredFeatures):
    """Region TF-IDF (:class:`~wslab.core.stats.regions.RegionTfidf`) of the corpus rows ``rows``;
    ``self(pos)`` the (len(pos), d) CSR of any rows, on the same columns."""

    def __init__(self, fetch_regions: FetchRegions, rows: np.ndarray, *, max_features: int, n_jobs: int = 2):
        super().__init__(RegionTfidf(n_features=max_features, n_jobs=n_jobs), fetch_regions, rows)
        self.fetch_regions = fetch_regions
