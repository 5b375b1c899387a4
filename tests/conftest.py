"""Fixtures shared by every test folder."""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))  # project_edits: the project-editing helpers of the tests

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


REVIEW_LFS = [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love", "excellent", "happy"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["terrible", "hate", "awful", "broken"]},
    {"name": "kw_ru_pos", "label": "pos", "kind": "keywords", "keywords": ["ОТЛИЧНО", "супер"]},
    {"name": "re_ru_neg", "label": "neg", "kind": "regex", "pattern": r"(ужасн|плох)\w*"},
    {"name": "stars_low", "label": "neg", "kind": "column", "column": "stars", "op": "le", "value": 2},
    {"name": "stars_high", "label": "pos", "kind": "column", "column": "stars", "op": "ge", "value": 4},
]
"""LFs for :func:`review_corpus`: keywords (one upper-cased, to test case folding), a Russian regex,
and two rules on ``stars``."""


def review_lfs(*extra: Mapping) -> dict:
    """``{"lfs": [...]}`` for lfs.yaml: a fresh copy of :data:`REVIEW_LFS`, then ``extra`` LFs."""
    return {"lfs": copy.deepcopy(REVIEW_LFS) + [dict(lf) for lf in extra]}


@pytest.fixture(scope="session")
def make_review_lfs():
    """The :func:`review_lfs` builder, for conftests and tests in any folder."""
    return review_lfs


PROJECT_DEFAULTS = {"task": "Is a customer review positive or negative?", "corpus": {"path": "corpus.csv"},
                    "labels": {"pos": "positive review", "neg": "negative review"}, "output": {"dir": "run"}}


def write_project(folder: Path, *, config: Mapping, tables: Mapping[str, pl.DataFrame] | None = None,
                  lfs: Mapping | None = None) -> Path:
    """The one project builder: write ``tables`` (file name -> frame, csv or parquet by suffix),
    ``lfs`` as lfs.yaml and the config (:data:`PROJECT_DEFAULTS` overridden by ``config``) as
    config.yaml into ``folder``; return the config path. Each test folder's ``project`` fixture
    makes its own data and writes it through here."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (tables or {}).items():
        (frame.write_parquet if name.endswith(".parquet") else frame.write_csv)(folder / name)
    if lfs is not None:
        (folder / "lfs.yaml").write_text(yaml.safe_dump(dict(lfs), allow_unicode=True), encoding="utf-8")
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump({**PROJECT_DEFAULTS, **config}, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def project_writer():
    """:func:`write_project`, for the ``project`` fixtures of every folder."""
    return write_project
