"""Counting votes: the one majority vote that label models (LF votes, -1 = abstain) and annotator
tables (class indices, NaN = not rated) share.

>>> import numpy as np
>>> vote_counts(np.array([[0, 1, 1], [-1, -1, 0]]), 2).tolist()
[[1, 2], [1, 0]]
>>> vote_counts(np.array([[0, 1, np.nan]]), 2).tolist()
[[1, 1]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["vote_counts"]


def vote_counts(votes: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, K) number of votes for each class in each row; abstains (-1) and NaN count for none."""
    return np.stack([(votes == k).sum(axis=1) for k in range(n_classes)], axis=1)
