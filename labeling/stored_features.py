"""Features of a run's corpus rows, computed once and shared by every candidate and fold
(:class:`~wslab.labeling.candidates.TextFeatures`, :class:`~wslab.labeling.span_features.SpanFeatures`).

The featurizer learns its idf from the stored rows' inputs (no labels, so no fold leaks into
another); only the hashed columns those rows use are kept (a model fitted on them puts no weight
anywhere else); any other rows are featurized on demand with the same stateless hashing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from wslab.core.stats.hashing import select_columns, used_columns


class StoredFeatures:
    """``featurizer`` (``fit_transform`` / ``transform``) of ``fetch(rows)``, stored; ``self(pos)``
    the (len(pos), d) CSR of any corpus rows, on the same columns."""

    def __init__(self, featurizer: Any, fetch: Callable[[np.ndarray], Any], rows: np.ndarray) -> None:
        self.featurizer, self.fetch = featurizer, fetch
        self.rows = np.unique(rows)
        X = featurizer.fit_transform(fetch(self.rows))
        self.cols = used_columns(X)
        self.X = select_columns(X, self.cols)

    def stored_index(self, pos: np.ndarray) -> np.ndarray | None:
        """Where ``pos`` sit in the stored matrix, or None if any of them is not stored."""
        idx = np.minimum(np.searchsorted(self.rows, pos), len(self.rows) - 1)
        return idx if len(pos) and np.array_equal(self.rows[idx], pos) else None

    def __call__(self, pos: np.ndarray) -> sp.csr_matrix:
        pos = np.asarray(pos)
        idx = self.stored_index(pos)
        if idx is not None:
            return self.X[idx]
        return select_columns(self.featurizer.transform(self.fetch(pos)), self.cols)
