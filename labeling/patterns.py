"""Snorkel's LabelModel fitted on the distinct vote patterns of a label matrix, with their counts.

A label matrix of millions of rows usually holds only thousands of distinct rows (vote
patterns): each LF votes one of K classes or abstains, and most documents are touched by few
LFs. Snorkel's ``LabelModel.fit`` sees the data only through the overlap matrix
``O = L_aug^T L_aug / n`` (``_generate_O``) and the row count ``n`` (the clamp ``mu_eps``);
``predict_proba`` is a function of one row at a time. So fitting on the patterns, with
``O = L_aug^T diag(counts) L_aug / n``, gives *the same* ``mu`` as fitting on the raw matrix
(the integer sums are exact in float64, so ``O`` is bit-identical), and each pattern is
predicted once and joined back to its rows.

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [0, 0, -1], [1, -1, 1], [-1, -1, -1], [0, 0, -1]])
>>> p = vote_patterns(L)
>>> p.votes.tolist(), p.counts.tolist(), p.inverse.tolist()
([[-1, -1, -1], [0, 0, -1], [1, -1, 1]], [1, 3, 1], [1, 1, 2, 0, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from wslab.labeling.majority import Aggregation, majority_vote
from wslab.labeling.fast_label_model import EarlyStopping
from wslab.labeling.spec import ABSTAIN
from wslab.core.errors import ConfigError

__all__ = ["VotePatterns", "vote_patterns", "fit_pattern_label_model", "fit_label_model_on_patterns",
           "overlap_share", "EarlyStopping", "MIN_OVERLAP"]

MIN_OVERLAP = 0.01
"""Below this share of covered rows with votes from 2+ LFs, the label model is not fitted."""


@dataclass(frozen=True)
class VotePatterns:
    """The distinct rows of a label matrix."""

    votes: np.ndarray
    """(p, m) int64: each distinct row once, in lexicographic order."""
    counts: np.ndarray
    """(p,) int64: how many rows of the matrix hold each pattern."""
    inverse: np.ndarray | None
    """(n,) int64: the pattern of each row (None when the rows were not kept)."""
    columns: list[str]

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())


def _as_frame(L: np.ndarray | pl.DataFrame | pl.LazyFrame, columns: Sequence[str] | None) -> tuple[pl.LazyFrame, list[str]]:
    if isinstance(L, np.ndarray):
        if L.ndim != 2:
            raise ValueError(f"L must be a 2-d label matrix; got shape {L.shape}")
        cols = [f"lf{j}" for j in range(L.shape[1])]
        frame = pl.DataFrame({c: L[:, j] for j, c in enumerate(cols)}).lazy()
        return frame, cols
    lf = L.lazy() if isinstance(L, pl.DataFrame) else L
    names = lf.collect_schema().names()
    cols = list(columns) if columns is not None else [c for c in names if c != "id"]
    return lf, cols


def vote_patterns(L: np.ndarray | pl.DataFrame | pl.LazyFrame, *, columns: Sequence[str] | None = None,
                  keep_inverse: bool = True) -> VotePatterns:
    """Group a label matrix by its distinct rows, in Polars (streaming for a LazyFrame).

    ``L`` is an (n, m) array or a frame of vote columns (every column except ``id`` unless
    ``columns`` names them). ``keep_inverse=False`` skips the row -> pattern map, which is
    what a caller that joins predictions back in Polars wants for a matrix on disk.
    """
    lf, cols = _as_frame(L, columns)
    if not cols:
        raise ValueError("the label matrix has no LF columns")
    votes = lf.select([pl.col(c).cast(pl.Int8) for c in cols])
    grouped = (votes.group_by(cols).agg(pl.len().alias("_count")).sort(cols)
               .with_row_index("_pattern").collect(engine="streaming"))
    inverse = None
    if keep_inverse:
        inverse = (votes.join(grouped.lazy().select([*cols, "_pattern"]), on=cols, how="left",
                              maintain_order="left")
                   .select("_pattern").collect()["_pattern"].to_numpy().astype(np.int64))
    return VotePatterns(votes=grouped.select(cols).to_numpy().astype(np.int64),
                        counts=grouped["_count"].to_numpy().astype(np.int64), inverse=inverse, columns=cols)


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


def fit_pattern_label_model(patterns: np.ndarray, counts: np.ndarray, n_classes: int, *,
                            prior: np.ndarray | None = None, n_epochs: int = 500, lr: float = 0.01,
                            l2: float = 0.0, seed: int = 0, progress_bar: bool = False, fast: bool = True,
                            early_stopping: EarlyStopping | None = None):
    """Fit Snorkel's LabelModel on vote patterns with counts; equal to a fit on the expanded matrix.

    ``patterns``: (p, m) votes in -1..K-1; ``counts``: (p,) positive integers. Returns the fitted
    ``snorkel.labeling.model.LabelModel`` (a subclass); its ``predict_proba`` is Snorkel's own.
    ``fast`` (default) evaluates Snorkel's objective without its dense (m*K)^2 masked matrices
    (same parameters to ~1e-8; :mod:`wslab.labeling.fast_label_model`); ``fast=False`` runs
    Snorkel's own loss. ``early_stopping`` (fast only) ends the loop when the loss stops
    improving; the model's ``epochs_run`` says how many epochs ran.
    Snorkel seeds numpy and torch globally inside ``fit``; that is Snorkel's behaviour.
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if patterns.ndim != 2 or counts.shape != (patterns.shape[0],):
        raise ValueError(f"patterns must be (p, m) and counts (p,); got {patterns.shape} and {counts.shape}")
    if (counts <= 0).any():
        raise ValueError("counts must be positive")
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
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


