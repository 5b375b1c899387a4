"""Label issues by confident learning (cleanlab) on out-of-sample predicted probabilities.

Labels are integer class indices ``0..K-1`` into a list of class names. The predicted
probabilities come from stratified K-fold cross-validation, so each item is scored by a model
that never saw it; cleanlab then finds the items whose given label is unlikely.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
from joblib import Parallel, cpu_count, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from wslab.core.errors import InputError
from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.features import default_text_classifier
from wslab.core.stats.ties import probs_to_preds
from wslab.core.stats.votes import vote_counts

PARALLEL_MIN_ROWS = 10_000
"""Below this many rows the cross-validation folds are fitted one after the other by default."""

__all__ = [
    "check_class_counts",
    "default_cv_classifier",
    "out_of_sample_pred_probs",
    "find_label_issues",
    "MultiAnnotatorResult",
    "multiannotator_consensus",
]


def check_class_counts(labels: np.ndarray, class_names: list[str], *, folds: int,
                       source: str = "labels") -> int:
    """Return the number of folds to use, or raise InputError.

    A single class, or a class with one example, is an error. When the smallest class has
    fewer examples than ``folds`` (but at least 2), the fold count is lowered to that size —
    the documented fallback; the caller reports it.
    """
    counts = np.bincount(labels, minlength=len(class_names))
    present = np.flatnonzero(counts)
    if present.size < 2:
        only = class_names[present[0]] if present.size else "(none)"
        raise InputError(f"{source}: every labelled row has the class {only!r}; expected at least two classes "
                         "to find label issues")
    smallest = present[np.argmin(counts[present])]
    if counts[smallest] < 2:
        raise InputError(f"{source}: class {class_names[smallest]!r} has 1 example; expected at least 2 per "
                         "class for cross-validation (drop or relabel it)")
    if folds < 2:
        raise InputError(f"{source}: folds={folds}; expected at least 2")
    return int(min(folds, counts[smallest]))


def default_cv_classifier(n_classes: int, *, C: float = 4.0, seed: int | None = None):
    """Return the unfitted classifier that cross-validation clones for each fold.

    The model is the one of :func:`~wslab.core.stats.features.default_text_classifier` (L2
    logistic regression, ``C=4``); only the solver differs. For two classes it is solved in the
    dual by liblinear's coordinate descent, which on sparse TF-IDF features with many more
    columns than rows reaches the same optimum several times faster than lbfgs (5-fold CV over
    100,000 short documents: 33 s instead of 110 s; on WRENCH youtube the out-of-sample
    probabilities differ from lbfgs's by at most 0.055, liblinear also penalising the
    intercept, and flipped-label detection is unchanged; see benchmarks/results/issues.md).
    liblinear handles two classes only, so with more classes the multinomial lbfgs model is kept.

    >>> default_cv_classifier(2).solver, default_cv_classifier(3).solver
    ('liblinear', 'lbfgs')
    """
    if n_classes == 2:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000, random_state=seed)
    return default_text_classifier(C=C, seed=seed)


def out_of_sample_pred_probs(
    X,
    labels: np.ndarray,
    *,
    n_classes: int,
    model=None,
    folds: int = 5,
    seed: int | None = 0,
    n_jobs: int | None = None,
    reporter: Reporter | None = None,
) -> np.ndarray:
    """Return pred_probs of shape (N, n_classes) from stratified K-fold cross-validation.

    ``X`` : array or sparse matrix of shape (N, D); ``labels`` : int array of shape (N,).
    ``model`` is any scikit-learn classifier with ``predict_proba`` (default
    :func:`default_cv_classifier`); it is cloned for each fold.
    Classes absent from a training fold get probability 0.

    The folds are fitted in parallel worker processes, ``n_jobs`` at a time (default: one per
    fold, at most one per available core, and one after the other below
    :data:`PARALLEL_MIN_ROWS` rows, where starting the workers costs more than it saves). Each
    fold's model runs single-threaded, in a worker or not, so the result is the same for every
    ``n_jobs``, bit for bit. Processes rather than threads: liblinear draws from the C library's
    global random state, which threads would share.
    """
    labels = np.asarray(labels)
    if X.shape[0] != labels.shape[0]:
        raise ValueError(f"X and labels must be same length, but X is length {X.shape[0]} and labels "
                         f"is length {labels.shape[0]}.")
    model = model if model is not None else default_cv_classifier(n_classes, seed=seed)
    pred_probs = np.zeros((labels.shape[0], n_classes), dtype=np.float64)
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(labels.shape[0]), labels)
    if n_jobs is None:
        n_jobs = min(folds, cpu_count()) if X.shape[0] >= PARALLEL_MIN_ROWS else 1
    with get_reporter(reporter).task("cross-validated pred_probs", total=folds) as advance:
        fitted = Parallel(n_jobs=max(1, min(n_jobs, folds)), return_as="generator_unordered")(
            delayed(_fit_fold)(model, X, labels, train_idx, test_idx) for train_idx, test_idx in splits)
        for test_idx, classes, probs in fitted:
            pred_probs[np.ix_(test_idx, classes)] = probs
            advance(1)
    return pred_probs


def _fit_fold(model, X, labels: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray):
    """One fold: (test rows, the classes the fold's model knows, its (len(test), k) probabilities)."""
    fold_model = clone(model)
    with warnings.catch_warnings(), threadpool_limits(limits=1):  # the same sums whatever the parallelism
        warnings.simplefilter("ignore", category=UserWarning)
        fold_model.fit(X[train_idx], labels[train_idx])
        probs = fold_model.predict_proba(X[test_idx])
    return test_idx, fold_model.classes_.astype(int), probs


def find_label_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    filter_by: str = "prune_by_noise_rate",
    score_method: str = "self_confidence",
) -> pl.DataFrame:
    """Run cleanlab on out-of-sample ``pred_probs`` (N, K) for integer ``labels`` (N,).

    Returns one row per item, in input order, with columns ``is_label_issue`` (cleanlab's
    ``filter.find_label_issues``), ``label_quality`` (``rank.get_label_quality_scores``, higher
    = more likely correct), ``cleanlab_suggested`` (argmax of pred_probs, a class index) and
    ``p_suggested``.
    """
    from cleanlab.filter import find_label_issues as _find
    from cleanlab.rank import get_label_quality_scores

    labels = np.asarray(labels, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = _find(labels, pred_probs, filter_by=filter_by)
        quality = get_label_quality_scores(labels, pred_probs, method=score_method)
    suggested = pred_probs.argmax(axis=1)
    return pl.DataFrame({
        "is_label_issue": np.asarray(mask, dtype=bool),
        "label_quality": np.asarray(quality, dtype=np.float64),
        "cleanlab_suggested": suggested.astype(np.int64),
        "p_suggested": pred_probs[np.arange(len(labels)), suggested],
    })


@dataclass(frozen=True)
class MultiAnnotatorResult:
    """CROWDLAB output. ``items`` has one row per item (input order): ``consensus`` (class
    index), ``consensus_quality``, ``annotator_agreement``, ``num_annotations``; ``annotators``
    has one row per annotator: ``annotator``, ``annotator_quality``, ``agreement_with_consensus``,
    ``num_examples_labeled``, ``worst_class``."""

    items: pl.DataFrame
    annotators: pl.DataFrame


def majority_vote(labels_multiannotator: np.ndarray, *, rows: np.ndarray | None = None) -> np.ndarray:
    """Majority vote of an (N, M) float array of class indices with NaN for not rated.

    Ties are broken by the one tie rule of the label models
    (:func:`wslab.core.stats.ties.probs_to_preds`: at random, seeded by the row's index, or by
    ``rows[i]`` when given). Every row must have at least one rating. The counting is
    :func:`wslab.core.stats.votes.vote_counts`, shared with the label models.

    >>> majority_vote(np.array([[0, 1, 1], [2, np.nan, 2], [0, 1, np.nan]])).tolist()
    [1, 2, 0]
    """
    counts = vote_counts(labels_multiannotator, int(np.nanmax(labels_multiannotator)) + 1)
    return probs_to_preds(counts, rows=rows)


def multiannotator_consensus(
    labels_multiannotator: np.ndarray,
    pred_probs: np.ndarray,
    *,
    annotator_names: list[str],
) -> MultiAnnotatorResult:
    """Run cleanlab's CROWDLAB (``multiannotator.get_label_quality_multiannotator``).

    ``labels_multiannotator`` : float array (N, M) of class indices, NaN = not rated;
    ``pred_probs`` : (N, K) out-of-sample probabilities of a model trained on the majority vote.
    """
    from cleanlab.multiannotator import get_label_quality_multiannotator

    frame = pd.DataFrame(labels_multiannotator, columns=list(annotator_names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = get_label_quality_multiannotator(frame, pred_probs, verbose=False)
    lq = out["label_quality"]
    items = pl.DataFrame({
        "consensus": lq["consensus_label"].to_numpy().astype(np.int64),
        "consensus_quality": lq["consensus_quality_score"].to_numpy().astype(np.float64),
        "annotator_agreement": lq["annotator_agreement"].to_numpy().astype(np.float64),
        "num_annotations": lq["num_annotations"].to_numpy().astype(np.int64),
    })
    stats = out["annotator_stats"]
    annotators = pl.DataFrame({
        "annotator": [str(a) for a in stats.index],
        "annotator_quality": stats["annotator_quality"].to_numpy().astype(np.float64),
        "agreement_with_consensus": stats["agreement_with_consensus"].to_numpy().astype(np.float64),
        "num_examples_labeled": stats["num_examples_labeled"].to_numpy().astype(np.int64),
        "worst_class": stats["worst_class"].to_numpy().astype(np.int64),
    })
    return MultiAnnotatorResult(items=items, annotators=annotators)
