"""The LF table explains a label model: learned accuracies beside dev accuracies, and flags for
LFs gold says are worse than the floor or than the label model believes, and for duplicates."""

from __future__ import annotations

import numpy as np
from wslab.labeling.analysis import explain_lfs, lf_summary


def test_flags_follow_the_dev_evidence():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    good = np.where(rng.random(n) < 0.9, y, 1 - y)
    bad = np.where(rng.random(n) < 0.3, y, 1 - y)  # 30% accurate: gold says so
    L = np.stack([good, good.copy(), bad], axis=1)
    L[rng.random(n) < 0.5, 2] = -1
    table = lf_summary(L, ["good", "good_copy", "bad"], ["a", "b"], L_dev=L[:400], y_dev=y[:400])
    out = explain_lfs(table, L, learned_accuracy=np.array([0.9, 0.9, 0.85]), accuracy_floor=0.5)
    flags = dict(zip(out["lf"], out["flags"]))
    assert flags["good"] == ""
    assert "duplicate_of:good" in flags["good_copy"]
    assert "below_floor" in flags["bad"] and "below_label_model" in flags["bad"]
    assert out["learned_accuracy"].to_list() == [0.9, 0.9, 0.85]
    # without a learned accuracy, only the floor and duplicates can be judged
    plain = dict(zip(*explain_lfs(table, L).select("lf", "flags").to_dict(as_series=False).values()))
    assert "below_label_model" not in plain["bad"] and "below_floor" in plain["bad"]
