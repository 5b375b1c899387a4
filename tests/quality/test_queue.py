import json

import numpy as np
import polars as pl
import pytest

from wslab.quality.queue import build_queue, flagged_queue, label_studio_config, to_label_studio_tasks


@pytest.fixture
def items():
    return pl.DataFrame({
        "id": ["a", "b", "c", "d"],
        "text": ["t1", "t2", "t3", "t4"],
        "given_label": ["spam", "ham", "ham", "spam"],
        "suggested_label": ["ham", "ham", "spam", "spam"],
        "label_quality": [0.1, 0.9, 0.4, 0.8],
        "is_label_issue": [True, False, False, False],
        "p_suggested": [0.9, 0.9, 0.6, 0.8],
        "confidence": [0.2, 0.95, 0.3, 0.9],
        "variability": [0.02, 0.01, 0.03, 0.02],
        "correctness": [0.0, 1.0, 0.0, 1.0],
        "region": ["hard-to-learn", "easy-to-learn", "hard-to-learn", "easy-to-learn"],
    })


def test_priority_is_mean_of_scores_and_sorted(items):
    q = build_queue(items)
    assert q["id"].to_list() == ["a", "c", "d", "b"]
    assert q["rank"].to_list() == [1, 2, 3, 4]
    np.testing.assert_allclose(q["priority"], [(0.9 + 0.8) / 2, (0.6 + 0.7) / 2, (0.2 + 0.1) / 2, (0.1 + 0.05) / 2])
    assert q["flagged"].to_list() == [True, True, False, False]
    assert q["reasons"][0] == "cleanlab label issue (quality 0.1); hard-to-learn (confidence 0.2)"
    for col in ("id", "text", "given_label", "suggested_label", "priority", "reasons",
                "cleanlab_score", "cartography_score"):
        assert col in q.columns


def test_extra_signals_join_by_id_and_missing_ids_are_left_out(items):
    extra = pl.DataFrame({"id": ["b", "d"], "disagreement": [1.0, 0.0], "lf_conflicts": [3, 0]})
    q = build_queue(items, extra_signals=extra)
    row = q.filter(pl.col("id") == "b").row(0, named=True)
    np.testing.assert_allclose(row["priority"], (0.1 + 0.05 + 1.0 + 0.75) / 4)
    assert row["reasons"] == "annotators disagree (100%); 3 conflicting LF votes"
    a = q.filter(pl.col("id") == "a").row(0, named=True)
    assert a["disagreement_score"] is None
    np.testing.assert_allclose(a["priority"], (0.9 + 0.8) / 2)  # absent signals do not count as 0
    assert flagged_queue(q)["id"].to_list() == ["a", "c", "b"]
    assert flagged_queue(q, top=1).height == 1


def test_extra_signals_unknown_column(items):
    with pytest.raises(ValueError, match="unknown column 'votes'"):
        build_queue(items, extra_signals=pl.DataFrame({"id": ["a"], "votes": [1]}))


def test_label_studio_tasks_format(items):
    tasks = to_label_studio_tasks(build_queue(items))
    json.dumps(tasks)
    t = tasks[0]
    assert t["data"]["id"] == "a" and t["data"]["text"] == "t1"
    pred = t["predictions"][0]
    assert pred["model_version"] == "wslab" and pred["score"] == 0.9
    assert pred["result"] == [{"from_name": "label", "to_name": "text", "type": "choices",
                               "value": {"choices": ["ham"]}}]
    cfg = label_studio_config(["ham", "spam"])
    assert '<Choices name="label" toName="text"' in cfg and '<Choice value="spam"/>' in cfg
