"""A small seeded multi-label project (bank messages with several tags), written to a folder.

Every document draws each tag independently; a tag puts its own words into the text (its
strong keywords often, a weak one rarely), and every document carries filler words. Keyword
LFs per tag: two ``for`` LFs (one precise, one noisy) and, for ``fraud``, an ``against`` LF.
The fourth tag (``app``) is held back so a test can add it to an existing project. Two
annotators tag 60 gold items (noisy), and the suspicious-label stage runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

TAGS = {"card": "Card problems.", "tariff": "Tariffs and fees.", "fraud": "Fraud and stolen money.",
        "app": "The mobile app."}
RATES = {"card": 0.35, "tariff": 0.3, "fraud": 0.2, "app": 0.25}
WORDS = {"card": (["card", "blocked", "declined"], ["plastic"]),
         "tariff": (["fee", "tariff", "commission"], ["price"]),
         "fraud": (["stolen", "scam", "fraud"], ["suspicious"]),
         "app": (["app", "login", "update"], ["screen"])}
FILLER = "hello please help me today account bank money thanks question again why still".split()
LFS = {
    "card": [{"name": "card_kw", "label": "card", "kind": "keywords", "keywords": ["card", "blocked"]},
             {"name": "card_noisy", "label": "card", "kind": "keywords", "keywords": ["declined", "price"]}],
    "tariff": [{"name": "tariff_kw", "label": "tariff", "kind": "keywords", "keywords": ["fee", "tariff"]},
               {"name": "tariff_noisy", "label": "tariff", "kind": "keywords", "keywords": ["commission", "money"]}],
    "fraud": [{"name": "fraud_kw", "label": "fraud", "kind": "keywords", "keywords": ["stolen", "scam"]},
              {"name": "fraud_noisy", "label": "fraud", "kind": "keywords", "keywords": ["fraud", "suspicious"]},
              {"name": "fraud_not_thanks", "label": "fraud", "vote": "against", "kind": "keywords",
               "keywords": ["thanks"]}],
    "app": [{"name": "app_kw", "label": "app", "kind": "keywords", "keywords": ["app", "login"]},
            {"name": "app_noisy", "label": "app", "kind": "keywords", "keywords": ["update", "screen"]}],
}
CONFIG = {"task": "Tag bank messages.", "multilabel": True, "seed": 5,
          "gold": {"path": "gold.csv", "dev_fraction": 0.5}, "lfs": {"files": ["lfs.yaml"]},
          "label_model": {"n_epochs": 100, "restarts": 1}, "end_model": {"max_features": 2000},
          "selection": {"folds": 3, "max_features": 2000, "gold_shares": [0.5]},
          "evaluation": {"bootstrap": 100}, "suspicious": {"enabled": True, "folds": 3, "epochs": 3},
          "annotations": "annotations.csv"}


def make_data(n: int = 300, n_gold: int = 160, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """(corpus, truth (n, 4) 0/1 in TAGS order, gold row positions)."""
    rng = np.random.default_rng(seed)
    truth = np.stack([rng.random(n) < RATES[t] for t in TAGS], axis=1).astype(np.int8)
    texts = []
    for row in truth:
        words = list(rng.choice(FILLER, 4))
        for on, (strong, weak) in zip(row, WORDS.values()):
            if on:
                words += list(rng.choice(strong, rng.integers(0, 3))) + (weak if rng.random() < 0.3 else [])
            elif rng.random() < 0.05:
                words += [str(rng.choice(strong))]
        rng.shuffle(words)
        texts.append(" ".join(words))
    corpus = pl.DataFrame({"id": [f"m{i:04d}" for i in range(n)], "text": texts})
    return corpus, truth, np.sort(rng.choice(n, n_gold, replace=False))


def gold_frame(corpus: pl.DataFrame, truth: np.ndarray, rows: np.ndarray, tags: list[str]) -> pl.DataFrame:
    """gold.csv: ``label`` holds the item's tags among ``tags``, separated by ';' (empty: none)."""
    names = list(TAGS)
    cells = [";".join(t for t in tags if truth[r, names.index(t)]) for r in rows]
    return pl.DataFrame({"id": corpus["id"].gather(rows), "label": cells})


def annotations_frame(corpus: pl.DataFrame, truth: np.ndarray, rows: np.ndarray, tags: list[str], *,
                      n_items: int = 60, noise: float = 0.1) -> pl.DataFrame:
    """annotations.csv (long): two annotators tag the first ``n_items`` gold rows, each tag flipped
    with probability ``noise`` (seeded)."""
    rng, names = np.random.default_rng(1), list(TAGS)
    records = []
    for who in ("ann1", "ann2"):
        for r in rows[:n_items]:
            row = np.where(rng.random(len(names)) < noise, 1 - truth[r], truth[r])
            records.append({"id": corpus["id"][int(r)], "annotator": who,
                            "label": ";".join(t for t in tags if row[names.index(t)])})
    return pl.DataFrame(records)


def write_multilabel_project(folder: Path, tags: list[str], *, writer: Callable[..., Path], data=None) -> Path:
    """The project with ``tags`` (LFs, gold column, labels) written to ``folder`` by ``writer``
    (the ``project_writer`` fixture); the config path."""
    corpus, truth, rows = data if data is not None else make_data()
    return writer(folder, tables={"corpus.csv": corpus, "gold.csv": gold_frame(corpus, truth, rows, tags),
                                  "annotations.csv": annotations_frame(corpus, truth, rows, tags)},
                         lfs={"lfs": [lf for t in tags for lf in LFS[t]]},
                         config={**CONFIG, "labels": {t: TAGS[t] for t in tags}})
