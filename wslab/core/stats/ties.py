"""Argmax with Snorkel's deterministic tie-break, the one rule for label models and evaluation.

>>> import numpy as np
>>> probs_to_preds(np.array([[0.2, 0.8], [0.5, 0.5], [0.5, 0.5]])).tolist()
[1, 1, 0]
>>> probs_to_preds(np.array([[0.2, 0.8], [0.5, 0.5], [0.5, 0.5]]), block=2).tolist()  # same, in blocks
[1, 1, 0]
>>> probs_to_preds(np.array([[0.5, 0.5], [0.5, 0.5]]), rows=np.array([2, 1])).tolist()  # rows 2 and 1 above
[0, 1]

This is the one tie rule wherever votes become hard labels (label models, labels.parquet, the
end models' training labels, annotator majority votes): a tied row's class depends on the row's
key (its position in the corpus when ``rows`` names it), never on which path labels it.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["probs_to_preds"]


def _snorkel_hash(i: int) -> int:
    # the same deterministic hash as snorkel.utils.core._hash
    return int(hashlib.sha1(str(i).encode("utf-8")).hexdigest(), 16)


def probs_to_preds(probs: np.ndarray, *, rows: np.ndarray | None = None, tol: float = 1e-5,
                   block: int = 1_000_000) -> np.ndarray:
    """Argmax per row; ties broken as Snorkel's ``probs_to_preds(tie_break_policy="random")``:
    by a hash of the row's key, its index in ``probs`` or ``rows[i]`` (e.g. the corpus positions
    of a subset of rows, so that the subset's ties break as they do in the whole corpus).

    Vectorised: only tied rows (usually few) go through the hash; rows are compared in blocks of
    ``block`` so the temporaries stay small at 10M rows.
    """
    probs = np.asarray(probs)
    if rows is not None and len(rows) != len(probs):
        raise ValueError(f"rows must name every row of probs: got {len(rows)} keys for {len(probs)} rows")
    preds = probs.argmax(axis=1)
    for start in range(0, len(probs), block):
        part = probs[start:start + block]
        is_max = np.abs(part - part.max(axis=1, keepdims=True)) < tol
        for i in np.flatnonzero(is_max.sum(axis=1) > 1):
            options = np.flatnonzero(is_max[i])
            key = int(start + i) if rows is None else int(rows[start + i])
            preds[start + i] = options[_snorkel_hash(key) % len(options)]
    return preds
