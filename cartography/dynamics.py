"""Training dynamics (Swayamdipta et al., 2020, "Dataset Cartography").

A model is trained for E epochs over the same examples it is scored on; after every epoch we
record, for each example, the probability the model gives to the example's *given* label and
whether its prediction equals that label. The data-map coordinates are then

- confidence  = mean over epochs of p(given label)
- variability = standard deviation over epochs of p(given label) (population std, as in the paper)
- correctness = fraction of epochs in which the model predicted the given label.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.special import expit
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier
from sklearn.utils import assert_all_finite
from threadpoolctl import threadpool_limits

from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.hashing import select_columns, used_columns

__all__ = ["TrainingDynamics", "default_dynamics_model", "record_training_dynamics", "cross_fitted_dynamics",
           "data_map_metrics"]


@dataclass(frozen=True)
class TrainingDynamics:
    """``gold_probs`` (E, N): p(given label) after each epoch; ``predictions`` (E, N): argmax
    class index after each epoch; ``labels`` (N,): the given labels."""

    gold_probs: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        return self.predictions == self.labels[None, :]


def default_dynamics_model(*, alpha: float = 1e-4, eta0: float = 0.1, seed: int | None = 0) -> SGDClassifier:
    """Logistic regression trained by SGD (one ``partial_fit`` call = one epoch).

    A constant-then-adaptive step size (``eta0``) rather than sklearn's "optimal" schedule keeps
    the model from memorising every label in the first epoch, so the epochs differ and the
    dynamics carry information (on the WRENCH youtube/sms data, "optimal" put flipped labels
    among the confident ones far more often; see benchmarks/results/issues.md).
    """
    return SGDClassifier(loss="log_loss", alpha=alpha, learning_rate="adaptive", eta0=eta0,
                         random_state=seed)


def record_training_dynamics(
    X,
    labels: np.ndarray,
    *,
    n_classes: int,
    epochs: int = 5,
    model=None,
    seed: int | None = 0,
    reporter: Reporter | None = None,
) -> TrainingDynamics:
    """Train ``model`` (anything with ``partial_fit`` and ``predict_proba``; default
    :func:`default_dynamics_model`) for ``epochs`` passes over ``X`` (N, D) in a fresh random
    order each epoch, and record p(given label) for every example after each epoch.
    """
    labels = np.asarray(labels, dtype=int)
    n = labels.shape[0]
    if X.shape[0] != n:
        raise ValueError(f"X and labels must be same length, but X is length {X.shape[0]} and labels "
                         f"is length {n}.")
    if epochs < 2:
        raise ValueError(f"epochs must be at least 2 to measure variability, got {epochs}.")
    rng = np.random.default_rng(seed)
    model = clone(model) if model is not None else default_dynamics_model(seed=seed)
    classes = np.arange(n_classes)
    gold = np.empty((epochs, n), dtype=np.float32)
    preds = np.empty((epochs, n), dtype=np.int64)
    with get_reporter(reporter).task("training dynamics", total=epochs) as advance:
        for e in range(epochs):
            order = rng.permutation(n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(X[order], labels[order], classes=classes)
            proba = np.zeros((n, n_classes), dtype=np.float64)
            proba[:, model.classes_.astype(int)] = model.predict_proba(X)
            gold[e] = proba[np.arange(n), labels]
            preds[e] = proba.argmax(axis=1)
            advance(1)
    return TrainingDynamics(gold_probs=gold, predictions=preds, labels=labels)


def cross_fitted_dynamics(
    X,
    labels: np.ndarray,
    *,
    n_classes: int,
    folds: int = 5,
    epochs: int = 5,
    model=None,
    seed: int | None = 0,
    reporter: Reporter | None = None,
) -> tuple[TrainingDynamics, np.ndarray]:
    """Training dynamics and out-of-sample probabilities from one set of fits.

    ``X`` (N, D), ``labels`` (N,) class indices. Stratified ``folds``-fold cross-fitting: for each
    fold a fresh ``model`` (default :func:`default_dynamics_model`) is trained for ``epochs``
    passes (``partial_fit``, each epoch warm-started from the last; SGD shuffles each epoch
    itself, from a per-fold random state, so no permuted copy of ``X`` is made) on
    the other folds' rows; after every epoch p(given label) is recorded for those training rows,
    and after the last epoch the fold's own rows are predicted. So each row gets
    ``(folds - 1) * epochs`` training-time observations (the data map: ``gold_probs`` of shape
    ((folds - 1) * epochs, N), one row per (training fold, epoch) in fold order) and one
    prediction by a model that never saw it (``pred_probs`` (N, n_classes), the input of
    confident learning). No separate cross-validation run and no separate cartography run.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels, dtype=int)
    n = labels.shape[0]
    if X.shape[0] != n:
        raise ValueError(f"X and labels must be same length, but X is length {X.shape[0]} and labels "
                         f"is length {n}.")
    if epochs < 1 or folds < 2 or (folds - 1) * epochs < 2:
        raise ValueError(f"folds must be at least 2, epochs at least 1 and (folds - 1) * epochs at least 2 to "
                         f"measure variability, got folds={folds} and epochs={epochs}.")
    fold_of = np.empty(n, dtype=np.int64)
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n), labels))
    for f, (_, test_idx) in enumerate(splits):
        fold_of[test_idx] = f
    gold = np.empty(((folds - 1) * epochs, n), dtype=np.float32)
    preds = np.empty(((folds - 1) * epochs, n), dtype=np.int64)
    pred_probs = np.zeros((n, n_classes), dtype=np.float64)
    # SGD's few level-1 BLAS calls per epoch wake OpenBLAS's second thread, which then spins idle
    # for ~0.06 CPU-s each time (a third of an epoch's CPU at 100,000 documents): one thread.
    # X is checked for NaN and infinity once here, not by every partial_fit (25 sums over X)
    assert_all_finite(X, input_name="X")
    if sp.issparse(X) and X.format == "csr":
        # only the columns where X has an entry: weights elsewhere stay zero under L2 from a zero start, so
        # the fits and probabilities are the same, and every epoch's weights (scored together below, (D,
        # 25 K) dense) shrink from the hashed width (2^19) to the used columns (demo, 50,000 documents: 6x)
        X = select_columns(X, used_columns(X))
    with get_reporter(reporter).task("training dynamics", total=folds * epochs) as advance, \
            threadpool_limits(limits=1, user_api="blas"), config_context(assume_finite=True):
        gather = _RowGather(X, [train_idx for train_idx, _ in splits])
        fits = [fit for f, (train_idx, _) in enumerate(splits)
                for fit in _fold_epochs(gather(train_idx), labels[train_idx], X, n_classes=n_classes, epochs=epochs,
                                        model=model, seed=(seed or 0, f), advance=advance)]
        probas = _scored(fits, X, n_classes)
    for f, (train_idx, test_idx) in enumerate(splits):
        slot = (f - (f > fold_of[train_idx])) * epochs  # this fold's place among each row's training folds
        y_train = labels[train_idx]
        for e in range(epochs):
            proba = probas[f * epochs + e]
            mine = proba[train_idx]
            gold[slot + e, train_idx] = mine[np.arange(len(train_idx)), y_train]
            preds[slot + e, train_idx] = mine.argmax(axis=1)
        pred_probs[test_idx] = proba[test_idx]  # the last epoch's model never saw the held-out rows
    return TrainingDynamics(gold_probs=gold, predictions=preds, labels=labels), pred_probs


