"""apply's lf_analysis.csv carries each LF's accuracy as the label model learned it."""

from __future__ import annotations

import polars as pl

from wslab.core.config import load_config
from wslab.app.pipeline import run_apply


def test_apply_writes_learned_accuracies(project):
    res = run_apply(load_config(project))
    lfs = pl.read_csv(res.run_dir / "lf_analysis.csv")
    assert "learned_accuracy" in lfs.columns
    acc = lfs["learned_accuracy"].to_numpy()
    assert ((acc >= 0) & (acc <= 1)).all() and acc.std() > 0  # per-LF estimates, not one constant