def fit_with_restarts(patterns: np.ndarray, counts: np.ndarray, n_classes: int, *, restarts: int = 3,
                      seed: int = 0, l2: float = 0.0, on_fit: Callable[[float], None] | None = None, **fit_kwargs):
    """Fit from ``restarts`` derived seeds and keep the model with the lowest training loss.

    Snorkel scales its initial parameters by one ``np.random.random()`` draw after seeding, so
    an unlucky seed starts near zero and can converge to a degenerate solution (seen on the demo
    project: seed 7 gave macro F1 0.30, other seeds 0.79-0.86). The loss is Snorkel's own
    objective (``_loss_mu``), which needs no labels. ``on_fit(loss)`` is called after each fit
    (progress). Returns ``(model, losses)``.
    """
    import torch

    best, best_loss, losses = None, float("inf"), []
    for r in range(max(restarts, 1)):
        model = _fit_lowering_lr(patterns, counts, n_classes, seed=seed + 7919 * r, l2=l2, **fit_kwargs)
        with torch.no_grad():
            loss = float(model._loss_mu(l2=l2))
        losses.append(loss)
        if on_fit is not None:
            on_fit(loss)
        if loss < best_loss:
            best, best_loss = model, loss
    return best, losses


NAN_LR_STEPS = 3
"""A fit whose loss becomes NaN is repeated at a tenth of the learning rate, at most this many times."""


def _fit_lowering_lr(patterns: np.ndarray, counts: np.ndarray, n_classes: int, *, lr: float = 0.01, **kwargs):
    """:func:`fit_pattern_label_model`; when Snorkel stops with "Loss is NaN" (seen with 500 keyword
    LFs at lr 0.01; lr 0.001 converged), fit again at lr / 10, as its message advises. The model's
    ``lr_used`` says which rate fitted. Still NaN after :data:`NAN_LR_STEPS` steps: a ConfigError."""

    rate = lr
    for _ in range(NAN_LR_STEPS + 1):
        try:
            model = fit_pattern_label_model(patterns, counts, n_classes, lr=rate, **kwargs)
        except Exception as exc:  # Snorkel raises a bare Exception for a NaN loss
            if "Loss is NaN" not in str(exc):
                raise
            rate /= 10
            continue
        model.lr_used = rate
        return model
    raise ConfigError(f"key 'label_model.lr': Snorkel's loss became NaN at lr {lr:g} and at every tenth of it down "
                      f"to {rate * 10:g} ({patterns.shape[1]} LFs); expected a smaller label_model.lr, fewer LFs, "
                      "or label_model.kind: majority")


