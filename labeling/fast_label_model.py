"""Snorkel's label-model objective without its dense (m*K) x (m*K) masked matrices.

Snorkel's ``LabelModel._loss_mu`` (no LF dependencies given, as wslab uses it) is

    ||(O - mu P mu^T)[mask]||^2 + ||rowsum(mu P) - diag(O)||^2 + ||D (mu - mu_init)||^2

where ``O`` is the (d, d) LF overlap matrix (d = m*K), ``P = diag(class balance)``, ``mu`` is
(d, K) and ``mask`` drops the m diagonal K x K blocks (an LF with itself). Every epoch builds
``mu P mu^T`` (d^2 K), indexes it with the boolean mask (d^2) and back-propagates through the
gather, plus ``D = l2 * eye(d)`` and ``D @ (mu - mu_init)`` (d^2 K): O((m*K)^2) per epoch.

Writing ``M = mu P mu^T``, ``off`` for the entries outside the diagonal blocks, the same sum is

    sum_off (O - M)^2 = sum_off O^2 - 2 <O_off, M> + ||M||_F^2 - sum_i ||M_ii||_F^2

* ``sum_off O^2`` is a constant, computed once;
* ``<O_off, M> = sum((O_off mu) * (mu P))``: ``O_off`` holds only the pairs of (LF, class)
  that vote together on some row, so it is sparse when LFs rarely overlap (and at most m^2
  entries for unipolar LFs): nnz * K work;
* ``||M||_F^2 = sum_ab p_a p_b (mu^T mu)_ab^2``: d K^2 work;
* ``M_ii = mu_i P mu_i^T`` for each LF's K x K block: m K^3 = d K^2 work;
* the L2 term is ``sum_r l2_r^2 ||mu_r - mu_init_r||^2`` (Snorkel's ``D`` is diagonal).

The terms are evaluated in float64 from Snorkel's own float32 ``O``, ``P`` and ``mu`` (the
expansion subtracts nearly equal numbers, which float32 would not survive). With Snorkel's
default optimizer (SGD, momentum 0.9, constant rate) the epochs run in numpy with the analytic
gradient and torch's SGD step (:mod:`wslab.labeling.label_model_sgd`: 10x faster on WRENCH-sized
matrices, and no torch optimizer, whose first construction imports ``torch._dynamo``, 1 s);
with any other optimizer the gradient reaches Snorkel's own optimizer and scheduler. Snorkel's
set-up, clamp and column symmetry breaking run unchanged. Tested against ``LabelModel.fit`` to
1e-6 in ``mu``.

Early stopping is optional: after each epoch (Snorkel's ``_execute_logging`` hook) the best loss
of the last ``patience`` epochs is compared with the best loss before them; a relative
improvement below ``tol`` ends the loop, and Snorkel's post-processing (clamp, symmetry breaking) runs as after a full fit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from wslab.labeling.label_model_sgd import Objective, sgd_epochs

__all__ = ["fast_label_model_class", "EarlyStopping"]


class _EarlyStop(Exception):
    pass


class EarlyStopping:
    """Stop when the best loss of the last ``patience`` epochs improves on the best loss before
    them by less than ``tol`` (relative). Comparing best values, not the last loss with the loss
    ``patience`` epochs ago, keeps a momentum overshoot (the loss going up for a few epochs,
    common with Snorkel's SGD at momentum 0.9) from ending the fit early."""

    def __init__(self, tol: float = 1e-4, patience: int = 20) -> None:
        if tol <= 0 or patience < 1:
            raise ValueError(f"early stopping needs tol > 0 and patience >= 1; got tol={tol}, patience={patience}")
        self.tol, self.patience = float(tol), int(patience)

    def should_stop(self, history: list[float]) -> bool:
        if len(history) <= self.patience:
            return False
        before = min(history[:-self.patience])
        recent = min(history[-self.patience:])
        return before - recent <= self.tol * abs(before)


def fast_label_model_class(base: type | None = None) -> type:
    """A subclass of Snorkel's ``LabelModel`` (or of ``base``, itself one) with the exact loss above."""
    if base is None:
        from snorkel.labeling.model import LabelModel as base  # noqa: N813

    return type("FastLabelModel", (_FastLoss, base), {
        "__doc__": "Snorkel's LabelModel whose loss avoids the dense masked (m*K)^2 work; same parameters.",
        "__module__": __name__,
    })


class _FastLoss:
    """The methods :func:`fast_label_model_class` puts in front of a Snorkel ``LabelModel`` class
    (a mixin: ``super()`` reaches the LabelModel)."""

    early_stopping: EarlyStopping | None = None
    epochs_run: int | None = None
    loss_history: list[float] | None = None

    def _build_mask(self) -> None:
        # called by Snorkel's _init_params once O exists: the sparse pieces of the loss
        # replace the dense (d, d) mask (whose construction alone loops over m^2 LF pairs)
        import torch

        cliques = [c.max_cliques for c in self.c_data.values()]
        if any(len(c) != 1 for c in cliques) or len(set().union(*cliques)) != len(cliques):
            raise NotImplementedError("the fast label-model loss supports no LF dependencies (Snorkel's default)")
        O = self.O.detach().to(torch.float64)  # noqa: E741,N806  Snorkel's float32 values, widened
        self._O_off, self._off_sq = _off_block_overlaps(O, m=self.m, k=self.cardinality)
        self._diag_O = torch.diagonal(O).clone()
        self._p = torch.diagonal(self.P.detach()).to(torch.float64)
        self.mask = None  # Snorkel's _loss_mu is not used by this class

    def _loss_l2(self, l2: float | np.ndarray = 0):
        import torch

        if isinstance(l2, (int, float)):
            w = torch.tensor(float(l2), dtype=torch.float32).to(torch.float64)
            scale = w * w
        else:
            w = torch.from_numpy(np.asarray(l2)).type(torch.float32).to(torch.float64)
            scale = (w * w)[:, None]
        diff = self.mu.to(torch.float64) - self.mu_init.to(torch.float64)
        return (scale * diff * diff).sum()

    def _loss_mu(self, l2: float | np.ndarray = 0):
        import torch

        mu = self.mu.to(torch.float64)
        k, p = self.cardinality, self._p
        mu_p = mu * p
        o_mu = torch.sparse.mm(self._O_off, mu) if self._O_off.is_sparse else self._O_off @ mu
        cross = (o_mu * mu_p).sum()
        gram = mu.t() @ mu
        full_sq = (gram * gram * p[:, None] * p[None, :]).sum()
        blocks = mu.view(self.m, k, k)
        block_m = (blocks * p) @ blocks.transpose(1, 2)
        loss_1 = self._off_sq - 2 * cross + full_sq - (block_m * block_m).sum()
        resid = mu_p.sum(1) - self._diag_O
        loss_2 = (resid * resid).sum()
        return loss_1 + loss_2 + self._loss_l2(l2=l2)

    def _execute_logging(self, loss):
        metrics = super()._execute_logging(loss)
        self.loss_history.append(float(loss.detach()))
        self.epochs_run = len(self.loss_history)
        if self.early_stopping is not None and self.early_stopping.should_stop(self.loss_history):
            raise _EarlyStop
        return metrics

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """Snorkel's ``predict_proba`` with a sparse (n, m*K) vote indicator instead of a dense one
        (Snorkel's is n x m*K float64: 660 MB for 61,000 patterns x 150 LFs x 9 classes)."""
        from scipy import sparse

        L = np.asarray(L)
        if L.ndim != 2 or L.shape[1] != self.m:
            raise ValueError(f"L must be (n, {self.m}); got shape {L.shape}")
        if L.max(initial=-1) >= self.cardinality:
            raise ValueError(f"L has votes above cardinality - 1 = {self.cardinality - 1}")
        k = self.cardinality
        rows, lfs = np.nonzero(L != -1)
        ind = sparse.csr_matrix((np.ones(len(rows)), (rows, lfs * k + L[rows, lfs])), shape=(L.shape[0], self.d))
        log_mu = np.log(self.mu.detach().cpu().numpy()).astype(np.float64)  # float32 log, as Snorkel
        X = np.exp(ind @ log_mu + np.log(self.p))
        return X / X.sum(axis=1, keepdims=True)

    def fit(self, L_train: np.ndarray, Y_dev=None, class_balance=None, progress_bar: bool = True, **kwargs) -> None:
        """Snorkel's ``fit``; with its default optimizer (SGD, constant rate, no warm-up) the epochs
        run in numpy (:mod:`wslab.labeling.label_model_sgd`), every other step is Snorkel's own."""
        from snorkel.labeling.model.label_model import TrainConfig
        from snorkel.utils.config_utils import merge_config

        self.loss_history, self.epochs_run = [], None
        cfg = merge_config(TrainConfig(), kwargs)
        if progress_bar or not _plain_sgd(cfg):
            try:
                super().fit(L_train, Y_dev=Y_dev, class_balance=class_balance, progress_bar=progress_bar, **kwargs)
            except _EarlyStop:  # what Snorkel's fit does after its last epoch
                self._finish()
            return
        self._setup(L_train, Y_dev, class_balance, cfg)
        mu, self.loss_history = sgd_epochs(
            self._objective(cfg.l2), self.mu.detach().cpu().numpy(), n_epochs=cfg.n_epochs, lr=cfg.lr,
            momentum=cfg.optimizer_config.sgd_config.momentum, weight_decay=cfg.l2,
            stop=None if self.early_stopping is None else self.early_stopping.should_stop)
        self.epochs_run = len(self.loss_history)
        import torch

        with torch.no_grad():
            self.mu.copy_(torch.from_numpy(mu))
        self._finish()

    def _setup(self, L_train: np.ndarray, Y_dev, class_balance, cfg) -> None:
        """What Snorkel's ``fit`` does before its first epoch (optimizer and scheduler aside)."""
        import random

        import torch
        from snorkel.labeling.analysis import LFAnalysis

        self.train_config = cfg
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        self._set_logger()
        L_shift = L_train + 1  # noqa: N806
        if L_shift.max() > self.cardinality:
            raise ValueError(f"L_train has cardinality {L_shift.max()}, cardinality={self.cardinality} passed in.")
        self._set_constants(L_shift)
        self._set_class_balance(class_balance, Y_dev)
        self._create_tree()
        self.coverage = LFAnalysis(L_train).lf_coverages()
        self._generate_O(L_shift)
        self._init_params()
        self.train()
        self.mu_init = self.mu_init.to(self.config.device)
        self.to(self.config.device)

    def _finish(self) -> None:
        """What Snorkel's ``fit`` does after its last epoch."""
        self._clamp_params()
        self._break_col_permutation_symmetry()
        self.eval()

    def _objective(self, l2: float) -> Objective:
        """The numpy objective (:class:`~wslab.labeling.label_model_sgd.Objective`) of this fit."""
        o_off = self._O_off
        if o_off.is_sparse:
            i, v = o_off.indices().numpy(), o_off.values().numpy()
            o_off = sp.csr_matrix((v, (i[0], i[1])), shape=tuple(o_off.shape))
        else:
            o_off = o_off.numpy()
        scale = np.float64(np.float32(l2)) ** 2  # the torch loss's float32 l2, widened
        return Objective(o_off=o_off, off_sq=self._off_sq, diag_o=self._diag_O.numpy(), p=self._p.numpy(),
                         mu_init=self.mu_init.detach().cpu().numpy().astype(np.float64), l2_scale=scale)


def _plain_sgd(cfg) -> bool:
    """Snorkel's default optimizer: SGD at a constant rate without warm-up, a scalar ``l2``."""
    sched = cfg.lr_scheduler_config
    return (cfg.optimizer == "sgd" and cfg.lr_scheduler == "constant" and not sched.warmup_steps
            and not sched.warmup_percentage and isinstance(cfg.l2, (int, float)))


def _off_block_overlaps(O, *, m: int, k: int):  # noqa: E741,N803
    """``O`` (float64, (m*K, m*K)) without its m diagonal K x K blocks (sparse unless dense enough
    that a BLAS matmul beats the sparse one), and the sum of its squared entries."""
    import torch

    d = m * k
    lf = torch.arange(d) // k
    rows, cols = torch.nonzero(O, as_tuple=True)
    off = lf[rows] != lf[cols]
    rows, cols = rows[off], cols[off]
    vals = O[rows, cols]
    off_sq = float((vals * vals).sum())
    if len(vals) > d * d // 8:
        dense = O.clone()
        dense.view(m, k, m, k).diagonal(dim1=0, dim2=2).zero_()
        return dense, off_sq
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (d, d), check_invariants=False).coalesce(), off_sq
