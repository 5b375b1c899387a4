"""The class-health table against hand counts and against cleanlab's own numbers on the same pred_probs."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from cleanlab.dataset import find_overlapping_classes, rank_classes_by_label_quality
from cleanlab.filter import find_label_issues as cl_find_label_issues

from wslab.quality.health import CLASS_HEALTH_SCHEMA, class_health
from wslab.quality.label_issues import find_label_issues
from wslab.quality.queue import build_queue

LABELS = ["card", "<b>atm</b>", "balance"]  # not sorted, and one name holds markup


def _noisy(seed: int = 0, n: int = 900):
    """3 classes; 'card' and '<b>atm</b>' overlap (the model mixes them up, and 12% of their labels
    are swapped), 'balance' is clean. Returns (given codes, pred_probs)."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), true] += 3.0
    mixed = true < 2
    logits[mixed, 1 - true[mixed]] += 1.8  # the two overlapping classes look alike
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    given = true.copy()
    swap = mixed & (rng.random(n) < 0.12)
    given[swap] = 1 - true[swap]
    return given, p


def _queue_and_probs(given: np.ndarray, p: np.ndarray):
    ids = [f"d{i}" for i in range(len(given))]
    cl = find_label_issues(given, p)
    items = pl.DataFrame({"id": ids, "text": [""] * len(ids), "given_label": [LABELS[k] for k in given],
                          "suggested_label": [LABELS[k] for k in cl["cleanlab_suggested"]]})
    queue = build_queue(pl.concat([items, cl.select("label_quality", "is_label_issue", "p_suggested")],
                                  how="horizontal"))
    probs = pl.DataFrame({"id": ids, **{f"p_{c}": p[:, j] for j, c in enumerate(LABELS)}})
    return queue, probs


def test_matches_cleanlab_on_the_same_pred_probs():
    given, p = _noisy()
    queue, probs = _queue_and_probs(given, p)
    health = class_health(queue, probs, LABELS)
    assert health.schema == CLASS_HEALTH_SCHEMA
    assert health["class"].to_list() == LABELS
    assert health["n"].to_list() == np.bincount(given, minlength=3).tolist()

    # cleanlab's per-class label noise / quality (rank_classes_by_label_quality)
    ranked = rank_classes_by_label_quality(labels=given, pred_probs=p).set_index("Class Index")
    np.testing.assert_allclose(health["label_noise"], ranked.loc[[0, 1, 2], "Label Noise"], rtol=1e-12)
    np.testing.assert_allclose(health["label_quality"], ranked.loc[[0, 1, 2], "Label Quality Score"], rtol=1e-12)
    assert health["label_noise"][2] < 0.05 < min(health["label_noise"][0], health["label_noise"][1])

    # cleanlab's own label issues per given class (filter.find_label_issues, its default filter)
    mask = cl_find_label_issues(given, p, filter_by="prune_by_noise_rate")
    assert health["cleanlab_issues"].to_list() == [int(mask[given == k].sum()) for k in range(3)]
    assert health["flagged"].to_list() == health["cleanlab_issues"].to_list()  # cleanlab is the only signal here

    # the most overlapping pair of find_overlapping_classes is card <-> <b>atm</b>
    top = find_overlapping_classes(labels=given, pred_probs=p).iloc[0]
    assert {int(top["Class Index A"]), int(top["Class Index B"])} == {0, 1}
    assert health.row(0, named=True)["overlaps_with"] == "<b>atm</b>"
    assert health.row(1, named=True)["overlaps_with"] == "card"
    assert health["overlap"][0] == pytest.approx(float(top["Joint Probability"]))

    # most confused class from the suggested labels, counted by hand
    sugg = p.argmax(1)
    for k in (0, 1):
        other = 1 - k
        row = health.row(k, named=True)
        assert row["most_confused_with"] == LABELS[other]
        assert row["confused"] == int(((given == k) & (sugg == other)).sum())
        assert row["confused_share"] == pytest.approx(row["confused"] / row["n"])


def test_hand_counts_absent_class_and_no_pred_probs():
    q = pl.DataFrame({"id": ["1", "2", "3", "4", "5"], "given_label": ["a", "a", "a", "b", "b"],
                      "suggested_label": ["b", "c", "b", "b", None], "flagged": [True, True, False, False, True]})
    h = class_health(q, None, ["a", "b", "c", "unused"])
    assert h.select("class", "n", "flagged", "flagged_share", "most_confused_with", "confused").rows() == [
        ("a", 3, 2, pytest.approx(2 / 3), "b", 2), ("b", 2, 1, 0.5, None, 0),
        ("c", 0, 0, None, None, 0), ("unused", 0, 0, None, None, 0)]
    assert h["label_noise"].null_count() == 4 and h["cleanlab_issues"].null_count() == 4


def test_most_confused_from_pred_probs_without_suggested_labels():
    q = pl.DataFrame({"id": ["1", "2", "3", "4"], "given_label": ["x", "x", "y", "y"], "flagged": [False] * 4})
    probs = pl.DataFrame({"id": ["4", "3", "2", "1"], "p_x": [0.9, 0.2, 0.3, 0.8], "p_y": [0.1, 0.8, 0.7, 0.2]})
    h = class_health(q, probs, ["x", "y"])
    assert h.select("class", "most_confused_with", "confused").rows() == [("x", "y", 1), ("y", "x", 1)]


def test_pred_probs_without_class_columns_is_an_error():
    q = pl.DataFrame({"id": ["1"], "given_label": ["x"], "flagged": [False]})
    with pytest.raises(ValueError, match="p_<class>"):
        class_health(q, pl.DataFrame({"id": ["1"], "score": [0.3]}), ["x", "y"])
