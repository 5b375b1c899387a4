"""Scoring label sources on gold: every model's probabilities on the gold rows of one split.

>>> import numpy as np
>>> probs = {"mv": (np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]), np.array([True, True, False]))}
>>> out = evaluate(probs, np.array([0, 0]), np.array([0, 1]), ["a", "b"], n_boot=0)
>>> out["mv"]["accuracy"], out["mv"]["coverage"]
(0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from wslab.core.stats.metrics import classification_report
from wslab.core.stats.ties import probs_to_preds

__all__ = ["evaluate"]


def evaluate(probs: Mapping[str, tuple[np.ndarray, np.ndarray]], y: np.ndarray, pos: np.ndarray,
             labels: Sequence[str], *, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Score each source's ``(probs (n, K), covered (n,))`` on the gold rows ``pos`` (labels ``y``).

    Ties are broken among the scored rows, as WRENCH scores label models; ``coverage`` is the
    share of those rows a source covered. Every source is bootstrapped on the same resamples of the
    gold rows (drawn from ``seed``): two sources with the same predictions get the same CI, and
    the sources' CIs are paired (common resamples), so a gap between two rows is not resampling noise.
    """
    out = {}
    for name, (p, covered) in probs.items():
        out[name] = classification_report(y, probs_to_preds(p[pos]), list(labels), covered=covered[pos],
                                          n_boot=n_boot, rng=np.random.default_rng(seed))
    return out
