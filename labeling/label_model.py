"""Snorkel's LabelModel, fitted by one function: :func:`fit_label_model`.

The model is fitted on the distinct vote patterns of the label matrix with their counts
(:mod:`wslab.labeling.patterns`), which gives the same parameters as a fit on every row, and
each pattern is predicted once. ``restarts`` fits from derived seeds are kept side by side
(:class:`LabelModelFit`), because a single Snorkel fit can collapse for an unlucky seed: Snorkel
scales its initial parameters by one ``np.random.random()`` draw after seeding (seen on the demo
project: seed 7 gave macro F1 0.30, other seeds 0.79-0.86). Which restart labels is chosen on
gold dev (:meth:`LabelModelFit.pick`; inside pipeline selection on the training folds only, so
the choice is out of fold); the training loss decides only without gold, or between restarts
that score the same on dev. The lowest loss is not a safe rule on its own: on WRENCH SemEval
three restarts reached losses 0.0087 / 0.0064 / 0.0072 at test macro F1 0.63 / 0.29 / 0.39.

:class:`LabelModelFits` holds every fit of one run, keyed by class prior and settings: the
label-model stage (which reports the learned LF accuracies) and pipeline selection (which scores
each label-model setting as a candidate) share them, so no setting is fitted twice.

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [1, 1, 1], [0, -1, 0], [1, 1, -1], [-1, -1, -1]] * 20)
>>> fit = fit_label_model(L, 2, n_epochs=50, restarts=2)
>>> len(fit.restarts), fit.aggregation().labels[:5].tolist()
(2, [0, 1, 0, 1, -1])
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from wslab.core.errors import ConfigError
from wslab.labeling.fast_label_model import EarlyStopping
from wslab.labeling.majority import Aggregation, majority_vote
from wslab.labeling.patterns import MIN_OVERLAP, VotePatterns, overlap_share, vote_patterns
from wslab.labeling.spec import ABSTAIN

__all__ = ["fit_label_model", "LabelModelFit", "Restart", "LabelModelFits", "EarlyStopping", "RestartScore"]

RestartScore = Callable[[np.ndarray, np.ndarray], float]
"""``score(y, probs) -> float``, higher is better: how a restart is scored on gold dev items."""

DEFAULT_EARLY_STOPPING = (1e-4, 50)
"""(tol, patience): measured on 6 synthetic matrices and WRENCH youtube and sms (3 x 500 epochs),
it changed no predicted label and ``mu`` by at most 3e-4; it stopped only on youtube (478 of 500)."""


@dataclass(frozen=True)
class Restart:
    """One Snorkel fit from one seed."""

    seed: int
    loss: float
    """Snorkel's training objective at the end of the fit (needs no labels)."""
    probs: np.ndarray
    """(p, K) class probabilities of each vote pattern; the prior on patterns without a vote."""
    lf_accuracies: np.ndarray
    """(m,) Snorkel's ``get_weights``: P(vote is right | the LF votes)."""
    mu: np.ndarray = field(repr=False)
    """(m*K, K) Snorkel's learned parameters."""
    epochs_run: int | None = None


