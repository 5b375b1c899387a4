"""Majority vote and the :class:`Aggregation` every label model returns.

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [1, 0, 1], [-1, -1, -1], [1, -1, 0], [1, 1, 1]])
>>> agg = majority_vote(L, 2)
>>> agg.covered.tolist()
[True, True, False, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wslab.core.artifacts import ABSTAIN
from wslab.core.stats.ties import probs_to_preds
from wslab.core.stats.votes import vote_counts


@dataclass(frozen=True)
class Aggregation:
    """Probabilistic labels from one label model."""

    name: str
    probs: np.ndarray
    """(n, K) class probabilities; uncovered rows hold the prior (and :attr:`labels` -1)."""
    covered: np.ndarray
    """(n,) True where at least one LF voted."""
    lf_accuracies: np.ndarray | None = None
    """(m,) each LF's accuracy as the label model learned it (Snorkel's ``get_weights``: P(vote is
    right | the LF votes)); None for majority vote."""
    note: str | None = None
    """Why the model was not what its name says, e.g. a label model that was not fitted because
    the LFs almost never overlap (then ``probs`` are majority vote's); None when nothing to say."""

    @property
    def labels(self) -> np.ndarray:
        """(n,) class indices, ``-1`` (abstain) where no LF voted, as Snorkel's label models
        return them; :meth:`predict` with ``fill_uncovered=True`` gives those rows a class too."""
        return self.predict()

    def predict(self, *, fill_uncovered: bool = False) -> np.ndarray:
        """(n,) class indices: the argmax of ``probs`` (ties broken as :func:`probs_to_preds`);
        where no LF voted ``-1``, or with ``fill_uncovered`` the prior's class.

        >>> agg = majority_vote(np.array([[1, -1], [-1, -1]]), 2, prior=np.array([0.7, 0.3]))
        >>> agg.labels.tolist(), agg.predict(fill_uncovered=True).tolist()
        ([1, -1], [1, 0])
        """
        preds = probs_to_preds(self.probs)
        return preds if fill_uncovered else np.where(self.covered, preds, ABSTAIN)

    @property
    def confidence(self) -> np.ndarray:
        return self.probs.max(axis=1)


def class_prior(y: np.ndarray | None, n_classes: int, *, smoothing: float = 1.0) -> np.ndarray:
    """Class frequencies of ``y`` with additive smoothing; uniform when ``y`` is None or empty."""
    if y is None or len(y) == 0:
        return np.full(n_classes, 1.0 / n_classes)
    counts = np.bincount(y, minlength=n_classes).astype(float) + smoothing
    return counts / counts.sum()


def majority_vote(L: np.ndarray, n_classes: int, *, prior: np.ndarray | None = None) -> Aggregation:
    """Vote shares per row (ties stay tied in ``probs``); uncovered rows get ``prior``."""
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    counts = vote_counts(L, n_classes).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    covered = total[:, 0] > 0
    probs = np.where(covered[:, None], counts / np.maximum(total, 1), prior)
    return Aggregation("majority_vote", probs, covered)
