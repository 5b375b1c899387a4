"""Confidence intervals shared by LF analysis and evaluation."""

from __future__ import annotations

import numpy as np


def wilson_interval(successes: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (statsmodels' ``proportion_confint``,
    vectorised); (nan, nan) where n == 0.

    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    from statsmodels.stats.proportion import proportion_confint  # here: statsmodels costs ~1 s to import

    s = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    lo, hi = proportion_confint(np.where(n > 0, s, 0.0), safe_n, alpha=1 - confidence, method="wilson")
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return np.clip(lo, 0, 1), np.clip(hi, 0, 1)
