"""Two worker processes that featurize and score slices of texts, returning only probabilities.

Threads gained little for text prediction: much of a batch holds Python's global lock (Polars
calls, array bookkeeping). Processes do not share it. The pool is started once per Python process
(``spawn``: a forked child of a process running Polars' thread pool may deadlock), on the first
input large enough to pay for it, and reused by every later call; each task carries the model
(:class:`~wslab.core.stats.hashed_linear.HashedLinear` pickles to a few MB) and a Polars Series of
texts (pickled as Arrow buffers), and returns the (n, K) probabilities.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

MIN_PARALLEL = 50_000  # fewer documents are scored in this process (a task costs ~10 ms of pickling)
_pool: ProcessPoolExecutor | None = None
_workers = 0


def _get_pool(n_jobs: int) -> ProcessPoolExecutor:
    global _pool, _workers
    if _pool is None or _workers != n_jobs:
        if _pool is not None:
            _pool.shutdown()
        _pool = ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"))
        _workers = n_jobs
        atexit.register(_pool.shutdown)
    return _pool


def _score(model, texts: pl.Series, extra) -> np.ndarray:
    return model.predict_proba(texts, extra)


def parallel_proba(model, texts, extra=None, *, n_jobs: int = 2) -> np.ndarray:
    """``model.predict_proba(texts, extra)``, split into ``n_jobs`` consecutive slices scored in
    worker processes when there are at least :data:`MIN_PARALLEL` texts (else here)."""
    n = len(texts)
    if n_jobs <= 1 or n < MIN_PARALLEL:
        return model.predict_proba(texts, extra)
    s = texts if isinstance(texts, pl.Series) else pl.Series(texts, dtype=pl.String)
    bounds = np.linspace(0, n, n_jobs + 1).astype(int)
    parts = [(s.slice(a, b - a), None if extra is None else extra[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    pool = _get_pool(n_jobs)
    futures = [pool.submit(_score, model, t, e) for t, e in parts]
    return np.vstack([f.result() for f in futures])