def _fold_epochs(X_train, y_train: np.ndarray, X, *, n_classes: int, epochs: int, model, seed: tuple[int, int],
                 advance) -> list:
    """Train a fresh ``model`` for ``epochs`` passes on ``X_train`` (rows of ``X``); return what
    each epoch leaves to score every row of ``X``: a logistic SGD model's weights ``(coef,
    intercept, classes)`` (:func:`logistic_probas` scores them all later, every fold's epochs in
    one sparse product, ``X @ [w_1 ... w_25]``: 0.34 CPU-s at 100,000 documents where one
    product per fold took 0.78), any other model's (N, n_classes) ``predict_proba``. SGD
    shuffles each epoch itself, from a random state of ``seed`` (no permuted copy of ``X``)."""
    fold_model = clone(model) if model is not None else default_dynamics_model(seed=seed[0])
    if "random_state" in fold_model.get_params():  # a new order every epoch, without copying X
        fold_model.set_params(random_state=np.random.RandomState(np.random.SeedSequence(list(seed))
                                                                 .generate_state(1)[0]))
    classes = np.arange(n_classes)
    out = []
    for _ in range(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fold_model.partial_fit(X_train, y_train, classes=classes)
        out.append((fold_model.coef_.astype(np.float32 if X.dtype == np.float32 else fold_model.coef_.dtype),
                    fold_model.intercept_.copy(), fold_model.classes_)
                   if _is_logistic_sgd(fold_model) else _proba(fold_model, X, n_classes))
        advance(1)
    return out


def _scored(fits: list, X, n_classes: int) -> list[np.ndarray]:
    """Each fit's (N, n_classes) probabilities: weights scored together by :func:`logistic_probas`."""
    linear = [fit for fit in fits if isinstance(fit, tuple)]
    scored = iter(logistic_probas(X, linear, n_classes) if linear else [])
    return [next(scored) if isinstance(fit, tuple) else fit for fit in fits]


class _RowGather:
    """``X[rows]`` for sorted ``rows`` (each fold's training rows), for a CSR ``X`` written into one
    pair of buffers reused by every fold: a fresh matrix per fold (~150 MB at 100,000 documents)
    cost ~0.15 CPU-s each, mostly the kernel zeroing new pages. The same matrix as ``X[rows]``,
    its values as float64: scikit-learn's SGD on float32 input converts every weight it touches
    to double and back (100,000 documents: 0.13 against 0.11 CPU-s per epoch). The matrix returned
    is only valid until the next call. Any other ``X`` is indexed as usual."""

    def __init__(self, X, row_sets: list[np.ndarray]):
        self.X, self.csr = X, sp.issparse(X) and X.format == "csr"
        if self.csr:
            size = max(int(np.diff(X.indptr)[rows].sum()) for rows in row_sets)
            self.data, self.indices = np.empty(size, dtype=np.float64), np.empty(size, dtype=X.indices.dtype)

    def __call__(self, rows: np.ndarray):
        X = self.X
        if not self.csr:
            return X[rows]
        first = np.flatnonzero(np.diff(rows, prepend=-2) != 1)  # runs of consecutive rows
        last = np.append(first[1:], len(rows)) - 1
        indptr = np.zeros(len(rows) + 1, dtype=X.indptr.dtype)
        np.cumsum(np.diff(X.indptr)[rows], out=indptr[1:])
        at = 0
        for a, b in zip(X.indptr[rows[first]].tolist(), X.indptr[rows[last] + 1].tolist()):
            self.data[at:at + b - a] = X.data[a:b]
            self.indices[at:at + b - a] = X.indices[a:b]
            at += b - a
        return sp.csr_matrix((self.data[:at], self.indices[:at], indptr), shape=(len(rows), X.shape[1]))


def _is_logistic_sgd(model) -> bool:
    return isinstance(model, SGDClassifier) and model.loss == "log_loss"


def logistic_probas(X, weights: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_classes: int) -> list[np.ndarray]:
    """(N, n_classes) probabilities of ``X`` (N, D) under each linear model ``(coef (K', D),
    intercept (K',), classes)`` of ``weights`` as scikit-learn's ``_predict_proba_lr`` gives them
    (what a logistic ``SGDClassifier.predict_proba`` returns): the logistic of the score, binary as
    ``[1 - p, p]``, one-vs-rest normalised to sum 1. All models scored by one product, in ``X``'s
    precision: float32 features meet the weights rounded to float32 (a float64 product would first
    copy all of ``X`` to float64), so the probabilities equal ``predict_proba``'s to float32
    rounding, and to the bit for a model fitted in float32."""
    W = np.ascontiguousarray(np.concatenate([coef for coef, _, _ in weights]).T, dtype=X.dtype)  # (D, sum K')
    Z = X @ W
    Z = np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z)
    b = np.concatenate([intercept for _, intercept, _ in weights])
    Z = Z.astype(np.result_type(Z, b), copy=False)  # scikit-learn adds the (float64) intercept to the scores
    Z += b
    expit(Z, out=Z)
    out, at = [], 0
    for coef, _, classes in weights:
        k, cls = coef.shape[0], classes.astype(int)
        full = np.zeros((X.shape[0], n_classes), dtype=np.float64)
        if k == 1:
            full[:, cls[1]] = Z[:, at]
            full[:, cls[0]] = 1 - Z[:, at]
        else:
            prob = Z[:, at:at + k]
            total = prob.sum(axis=1)
            prob[total == 0] = 1  # all classes underflowed to 0: uniform, as scikit-learn does
            total[total == 0] = k
            full[:, cls] = prob / total.reshape((prob.shape[0], -1))
        at += k
        out.append(full)
    return out


def _proba(model, X, n_classes: int) -> np.ndarray:
    out = np.zeros((X.shape[0], n_classes), dtype=np.float64)
    out[:, model.classes_.astype(int)] = model.predict_proba(X)
    return out


def data_map_metrics(dynamics: TrainingDynamics) -> pl.DataFrame:
    """Per-example ``confidence``, ``variability``, ``correctness`` (input order).

    >>> d = TrainingDynamics(np.array([[0.2, 0.9], [0.6, 0.9]]), np.array([[1, 0], [0, 0]]), np.array([0, 0]))
    >>> data_map_metrics(d).rows()
    [(0.4, 0.2, 0.5), (0.9, 0.0, 1.0)]
    """
    g = dynamics.gold_probs.astype(np.float64)
    return pl.DataFrame({
        "confidence": np.round(g.mean(axis=0), 12),
        "variability": np.round(g.std(axis=0), 12),
        "correctness": dynamics.correct.mean(axis=0),
    })