def overlap_share(votes: np.ndarray, counts: np.ndarray) -> float:
    """Share of covered rows (1+ votes) that hold votes of 2+ LFs; 0.0 when no row is covered.

    Snorkel's objective learns LF accuracies from how LFs agree and disagree on the same rows
    (the off-diagonal blocks of the overlap matrix); rows with a single vote only fix the
    LFs' vote rates.
    """
    n_votes = (np.asarray(votes) != ABSTAIN).sum(axis=1)
    covered = int(counts[n_votes >= 1].sum())
    return float(counts[n_votes >= 2].sum()) / covered if covered else 0.0


def fit_label_model_on_patterns(L: np.ndarray | pl.DataFrame | pl.LazyFrame, n_classes: int, *,
                                columns: Sequence[str] | None = None, prior: np.ndarray | None = None,
                                n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0, seed: int = 0,
                                restarts: int = 3, progress_bar: bool = False,
                                on_fit: Callable[[float], None] | None = None, fast: bool = True,
                                early_stopping: EarlyStopping | None = None,
                                min_overlap: float = MIN_OVERLAP) -> Aggregation:
    """Snorkel's LabelModel on the distinct vote patterns of ``L``, predictions joined back to rows.

    ``L`` is an (n, m) array (-1 = abstain) or a Polars frame of vote columns. With
    ``restarts=1`` the result equals ``LabelModel.fit(L, seed=seed)`` then ``predict_proba(L)``;
    with more, the restart with the lowest training loss is kept (:func:`fit_with_restarts`).
    Uncovered rows (no LF voted) get ``prior``. ``fast``/``early_stopping``: see
    :func:`fit_pattern_label_model`.

    When fewer than ``min_overlap`` of the covered rows hold votes of 2+ LFs
    (:func:`overlap_share`), the fit cannot learn LF accuracies: it is skipped, the result holds
    majority vote's probabilities and its ``note`` says why (``min_overlap=0`` always fits).
    """
    p = vote_patterns(L, columns=columns)
    agg = label_model_on_patterns(p, n_classes, prior=prior, n_epochs=n_epochs, lr=lr, l2=l2, seed=seed,
                                  restarts=restarts, progress_bar=progress_bar, on_fit=on_fit, fast=fast,
                                  early_stopping=early_stopping, min_overlap=min_overlap)
    assert p.inverse is not None
    return Aggregation("label_model", agg.probs[p.inverse], agg.covered[p.inverse],
                       lf_accuracies=agg.lf_accuracies, note=agg.note)


def label_model_on_patterns(p: VotePatterns, n_classes: int, *, prior: np.ndarray | None = None,
                            n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0, seed: int = 0,
                            restarts: int = 3, progress_bar: bool = False,
                            on_fit: Callable[[float], None] | None = None, fast: bool = True,
                            early_stopping: EarlyStopping | None = None,
                            min_overlap: float = MIN_OVERLAP) -> Aggregation:
    """:func:`fit_label_model_on_patterns` with one row per distinct pattern of ``p`` (index the
    result with ``p.inverse`` for the matrix's rows): a caller that refits often (pipeline
    selection: folds x settings) groups the matrix once and never holds an (n, K) array per fit."""
    prior = np.full(n_classes, 1.0 / n_classes) if prior is None else np.asarray(prior, dtype=float)
    share = overlap_share(p.votes, p.counts)
    if share < min_overlap:
        mv = majority_vote(p.votes, n_classes, prior=prior)
        note = (f"label model not fitted: only {share:.2%} of the rows with a vote have votes from 2 or more LFs "
                f"(at least {min_overlap:.0%} needed); Snorkel's label model learns LF accuracies from LFs voting "
                "on the same rows, so majority vote labels the data")
        return Aggregation("label_model", mv.probs, mv.covered, note=note)
    model, _ = fit_with_restarts(p.votes, p.counts, n_classes, restarts=restarts, seed=seed, l2=l2, prior=prior,
                                 n_epochs=n_epochs, lr=lr, progress_bar=progress_bar, on_fit=on_fit, fast=fast,
                                 early_stopping=early_stopping)
    pattern_covered = (p.votes != ABSTAIN).any(axis=1)
    pattern_probs = np.where(pattern_covered[:, None], model.predict_proba(p.votes), prior)
    return Aggregation("label_model", pattern_probs, pattern_covered,
                       lf_accuracies=np.asarray(model.get_weights(), dtype=float))