@dataclass(frozen=True)
class LabelModelFit:
    """Snorkel's LabelModel fitted ``len(restarts)`` times on one label matrix (or not at all:
    ``restarts`` empty, ``note`` says why, and the probabilities are majority vote's)."""

    patterns: VotePatterns
    prior: np.ndarray
    restarts: tuple[Restart, ...]
    fallback: np.ndarray | None = field(default=None, repr=False)
    """(p, K) majority vote per pattern when no fit was made."""
    note: str | None = None

    @property
    def fitted(self) -> bool:
        return bool(self.restarts)

    def pick(self, rows: np.ndarray | None = None, y: np.ndarray | None = None, *,
             score: RestartScore | None = None) -> int:
        """The restart that labels: the best ``score(y, probs of rows)`` on the gold items at
        matrix rows ``rows`` (classes ``y``), the lower training loss among equal scores; without
        gold (or with one restart), the lowest training loss."""
        if not self.restarts:
            return -1
        losses = np.array([r.loss for r in self.restarts])
        if rows is None or y is None or score is None or len(y) == 0 or len(self.restarts) == 1:
            return int(np.argmin(losses))
        pat = self.patterns.inverse[np.asarray(rows)]
        values = np.array([score(np.asarray(y), r.probs[pat]) for r in self.restarts])
        best = np.flatnonzero(values >= values.max() - 1e-12)
        return int(best[np.argmin(losses[best])])

    def pattern_probs(self, restart: int | None = None) -> np.ndarray:
        """(p, K) probabilities of each vote pattern from ``restart`` (default: lowest loss)."""
        if not self.restarts:
            return self.fallback
        return self.restarts[self.pick() if restart is None else restart].probs

    def aggregation(self, restart: int | None = None, *, name: str = "label_model") -> Aggregation:
        """Row-level probabilities (rows of the fitted matrix) from ``restart`` (default: lowest loss)."""
        p = self.patterns
        if p.inverse is None:
            raise ValueError("the vote patterns were grouped without the row -> pattern map (keep_inverse=False)")
        covered = (p.votes != ABSTAIN).any(axis=1)
        acc = self.restarts[self.pick() if restart is None else restart].lf_accuracies if self.restarts else None
        return Aggregation(name, self.pattern_probs(restart)[p.inverse], covered[p.inverse], lf_accuracies=acc,
                           note=self.note)


def fit_label_model(L: np.ndarray | pl.DataFrame | pl.LazyFrame | VotePatterns, n_classes: int, *,
                    prior: np.ndarray | None = None, n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0,
                    seed: int = 0, restarts: int = 3, fast: bool = True,
                    early_stopping: EarlyStopping | tuple[float, int] | None = DEFAULT_EARLY_STOPPING,
                    min_overlap: float = MIN_OVERLAP, progress_bar: bool = False,
                    on_fit: Callable[[float], None] | None = None) -> LabelModelFit:
    """Fit Snorkel's LabelModel ``restarts`` times (seeds ``seed + 7919 * r``) on ``L``'s vote patterns.

    ``L``: an (n, m) array (-1 = abstain), a Polars frame of vote columns (every column but
    ``id``), or its :class:`~wslab.labeling.patterns.VotePatterns`. With ``restarts=1`` the
    result equals ``LabelModel.fit(L, seed=seed)`` then ``predict_proba(L)``. ``fast`` (default)
    evaluates Snorkel's objective without its dense (m*K)^2 masks, with the same learned
    parameters (:mod:`wslab.labeling.fast_label_model`); ``early_stopping=(tol, patience)`` ends
    a fit whose loss improved by less than ``tol`` (relative) over ``patience`` epochs (None:
    every epoch runs, as Snorkel). When fewer than ``min_overlap`` of the covered rows hold votes
    of 2+ LFs, the fit cannot learn LF accuracies: no fit is made, and the result holds majority
    vote's probabilities and a ``note`` (``min_overlap=0`` always fits). ``on_fit(loss)`` is
    called after each fit (progress). Snorkel seeds numpy and torch globally inside ``fit``;
    that is Snorkel's behaviour.
    """
    p = L if isinstance(L, VotePatterns) else vote_patterns(L)
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    if isinstance(early_stopping, tuple):  # the default stops only fast fits (Snorkel's own loss runs every epoch)
        early_stopping = EarlyStopping(*early_stopping) if fast else None
    share = overlap_share(p.votes, p.counts)
    if share < min_overlap:
        note = (f"label model not fitted: only {share:.2%} of the rows with a vote have votes from 2 or more LFs "
                f"(at least {min_overlap:.0%} needed); Snorkel's label model learns LF accuracies from LFs voting "
                "on the same rows, so majority vote labels the data")
        return LabelModelFit(p, prior, (), fallback=majority_vote(p.votes, n_classes, prior=prior).probs, note=note)
    covered = (p.votes != ABSTAIN).any(axis=1)
    out = []
    for r in range(max(restarts, 1)):
        model = _fit_lowering_lr(p.votes, p.counts, n_classes, prior=prior, n_epochs=n_epochs, lr=lr, l2=l2,
                                 seed=seed + 7919 * r, progress_bar=progress_bar, fast=fast,
                                 early_stopping=early_stopping)
        out.append(_restart(model, seed + 7919 * r, l2, p.votes, covered, prior))
        if on_fit is not None:
            on_fit(out[-1].loss)
    return LabelModelFit(p, prior, tuple(out))


