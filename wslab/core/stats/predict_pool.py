"""Worker processes that featurize and score slices of texts, returning only probabilities.

Threads gained little for text prediction: much of a batch holds Python's global lock (Polars
calls, array bookkeeping). Processes do not share it. The pool is started once per Python process
(``spawn``: a forked child of a process running Polars' thread pool may deadlock), on the first
input large enough to pay for it, and reused by every later call; each task carries the model
(:class:`~wslab.core.stats.hashed_linear.HashedLinear` pickles to a few MB) and a Polars Series of
texts (pickled as Arrow buffers), and returns the (n, K) probabilities. With ``n_jobs=2`` this
process scores one half while one worker scores the other.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

MIN_PARALLEL = 500_000
"""Fewer documents are scored in this process: one process scores ~120,000 documents per second
(benchmarks/results/text_predict.md), and the first task waits for the worker to start (spawn and
imports, ~1.5 s); the demo's 50,000 documents took 0.5 s here and 1.8-2.0 s with the worker."""
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
    """``model.predict_proba(texts, extra)``, split into ``n_jobs`` consecutive slices when there
    are at least :data:`MIN_PARALLEL` texts: the first scored in this process while ``n_jobs - 1``
    worker processes score the others (only their slices are pickled); else all here."""
    n = len(texts)
    if n_jobs <= 1 or n < MIN_PARALLEL:
        return model.predict_proba(texts, extra)
    bounds = np.linspace(0, n, n_jobs + 1).astype(int)
    pool = _get_pool(n_jobs - 1)
    futures = []
    for a, b in zip(bounds[1:-1], bounds[2:]):
        part = texts.slice(a, b - a) if isinstance(texts, pl.Series) else pl.Series(texts[a:b], dtype=pl.String)
        futures.append(pool.submit(_score, model, part, None if extra is None else extra[a:b]))
    head = model.predict_proba(texts[:bounds[1]], None if extra is None else extra[:bounds[1]])
    return np.vstack([head] + [f.result() for f in futures])
