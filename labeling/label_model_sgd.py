"""The epochs of Snorkel's ``LabelModel.fit`` in numpy: its objective with an analytic gradient,
and the step of ``torch.optim.SGD`` that Snorkel uses by default (momentum 0.9, constant rate).

On WRENCH-sized label matrices (10 LFs, 2 classes: ``mu`` is 20 x 2) an epoch of Snorkel's torch
loop costs ~0.5 ms, nearly all of it per-operation overhead of autograd and the optimizer (and
the first optimizer built imports ``torch._dynamo``: 1 s). Here an epoch is a few numpy
operations on the same numbers.

The objective is the one of :mod:`wslab.labeling.fast_label_model` (module doc there), with
``M = mu P mu^T``, ``P = diag(p)``, ``O_off`` the LF overlaps outside the diagonal blocks
(symmetric) and ``M_i = B_i P B_i^T`` for LF i's K x K block ``B_i`` of ``mu``::

    loss = sum_off O^2 - 2 <O_off mu, mu P> + sum_ab p_a p_b (mu^T mu)_ab^2 - sum_i ||M_i||^2
           + ||rowsum(mu P) - diag(O)||^2 + sum_r l2_r^2 ||mu_r - mu_init_r||^2

    grad = -4 (O_off mu) P + 4 mu ((mu^T mu) * p p^T) - 4 [M_i B_i P]_i
           + 2 (rowsum(mu P) - diag(O)) p^T + 2 l2^2 (mu - mu_init)

evaluated in float64 from Snorkel's float32 ``O``, ``P`` and ``mu`` (as the torch loss is), the
gradient rounded to float32 (what autograd hands the float32 parameter). The step is
``torch.optim.SGD``'s single-tensor step in float32: ``g += wd * mu`` (weight decay, Snorkel
passes its ``l2``), ``buf = g`` on the first step, else ``buf = momentum * buf + g``, then
``mu -= lr * buf``. Tested against ``LabelModel.fit`` to 1e-6 in ``mu``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Objective", "sgd_epochs"]


@dataclass(frozen=True)
class Objective:
    """Snorkel's label-model objective (no LF dependencies) on ``mu`` of shape (m*K, K)."""

    o_off: sp.csr_matrix | np.ndarray
    """(d, d) float64 overlaps outside the m diagonal K x K blocks (symmetric)."""
    off_sq: float
    """Sum of the squares of ``o_off`` (a constant of the loss)."""
    diag_o: np.ndarray
    """(d,) float64 diagonal of O."""
    p: np.ndarray
    """(K,) float64 class balance."""
    mu_init: np.ndarray
    """(d, K) float64 initial parameters (the centre of the L2 term)."""
    l2_scale: float | np.ndarray = 0.0
    """``l2^2``: a number, or (d, 1) per row."""

    def value_and_grad(self, mu: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, (d, K) gradient) at float64 ``mu``."""
        k, p = len(self.p), self.p
        mu_p = mu * p
        o_mu = self.o_off @ mu
        gram = mu.T @ mu
        w = gram * np.outer(p, p)
        blocks = mu.reshape(-1, k, k)
        block_m = (blocks * p) @ blocks.transpose(0, 2, 1)  # (m, K, K): M_i = B_i P B_i^T
        resid = mu_p.sum(axis=1) - self.diag_o
        diff = mu - self.mu_init
        loss = (self.off_sq - 2.0 * float((o_mu * mu_p).sum()) + float((gram * w).sum())
                - float((block_m * block_m).sum()) + float(resid @ resid)
                + float((self.l2_scale * diff * diff).sum()))
        grad = (4.0 * (mu @ w - o_mu * p - ((block_m @ blocks) * p).reshape(mu.shape))
                + 2.0 * resid[:, None] * p + 2.0 * self.l2_scale * diff)
        return loss, grad


def sgd_epochs(objective: Objective, mu: np.ndarray, *, n_epochs: int, lr: float, momentum: float = 0.9,
               weight_decay: float = 0.0,
               stop: Callable[[list[float]], bool] | None = None) -> tuple[np.ndarray, list[float]]:
    """Run up to ``n_epochs`` SGD steps from float32 ``mu``; returns (float32 ``mu``, the loss
    before each step). ``stop(losses so far)`` after a step ends the loop when true (early stopping).
    A NaN loss raises Snorkel's own ``Exception("Loss is NaN. ...")``."""
    mu = np.array(mu, dtype=np.float32)
    rate, mom, wd = (np.float64(np.float32(x)) for x in (-lr, momentum, weight_decay))
    buf, history = None, []
    for _ in range(n_epochs):
        # a diverging fit overflows to inf and then NaN (no numpy warnings: the NaN loss below is the
        # signal, and label_model._fit_lowering_lr refits at a lower rate, as after Snorkel's own loop)
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grad = objective.value_and_grad(mu.astype(np.float64))
            if np.isnan(loss):
                raise Exception("Loss is NaN. Consider reducing learning rate.")  # Snorkel's message and type
            g = grad.astype(np.float32)
            if wd:
                g = (g + wd * mu).astype(np.float32)  # products of two float32 are exact in float64: one rounding
            buf = g if buf is None else (np.float32(mom) * buf + g).astype(np.float32)
            mu = (mu + rate * buf).astype(np.float32)
        history.append(loss)
        if stop is not None and stop(history):
            break
    return mu, history