def _restart(model, seed: int, l2: float, votes: np.ndarray, covered: np.ndarray, prior: np.ndarray) -> Restart:
    import torch

    with torch.no_grad():
        loss = float(model._loss_mu(l2=l2))
    probs = np.where(covered[:, None], model.predict_proba(votes), prior)
    return Restart(seed=seed, loss=loss, probs=probs, lf_accuracies=np.asarray(model.get_weights(), dtype=float),
                   mu=model.mu.detach().cpu().numpy().copy(), epochs_run=getattr(model, "epochs_run", None))


class LabelModelFits:
    """Every label-model fit of one label matrix in one run, each made once: keyed by the class
    prior and the fit settings. The label-model stage and pipeline selection ask it for fits."""

    def __init__(self, patterns: VotePatterns, n_classes: int, *, seed: int = 0) -> None:
        self.patterns, self.n_classes, self.seed = patterns, n_classes, seed
        self._fits: dict[tuple, LabelModelFit] = {}
        self._lock = threading.Lock()  # one fit at a time: Snorkel seeds numpy's global generator inside fit

    def __len__(self) -> int:
        return len(self._fits)

    def fit(self, prior: np.ndarray, *, on_fit: Callable[[float], None] | None = None, **settings) -> LabelModelFit:
        """:func:`fit_label_model` on the patterns with ``prior`` and ``settings`` (made on first use)."""
        prior = np.asarray(prior, dtype=float)
        key = (prior.round(12).tobytes(), tuple(sorted(settings.items())))
        with self._lock:
            if key not in self._fits:
                self._fits[key] = fit_label_model(self.patterns, self.n_classes, prior=prior, seed=self.seed,
                                                  on_fit=on_fit, **settings)
            return self._fits[key]


NAN_LR_STEPS = 3
"""A fit whose loss becomes NaN is repeated at a tenth of the learning rate, at most this many times."""


def _fit_lowering_lr(patterns: np.ndarray, counts: np.ndarray, n_classes: int, *, lr: float, **kwargs):
    """:func:`_fit_once`; when Snorkel stops with "Loss is NaN" (seen with 500 keyword LFs at lr
    0.01; lr 0.001 converged), fit again at lr / 10, as its message advises. The model's
    ``lr_used`` says which rate fitted. Still NaN after :data:`NAN_LR_STEPS` steps: a ConfigError."""
    rate = lr
    for _ in range(NAN_LR_STEPS + 1):
        try:
            model = _fit_once(patterns, counts, n_classes, lr=rate, **kwargs)
        except Exception as exc:  # Snorkel raises a bare Exception for a NaN loss
            if "Loss is NaN" not in str(exc):
                raise
            rate /= 10
            continue
        model.lr_used = rate
        return model
    raise ConfigError(f"key 'label_model.lr': Snorkel's loss became NaN at lr {lr:g} and at every tenth of it down "
                      f"to {rate * 10:g} ({patterns.shape[1]} LFs); expected a smaller label_model.lr, fewer LFs, "
                      "or selection.candidate: majority_vote")


