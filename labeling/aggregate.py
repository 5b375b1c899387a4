"""Label models: turn a label matrix (n x m, -1 = abstain) into probabilistic labels.

Majority vote is the baseline, always computed beside Snorkel's LabelModel. Rows where no LF
voted are *uncovered*: both models give them the class prior and mark them so the end model
can label them instead.

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [1, 0, 1], [-1, -1, -1], [1, -1, 0], [1, 1, 1]])
>>> agg = majority_vote(L, 2)
>>> agg.labels.tolist(), agg.covered.tolist()
([0, 1, 0, 0, 1], [True, True, False, True, True])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wslab.labeling.spec import ABSTAIN


@dataclass(frozen=True)
class Aggregation:
    """Probabilistic labels from one label model."""

    name: str
    probs: np.ndarray
    """(n, K) class probabilities; uncovered rows hold the prior."""
    covered: np.ndarray
    """(n,) True where at least one LF voted."""

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probs.max(axis=1)


def vote_counts(L: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, K) number of votes for each class in each row."""
    return np.stack([(L == k).sum(axis=1) for k in range(n_classes)], axis=1)


def class_prior(y: np.ndarray | None, n_classes: int, *, smoothing: float = 1.0) -> np.ndarray:
    """Class frequencies of ``y`` with additive smoothing; uniform when ``y`` is None or empty."""
    if y is None or len(y) == 0:
        return np.full(n_classes, 1.0 / n_classes)
    counts = np.bincount(y, minlength=n_classes).astype(float) + smoothing
    return counts / counts.sum()


def majority_vote(L: np.ndarray, n_classes: int, *, prior: np.ndarray | None = None) -> Aggregation:
    """Vote shares per row; ties are broken toward the more frequent class of ``prior``."""
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    counts = vote_counts(L, n_classes).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    covered = total[:, 0] > 0
    # a tiny prior-proportional nudge decides ties without changing any clear majority
    shares = np.where(covered[:, None], (counts + 1e-6 * prior) / np.maximum(total, 1), prior)
    probs = shares / shares.sum(axis=1, keepdims=True)
    return Aggregation("majority_vote", probs, covered)


def snorkel_label_model(L: np.ndarray, n_classes: int, *, prior: np.ndarray | None = None,
                        n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0, seed: int = 0,
                        progress_bar: bool = False) -> Aggregation:
    """Fit Snorkel's LabelModel on ``L`` and predict every row.

    The model is fitted on all rows (Snorkel's objective uses the LF overlap matrix over the
    whole matrix) and predicts only the distinct vote patterns, mapped back to rows.
    Snorkel seeds numpy and torch globally inside ``fit``; that is Snorkel's behaviour.
    """
    from snorkel.labeling.model import LabelModel

    L = np.asarray(L, dtype=np.int64)
    covered = (L != ABSTAIN).any(axis=1)
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    model = LabelModel(cardinality=n_classes, verbose=False, device="cpu")
    model.fit(L_train=L, class_balance=prior, n_epochs=n_epochs, lr=lr, l2=l2, seed=seed,
              progress_bar=progress_bar)
    patterns, inverse = np.unique(L, axis=0, return_inverse=True)
    probs = model.predict_proba(patterns)[inverse.reshape(-1)]
    probs = np.where(covered[:, None], probs, prior)
    return Aggregation("label_model", probs, covered)
