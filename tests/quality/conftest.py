"""Synthetic labelled text for the quality tests (built inside fixtures, local RNG)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

SPAM = "free win prize click cash offer subscribe money winner claim bonus deal".split()
HAM = "song love video music voice great beautiful dance lyrics album singer concert".split()
SHARED = "the a this is my so very and you it to of in".split()


def make_corpus(n: int, *, seed: int, flip_rate: float = 0.1) -> tuple[pl.DataFrame, np.ndarray]:
    """Return (frame with id, text, label, true_label) and the boolean mask of flipped rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    texts = []
    for k in y:
        own = SPAM if k == 1 else HAM
        words = list(rng.choice(own, rng.integers(3, 7))) + list(rng.choice(SHARED, rng.integers(2, 6)))
        rng.shuffle(words)
        texts.append(" ".join(words))
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.choice(n, int(round(flip_rate * n)), replace=False)] = True
    noisy = np.where(flipped, 1 - y, y)
    names = np.array(["ham", "spam"])
    df = pl.DataFrame({"id": [f"d{i}" for i in range(n)], "text": texts, "label": names[noisy],
                       "true_label": names[y]})
    return df, flipped


@pytest.fixture
def corpus() -> tuple[pl.DataFrame, np.ndarray]:
    return make_corpus(300, seed=7)
