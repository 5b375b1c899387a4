"""What a suspicious-label search returns (:func:`wslab.app.suspicious.find_suspicious_labels`,
:func:`wslab.app.suspicious_tags.find_suspicious_tags`): one small type both modules share."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["SuspicionResult"]


@dataclass(frozen=True)
class SuspicionResult:
    """``queue``: every labelled item ranked by priority (see :func:`wslab.quality.queue.build_queue`);
    ``cartography``: ``id``, ``text``, ``given_label``, ``confidence``, ``variability``,
    ``correctness``, ``region``; ``pred_probs``: ``id`` and one out-of-sample ``p_<class>`` column
    per class; ``annotators``: CROWDLAB per-annotator quality (multi-annotator input only);
    ``summary``: counts and the settings actually used (folds after any fallback)."""

    queue: pl.DataFrame
    cartography: pl.DataFrame
    pred_probs: pl.DataFrame
    labels: list[str]
    annotators: pl.DataFrame | None = None
    summary: dict = field(default_factory=dict)
