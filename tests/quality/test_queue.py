import json

import numpy as np
import polars as pl
import pytest

from wslab.quality.queue import (build_queue, flagged_queue, label_studio_config, percentile_rank,
                                 to_label_studio_tasks)


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


def test_priority_is_mean_of_percentile_ranks_and_sorted(items):
    q = build_queue(items)
    assert q["id"].to_list() == ["a", "c", "d", "b"]
    assert q["rank"].to_list() == [1, 2, 3, 4]
    # cleanlab scores 0.9, 0.1, 0.6, 0.2 and cartography scores 0.8, 0.05, 0.7, 0.1 (a, b, c, d) put
    # the rows in the same order under both signals: percentile ranks 1, 0, 2/3, 1/3.
    np.testing.assert_allclose(q["priority"], [1.0, 2 / 3, 1 / 3, 0.0])
    np.testing.assert_allclose(q["cleanlab_score"], [0.9, 0.6, 0.2, 0.1])  # raw scores are kept
    # flagged where cleanlab and cartography agree: c is hard-to-learn but no cleanlab issue
    assert q["flagged"].to_list() == [True, False, False, False]
    assert q["reasons"][1] == "hard-to-learn (confidence 0.3)"
    assert q["reasons"][0] == "cleanlab label issue (quality 0.1); hard-to-learn (confidence 0.2)"
    for col in ("id", "text", "given_label", "suggested_label", "priority", "reasons",
                "cleanlab_score", "cartography_score"):
        assert col in q.columns


def test_flag_needs_both_model_signals_but_any_other_signal(items):
    q = build_queue(items).sort("id")
    assert q["flagged"].to_list() == [True, False, False, False]
    alone = build_queue(items.drop("region", "confidence", "variability", "correctness")).sort("id")
    assert alone["flagged"].to_list() == [True, False, False, False]  # cleanlab alone decides
    carto = build_queue(items.drop("label_quality", "is_label_issue")).sort("id")
    assert carto["flagged"].to_list() == [True, False, True, False]  # cartography alone decides
    extra = pl.DataFrame({"id": ["b", "d"], "lf_conflicts": [2, 0]})
    q = build_queue(items, extra_signals=extra).sort("id")
    assert q["flagged"].to_list() == [True, True, False, False]  # an LF conflict flags on its own


def test_percentile_rank_by_hand():
    s = pl.DataFrame({"s": [0.1, 0.9, 0.5, 0.5, None]}).select(percentile_rank(pl.col("s")))["s"]
    assert s.to_list()[:4] == pytest.approx([0.0, 1.0, 1 / 3, 1 / 3]) and s[4] is None
    assert pl.DataFrame({"s": [0.7]}).select(percentile_rank(pl.col("s")))["s"].to_list() == [0.0]


@pytest.fixture
def disagreeing():
    """Cleanlab and cartography disagree on the order; cartography's scores are crowded near 0."""
    rng = np.random.default_rng(5)
    n = 40
    lq = rng.uniform(0, 1, n)
    conf = 1 - 0.05 * rng.uniform(0, 1, n)
    return pl.DataFrame({"id": [f"x{i}" for i in range(n)], "text": [""] * n, "given_label": ["a"] * n,
                         "suggested_label": ["a"] * n, "label_quality": lq, "confidence": conf})


def test_each_signal_gets_an_equal_vote(disagreeing):
    """Raw-score averaging would let cleanlab's wide spread decide alone; ranks give both a vote."""
    q = build_queue(disagreeing)
    n = disagreeing.height
    cl = disagreeing["label_quality"].rank("min").to_numpy()          # low quality = suspicious
    ca = disagreeing["confidence"].rank("min").to_numpy()
    expected = ((n - cl) + (n - ca)) / (2 * (n - 1))
    got = dict(zip(q["id"], q["priority"]))
    np.testing.assert_allclose([got[i] for i in disagreeing["id"]], expected)
    raw = (1 - disagreeing["label_quality"] + 1 - disagreeing["confidence"]).to_numpy()
    assert q["id"].to_list() != disagreeing["id"].gather(np.argsort(-raw, kind="stable")).to_list()


@pytest.mark.parametrize("rescale", [lambda c: c ** 0.1, lambda c: c ** 8, lambda c: 0.5 + c / 2])
def test_ranking_is_invariant_to_monotone_rescaling_of_a_signal(disagreeing, rescale):
    base = build_queue(disagreeing)
    moved = build_queue(disagreeing.with_columns(rescale(pl.col("confidence")).alias("confidence")))
    assert moved["id"].to_list() == base["id"].to_list()
    np.testing.assert_allclose(moved["priority"], base["priority"])


def test_extra_signals_join_by_id_and_missing_ids_are_left_out(items):
    extra = pl.DataFrame({"id": ["b", "d"], "disagreement": [1.0, 0.0], "lf_conflicts": [3, 0]})
    q = build_queue(items, extra_signals=extra)
    row = q.filter(pl.col("id") == "b").row(0, named=True)
    # b is last under cleanlab and cartography (0, 0) and first of the two rows that have
    # disagreement and LF-conflict scores (1, 1).
    np.testing.assert_allclose(row["priority"], (0 + 0 + 1 + 1) / 4)
    np.testing.assert_allclose(row["disagreement_score"], 1.0)
    np.testing.assert_allclose(row["lf_conflict_score"], 0.75)
    assert row["reasons"] == "annotators disagree (100%); 3 conflicting LF votes"
    a = q.filter(pl.col("id") == "a").row(0, named=True)
    assert a["disagreement_score"] is None
    np.testing.assert_allclose(a["priority"], 1.0)  # absent signals do not count as 0
    d = q.filter(pl.col("id") == "d").row(0, named=True)
    np.testing.assert_allclose(d["priority"], (1 / 3 + 1 / 3 + 0 + 0) / 4)
    assert q["id"].to_list() == ["a", "c", "b", "d"]
    assert flagged_queue(q)["id"].to_list() == ["a", "b"]  # c: cartography only, cleanlab does not agree
    assert flagged_queue(q, top=1).height == 1


def test_extra_signals_unknown_column(items):
    with pytest.raises(ValueError, match="unknown column 'votes'"):
        build_queue(items, extra_signals=pl.DataFrame({"id": ["a"], "votes": [1]}))


def test_label_studio_tasks_format(items):
    tasks = to_label_studio_tasks(build_queue(items))
    json.dumps(tasks)
    t = tasks[0]
    assert t["data"]["wslab_id"] == "a" and t["data"]["text"] == "t1" and t["data"]["suggested_label"] == "ham"
    pred = t["predictions"][0]
    assert pred["model_version"] == "wslab" and pred["score"] == 0.9
    assert pred["result"] == [{"from_name": "label", "to_name": "text", "type": "choices",
                               "value": {"choices": ["ham"]}}]
    cfg = label_studio_config(["ham", "spam"])
    assert '<Choices name="label" toName="text"' in cfg and '<Choice value="spam"/>' in cfg
