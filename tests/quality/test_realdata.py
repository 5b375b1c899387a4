"""End to end on the WRENCH youtube train split (skips when ../shared/data is absent)."""

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from wslab.app.suspicious import find_suspicious_labels

YOUTUBE = next((p for p in (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "wrench" / "youtube",
                            Path("/work/shared/data/wrench/youtube")) if (p / "train.json").exists()), None)

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(YOUTUBE is None, reason="../shared/data/wrench/youtube not available")]


def test_youtube_uniform_flips_are_found():
    raw = json.loads((YOUTUBE / "train.json").read_text(encoding="utf-8"))
    gold = np.array(["ham", "spam"])[[v["label"] for v in raw.values()]]
    rng = np.random.default_rng(0)
    flipped = np.zeros(len(gold), dtype=bool)
    flipped[rng.choice(len(gold), len(gold) // 10, replace=False)] = True
    noisy = np.where(flipped, np.where(gold == "ham", "spam", "ham"), gold)
    df = pl.DataFrame({"id": list(raw), "text": [v["data"]["text"] for v in raw.values()], "label": noisy})
    res = find_suspicious_labels(df, seed=0)
    q = res.queue.join(pl.DataFrame({"id": list(raw), "flip": flipped}), on="id", maintain_order="left")
    k = int(flipped.sum())
    assert q["flip"].head(k).mean() > 0.8
    assert roc_auc_score(q["flip"].to_numpy(), q["priority"].to_numpy()) > 0.97
