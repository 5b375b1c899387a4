"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest

POS = ["great", "love", "excellent", "отлично", "супер", "happy"]
NEG = ["terrible", "hate", "awful", "ужасно", "плохо", "broken"]
FILLER = ["the", "service", "today", "was", "and", "my", "order", "доставка", "курьер", "again", "very"]


def review_corpus(n: int, rng: np.random.Generator, *, endings: Sequence[str] = (".", "!", "?"),
                  id_digits: int = 5) -> tuple[pl.DataFrame, np.ndarray]:
    """A seeded English/Russian review corpus: ``id``, ``text``, ``stars``; labels 1 = neg (40%), 0 = pos.

    Each text mixes filler words with 0-2 words of its own polarity and, 15% of the time, one of
    the other polarity, so keyword LFs are informative but imperfect; ``stars`` leans with the label.
    """
    y = (rng.random(n) < 0.4).astype(int)
    texts = []
    for label in y:
        words = list(rng.choice(FILLER, size=rng.integers(3, 9)))
        own, other = (NEG, POS) if label else (POS, NEG)
        words += list(rng.choice(own, size=rng.integers(0, 3)))
        if rng.random() < 0.15:
            words.append(str(rng.choice(other)))
        rng.shuffle(words)
        end = rng.choice(list(endings)) if len(endings) > 1 else endings[0]
        texts.append(" ".join(words).capitalize() + end)
    df = pl.DataFrame({
        "id": [f"d{i:0{id_digits}d}" for i in range(n)],
        "text": texts,
        "stars": np.where(y == 1, rng.integers(1, 4, n), rng.integers(3, 6, n)),
    })
    return df, y


@pytest.fixture(scope="session")
def make_review_corpus():
    """The :func:`review_corpus` builder, for conftests and tests in any folder."""
    return review_corpus