def _fit_once(patterns: np.ndarray, counts: np.ndarray, n_classes: int, *, prior: np.ndarray, n_epochs: int,
              lr: float, l2: float, seed: int, progress_bar: bool = False, fast: bool = True,
              early_stopping: EarlyStopping | None = None):
    """One Snorkel fit on vote patterns with counts; equal to a fit on the expanded matrix.

    ``patterns``: (p, m) votes in -1..K-1; ``counts``: (p,) positive integers. Returns the fitted
    ``snorkel.labeling.model.LabelModel`` (a subclass); ``fast=False`` runs Snorkel's own loss.
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if patterns.ndim != 2 or counts.shape != (patterns.shape[0],):
        raise ValueError(f"patterns must be (p, m) and counts (p,); got {patterns.shape} and {counts.shape}")
    if (counts <= 0).any():
        raise ValueError("counts must be positive")
    if early_stopping is not None and not fast:
        raise ValueError("early_stopping needs the fast loss (fast=True)")
    model = _label_model_class(fast)(cardinality=n_classes, verbose=False, device="cpu")
    model._row_counts = counts
    if fast:
        model.early_stopping = early_stopping
    import torch

    threads = torch.get_num_threads()
    # the fit works on (m*K)^2 matrices: one thread is faster than several (20x on a busy 2-core machine);
    # the setting is restored afterwards
    torch.set_num_threads(1)
    try:
        model.fit(L_train=patterns, class_balance=prior, n_epochs=n_epochs, lr=lr, l2=l2, seed=seed,
                  progress_bar=progress_bar)
    finally:
        model._row_counts = None
        torch.set_num_threads(threads)
    # Snorkel stores per-LF coverage of the training matrix; weight it by the counts too
    model.coverage = ((patterns != ABSTAIN) * counts[:, None]).sum(axis=0) / counts.sum()
    return model


_MODEL_CLASSES: dict[bool, type] = {}


def _label_model_class(fast: bool) -> type:
    """The weighted LabelModel (Snorkel's loss), or it with the exact fast loss of
    :mod:`wslab.labeling.fast_label_model`; built once (importing snorkel is slow)."""
    if fast not in _MODEL_CLASSES:
        from wslab.labeling.fast_label_model import fast_label_model_class

        weighted = _weighted_label_model_class()
        _MODEL_CLASSES[False] = weighted
        _MODEL_CLASSES[True] = fast_label_model_class(weighted)
    return _MODEL_CLASSES[fast]


def _weighted_label_model_class():
    from snorkel.labeling.model import LabelModel

    class WeightedLabelModel(LabelModel):
        """Snorkel's LabelModel whose training rows carry counts (rows repeated ``counts`` times)."""

        _row_counts: np.ndarray | None = None

        def _generate_O(self, L: np.ndarray, higher_order: bool = False) -> None:
            import torch
            from scipy import sparse

            if self._row_counts is None:
                return super()._generate_O(L, higher_order=higher_order)
            # Snorkel's own bookkeeping (clique data) without its dense (p, m*K) indicator matrix
            n_patterns, self.n = self.n, 1
            super()._get_augmented_label_matrix(L[:1], higher_order=higher_order)
            self.n = n_patterns
            k = self.cardinality
            rows, lfs = np.nonzero(L)  # L is shifted: 0 = abstain, 1..K = class
            indicator = sparse.csr_matrix((np.ones(len(rows)), (rows, lfs * k + L[rows, lfs] - 1)),
                                          shape=(L.shape[0], self.m * k))
            self.d = self.m * k
            weighted = sparse.diags(self._row_counts.astype(np.float64)) @ indicator
            n = float(self._row_counts.sum())
            # integer sums, exact in float64: the same O as Snorkel's L_aug.T @ L_aug / n on the raw rows
            self.O = torch.from_numpy((indicator.T @ weighted).toarray() / n).float().to(self.config.device)
            # the rest of fit (the mu_eps clamp) reads the row count of the *raw* matrix
            self.n = int(self._row_counts.sum())

    return WeightedLabelModel
