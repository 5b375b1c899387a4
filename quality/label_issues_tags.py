"""Label issues of tag sets (multi-label): cleanlab's multi-label search on one-vs-rest probabilities.

``given`` is an (N, T) 0/1 matrix (item i has tag t); ``pred_probs`` an (N, T) matrix of
out-of-sample probabilities that each tag applies (one-vs-rest, the columns need not sum to 1).
cleanlab (``cleanlab.multilabel_classification``) takes the tags as lists of tag indices.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from wslab.core.errors import InputError
from wslab.core.progress import Reporter, get_reporter

__all__ = ["check_tag_matrix", "tag_lists", "out_of_sample_tag_probs", "find_tag_issues"]


def check_tag_matrix(given: np.ndarray, n_tags: int, *, source: str = "labels") -> np.ndarray:
    """``given`` as a uint8 (N, n_tags) 0/1 matrix, or InputError."""
    given = np.asarray(given)
    if given.ndim != 2 or given.shape[1] != n_tags:
        raise InputError(f"{source}: the tag matrix must have shape (items, {n_tags}), but it has shape {given.shape}")
    if given.size and not np.isin(given, (0, 1)).all():
        raise InputError(f"{source}: the tag matrix must hold 0 and 1 only")
    if given.shape[0] < 2:
        raise InputError(f"{source}: {given.shape[0]} labelled item(s); expected at least 2 to find label issues")
    return given.astype(np.uint8)


def tag_lists(given: np.ndarray) -> list[list[int]]:
    """cleanlab's multi-label ``labels``: per item the list of its tag indices.

    >>> tag_lists(np.array([[1, 0, 1], [0, 0, 0]]))
    [[0, 2], []]
    """
    rows, cols = np.nonzero(np.asarray(given))
    out: list[list[int]] = [[] for _ in range(len(given))]
    for r, c in zip(rows.tolist(), cols.tolist()):  # nonzero cells only
        out[r].append(c)
    return out


def out_of_sample_tag_probs(X, given: np.ndarray, *, folds: int = 5, seed: int = 0, model=None,
                            reporter: Reporter | None = None) -> np.ndarray:
    """(N, T) out-of-fold probabilities that each tag applies: one binary model per tag and fold.

    The folds are one shuffled K-fold split shared by every tag (seeded). A tag constant within
    a training fold (never or always given) gets that fold's share as its probability.
    ``model``: an unfitted binary classifier with ``predict_proba`` (default: the L2 logistic
    regression of :func:`wslab.quality.label_issues.default_cv_classifier`).
    """
    from wslab.quality.label_issues import default_cv_classifier

    given = np.asarray(given)
    n, t = given.shape
    if X.shape[0] != n:
        raise ValueError(f"X and given must be same length, but X is length {X.shape[0]} and given is length {n}.")
    folds = int(min(folds, n))
    if folds < 2:
        raise InputError(f"{n} item(s): expected at least 2 for cross-validation")
    base = model if model is not None else default_cv_classifier(2, seed=seed)
    probs = np.zeros((n, t), dtype=np.float64)
    splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n)))
    with get_reporter(reporter).task("cross-validated tag probabilities", total=folds) as advance:
        for train, test in splits:  # folds x tags fits
            for j in range(t):
                y = given[train, j]
                if y.min() == y.max():
                    probs[test, j] = float(y[0])
                    continue
                fitted = clone(base)
                with warnings.catch_warnings(), threadpool_limits(limits=1):
                    warnings.simplefilter("ignore", category=UserWarning)
                    fitted.fit(X[train], y)
                    probs[test, j] = fitted.predict_proba(X[test])[:, list(fitted.classes_).index(1)]
            advance(1)
    return probs


def find_tag_issues(given: np.ndarray, pred_probs: np.ndarray, *, threshold: float = 0.5) -> pl.DataFrame:
    """cleanlab's multi-label label-issue search.

    Returns one row per item (input order): ``is_label_issue`` (any tag looks wrong;
    ``multilabel_classification.filter.find_label_issues``), ``label_quality`` (the item's
    score, ``rank.get_label_quality_scores``, higher = more likely right), and per tag (lists, in
    tag order) ``tag_issue`` (``find_multilabel_issues_per_class``), ``tag_quality``
    (``rank.get_label_quality_scores_per_class``) and ``suggested`` (1 where ``pred_probs >=
    threshold``). A tag that every item has, or none, is not searched (one class only): its
    ``tag_quality`` is the probability of the given value, its ``tag_issue`` False.
    """
    from cleanlab.multilabel_classification.filter import find_label_issues, find_multilabel_issues_per_class
    from cleanlab.multilabel_classification.rank import get_label_quality_scores, get_label_quality_scores_per_class

    given = np.asarray(given)
    pred_probs = np.clip(np.asarray(pred_probs, dtype=np.float64), 1e-6, 1 - 1e-6)
    if given.shape != pred_probs.shape:
        raise ValueError(f"given and pred_probs must have the same shape, but given has shape {given.shape} and "
                         f"pred_probs has shape {pred_probs.shape}.")
    n, t = given.shape
    # a tag given to every item (or to none) has one class only: cleanlab cannot search it; its
    # label quality is the self-confidence of the given value and it is never an issue by itself
    varies = given.min(0) != given.max(0)
    per_tag = np.zeros((n, t), dtype=bool)
    tag_quality = np.where(given == 1, pred_probs, 1 - pred_probs)
    item_issue = np.zeros(n, dtype=bool)
    quality = tag_quality.min(1) if t else np.ones(n)
    if varies.sum() == 1:  # one searchable tag: cleanlab's binary search (its multi-label one needs two)
        from wslab.quality.label_issues import find_label_issues as binary_issues

        j = int(np.flatnonzero(varies)[0])
        found = binary_issues(given[:, j].astype(int), np.stack([1 - pred_probs[:, j], pred_probs[:, j]], axis=1))
        per_tag[:, j] = item_issue = found["is_label_issue"].to_numpy()
        tag_quality[:, j] = found["label_quality"].to_numpy()
        quality = tag_quality.min(1)
    elif varies.any():
        labels, probs = tag_lists(given[:, varies]), pred_probs[:, varies]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            item_issue = np.asarray(find_label_issues(labels, probs), dtype=bool)
            found = np.asarray(find_multilabel_issues_per_class(labels, probs), dtype=bool)
            quality = np.asarray(get_label_quality_scores(labels, probs), dtype=np.float64)
            scores = np.asarray(get_label_quality_scores_per_class(labels, probs), dtype=np.float64)
        k = int(varies.sum())
        per_tag[:, varies] = found if found.shape == (n, k) else found.T  # cleanlab returns (K, N)
        tag_quality[:, varies] = scores if scores.shape == (n, k) else scores.T
    return pl.DataFrame({
        "is_label_issue": item_issue | per_tag.any(1),
        "label_quality": quality,
        "tag_issue": per_tag.tolist(),
        "tag_quality": tag_quality.tolist(),
        "suggested": (pred_probs >= threshold).astype(np.int8).tolist(),
    })
