"""Two LF flags: ``costly_conflicts`` (conflicts that lose gold dev items) and
``precomputed_mismatch`` (stored votes that disagree with the LF spec of the same name)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from wslab.labeling.analysis import conflict_effects, lf_summary

# Eight gold dev items, four LFs (a, b, c, d), two classes. Per item, majority vote's expected
# accuracy (ties split) with and without each LF's vote, worked out by hand:
#   item 1 (gold 0): a=1 b=1 c=0       1 vs 2, lost; without a or b a tie (0.5): a, b cost 0.5
#   item 2 (gold 0): a=1 c=0 d=1       the same: a, d cost 0.5
#   item 3 (gold 0): a=1 b=1 c=0 d=0   a 2-2 tie (0.5); without a or b won (1): a, b cost 0.5;
#                                      without c or d lost (0): c, d gain 0.5
#   item 4 (gold 0): a=0 b=0 c=0       no conflict: nothing
#   item 5 (gold 1): a=0 c=1           a tie; a costs 0.5, c gains 0.5
#   item 6 (gold 1): a=0 b=0 c=1       lost; a, b cost 0.5; without c still lost: c gains 0
#   item 7 (gold 1): a=0               wrong, but no other LF votes: no conflict, nothing
#   item 8 (gold 1): a=0 b=0 c=1 d=1   a tie; a, b cost 0.5; c, d gain 0.5
# cost a = 6 x 0.5 = 3.0, b = 4 x 0.5 = 2.0, c = 0, d = 0.5; gain a = 0, b = 0, c = 1.5, d = 1.0.
L_DEV = np.array([
    [1, 1, 0, -1],
    [1, -1, 0, 1],
    [1, 1, 0, 0],
    [0, 0, 0, -1],
    [0, -1, 1, -1],
    [0, 0, 1, -1],
    [0, -1, -1, -1],
    [0, 0, 1, 1],
])
Y_DEV = np.array([0, 0, 0, 0, 1, 1, 1, 1])
NAMES = ["a", "b", "c", "d"]


def test_conflict_cost_and_gain_match_the_hand_count():
    cost, gain = conflict_effects(L_DEV, Y_DEV, 2)
    assert cost.tolist() == [3.0, 2.0, 0.0, 0.5]
    assert gain.tolist() == [0.0, 0.0, 1.5, 1.0]


@pytest.mark.parametrize("min_cost, flagged", [(3.0, {"a"}), (2.0, {"a", "b"}), (3.5, set())])
def test_costly_conflicts_flags_lfs_whose_losses_exceed_their_wins_by_the_minimum(min_cost, flagged):
    t = lf_summary(L_DEV, NAMES, ["x", "y"], L_dev=L_DEV, y_dev=Y_DEV, min_conflict_cost=min_cost)
    assert {lf for lf, f in zip(t["lf"], t["flags"]) if "costly_conflicts" in f} == flagged
    assert t["conflict_cost"].to_list() == [3.0, 2.0, 0.0, 0.5]
    assert t["conflict_gain"].to_list() == [0.0, 0.0, 1.5, 1.0]
    # d costs 0.5 but wins 1.0: never flagged, whatever the minimum
    low = lf_summary(L_DEV, NAMES, ["x", "y"], L_dev=L_DEV, y_dev=Y_DEV, min_conflict_cost=0.0)
    assert [("costly_conflicts" in f) for f in low["flags"]] == [True, True, False, False]


def test_a_clean_lf_set_and_no_gold_flag_nothing():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    L = np.where(rng.random((300, 5)) < 0.6, y[:, None], -1)  # always right when they vote
    t = lf_summary(L, list("abcde"), ["x", "y", "z"], L_dev=L, y_dev=y)
    assert t["conflict_cost"].to_list() == [0.0] * 5 and not any("costly" in f for f in t["flags"])
    no_gold = lf_summary(L, list("abcde"), ["x", "y", "z"])
    assert "conflict_cost" not in no_gold.columns


# ------------------------------------------------------------------ precomputed votes beside LF specs


@pytest.fixture
def both_sources(tmp_path, project_writer):
    """Docs 0-979 train, 980-999 gold. LF ``great`` (a spec) votes pos on texts with 'great'. The stored
    votes: ``great`` equal to the spec's on train but shifted by one document on gold (the WRENCH sms
    fault), and ``stars_low``, an LF no spec defines."""
    n, g0 = 1000, 980
    has_great = np.arange(n) % 3 == 0
    texts = [f"doc {i} {'great' if g else 'fine'} service" for i, g in enumerate(has_great)]
    ids = [f"t{i:03d}" for i in range(n)]
    ours = np.where(has_great, 0, -1)
    stored = ours.copy()
    stored[g0:] = np.roll(ours[g0:], 1)
    votes = pl.DataFrame({"id": ids, "great": stored, "stars_low": np.where(np.arange(n) % 4 == 0, 1, -1)})
    gold = pl.DataFrame({"id": ids[g0:], "label": ["pos" if g else "neg" for g in has_great[g0:]],
                         "split": ["dev", "test"] * 10})
    lfs = {"lfs": [{"name": "great", "label": "pos", "kind": "keywords", "keywords": ["great"]}]}
    cfg = project_writer(tmp_path, tables={"corpus.csv": pl.DataFrame({"id": ids, "text": texts}), "gold.csv": gold,
                                           "votes.parquet": votes.cast({"great": pl.Int8, "stars_low": pl.Int8})},
                         lfs=lfs, config={"gold": {"path": "gold.csv", "split_column": "split"},
                                          "lfs": {"files": ["lfs.yaml"], "precomputed": "votes.parquet"}})
    either = (ours != -1) | (stored != -1)
    expected_all = (ours == stored)[either].mean()
    g = slice(g0, None)
    expected_gold = (ours[g] == stored[g])[either[g]].mean()
    return cfg, expected_all, expected_gold


def test_stored_votes_of_a_spec_lf_are_compared_not_used(both_sources):
    from wslab.core.config import load_config
    from wslab.app.pipeline import analyze_lfs

    cfg_path, expected_all, expected_gold = both_sources
    assert expected_gold < 0.95 <= expected_all  # only the gold slice gives the fault away
    table = analyze_lfs(load_config(cfg_path)).table
    assert table["lf"].to_list() == ["great", "stars_low"]  # the spec's LF once, then the stored-only LF
    row = table.row(0, named=True)
    assert row["precomputed_agreement"] == pytest.approx(expected_all)
    assert row["precomputed_agreement_gold"] == pytest.approx(expected_gold)
    assert "precomputed_mismatch" in row["flags"].split(",")
    assert row["dev_accuracy"] == 1.0  # the spec's votes, not the shifted stored ones, were used
    other = table.row(1, named=True)
    assert other["precomputed_agreement"] is None and "precomputed_mismatch" not in other["flags"]


def test_stored_votes_equal_to_the_spec_pass(both_sources, tmp_path):
    from wslab.core.config import load_config
    from wslab.app.pipeline import analyze_lfs

    cfg_path, *_ = both_sources
    votes = pl.read_parquet(tmp_path / "votes.parquet")
    great = pl.read_csv(tmp_path / "corpus.csv")["text"].str.contains("great")
    votes.with_columns(pl.Series("great", np.where(great.to_numpy(), 0, -1), dtype=pl.Int8)).write_parquet(
        tmp_path / "votes.parquet")
    row = analyze_lfs(load_config(cfg_path)).table.row(0, named=True)
    assert row["precomputed_agreement"] == 1.0 and row["precomputed_agreement_gold"] == 1.0
    assert "precomputed_mismatch" not in row["flags"]


def test_config_check_counts_used_and_compared_stored_columns(both_sources):
    import json

    from typer.testing import CliRunner

    from wslab.app.cli import app

    res = CliRunner().invoke(app, ["config", "check", str(both_sources[0]), "--json"])
    assert res.exit_code == 0, res.output
    pre = json.loads(res.stdout)["precomputed"]
    assert (pre["lfs"], pre["compared"]) == (1, 1)
