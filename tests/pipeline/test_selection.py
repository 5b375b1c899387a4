"""Pipeline selection (issue 11): candidates scored out of fold on gold dev; gold test never chooses."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import yaml

from wslab.core.config import load_config
from wslab.core.errors import ConfigError
from wslab.labeling.candidates import lf_onehot, unsupervised_lf_accuracy, weighted_vote_weights
from wslab.labeling.selection import (DECISION_WEIGHTS, choose, cross_fitted, decision_class, decision_weight,
                                      dev_folds, parse_metric, reweight, score)
from wslab.app.pipeline import run_apply


FAST = {"suspicious": {"enabled": False}, "label_model": {"restarts": 1}, "selection": {"folds": 3},
        "evaluation": {"bootstrap": 100}}


def _edit(project, **sections):
    cfg = yaml.safe_load(project.read_text())
    for key, value in sections.items():
        cfg.setdefault(key, {}).update(value)
    project.write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_shuffled_test_labels_change_no_choice_and_no_label(project):
    """Gold test is only reported: shuffling its labels leaves the choice, every decision
    threshold and labels.parquet's predictions unchanged (only gold_label and the test scores move)."""
    _edit(project, **FAST)
    _edit(project, selection={"metric": "f1:neg"})  # a per-candidate decision threshold is chosen too
    gold = pl.read_csv(project.parent / "gold.csv", schema_overrides={"id": pl.String})
    # split the gold file explicitly so the shuffle cannot move items between dev and test
    from wslab.app.project import open_project

    p = open_project(load_config(project))
    split = pl.DataFrame({"id": pl.concat([p.gold.dev_ids, p.gold.test_ids]),
                          "split": ["dev"] * len(p.gold.dev_ids) + ["test"] * len(p.gold.test_ids)})
    gold = gold.join(split, on="id")
    gold.write_csv(project.parent / "gold.csv")
    _edit(project, gold={"split_column": "split"})
    a = run_apply(load_config(project))
    rng = np.random.default_rng(0)
    is_test = (gold["split"] == "test").to_numpy()
    labels = gold["label"].to_numpy().copy()
    labels[is_test] = rng.permutation(labels[is_test])
    assert (labels != gold["label"].to_numpy()).sum() > 20
    gold.with_columns(pl.Series("label", labels)).write_csv(project.parent / "gold.csv")
    b = run_apply(load_config(project))
    ma, mb = a.metrics["candidates"], b.metrics["candidates"]
    assert ma["chosen"] == mb["chosen"]
    assert [r["oof"] for r in ma["rows"]] == [r["oof"] for r in mb["rows"]]
    assert [r["decision"] for r in ma["rows"]] == [r["decision"] for r in mb["rows"]]
    assert any(r["decision"]["weight"] != 1.0 for r in ma["rows"])  # the rule is exercised
    assert [r["test"] for r in ma["rows"]] != [r["test"] for r in mb["rows"]]
    la, lb = (pl.read_parquet(r.files["labels"]).drop("gold_label") for r in (a, b))
    assert la.equals(lb)


def test_candidate_table_and_pin(project):
    _edit(project, **FAST)
    res = run_apply(load_config(project))
    block = res.metrics["candidates"]
    names = [r["name"] for r in block["rows"]]
    html = (res.run_dir / "report.html").read_text()
    assert "Pipeline candidates" in html and ">gold_only(25%)<" in html and ">end_model(majority_vote)<" in html
    for expected in ("majority_vote", "weighted_vote", "label_model(dev)", "label_model(uniform,snorkel)",
                     "gold_only", "gold+votes", "end_model(majority_vote)", "end_model(majority_vote)+gold@0.5",
                     "majority_vote+end_model", "gold_only(25%)"):
        assert expected in names
    assert sum(r["chosen"] for r in block["rows"]) == 1
    for r in block["rows"]:
        assert r["oof"]["n"] == 200 and r["test"]["n"] == 200
        assert r["oof"]["ci"][0] <= r["oof"]["value"] <= r["oof"]["ci"][1]
    assert [c["fraction"] for c in block["learning_curve"]] == [0.25, 0.5, 1.0]
    # the final row of metrics is the chosen candidate's test score
    chosen = next(r for r in block["rows"] if r["chosen"])
    assert res.metrics["test"]["final"]["macro_f1"] == pytest.approx(chosen["test"]["value"])
    _edit(project, selection={"candidate": "gold_only", "metric": "f1:neg"})
    pinned = run_apply(load_config(project))
    assert pinned.metrics["candidates"]["chosen"] == "gold_only" and pinned.metrics["candidates"]["pinned"]
    labels = pl.read_parquet(pinned.files["labels"])
    assert set(labels["source"]) == {"gold_only"}
    # the pinned candidate's decision threshold for neg is applied to what is written and scored
    row = next(r for r in pinned.metrics["candidates"]["rows"] if r["chosen"])
    t = row["decision"]["threshold"]
    assert row["decision"]["class"] == "neg" and 0 < t < 1
    assert pinned.metrics["test"]["final"]["per_class"]["neg"]["f1"] == pytest.approx(row["test"]["value"])
    assert ((labels["p_neg"] > labels["p_pos"]).to_numpy() == (labels["label"] == "neg").to_numpy()).all()


def test_candidate_tables_show_the_decision_rule():
    from wslab.app.render import candidates_table
    from wslab.app.report.sections import candidates

    s = {"value": 0.9, "ci": [0.8, 0.95], "se": 0.03, "n": 10}
    rows = [{"name": "gold_only", "kind": "gold", "eligible": True, "chosen": True, "oof": s, "test": s,
             "decision": {"class": "spam", "weight": 4.0, "threshold": 0.2}},
            {"name": "mv", "kind": "votes", "eligible": True, "chosen": False, "oof": s, "test": s,
             "decision": {"class": "spam", "weight": 2.0, "threshold": None}}]
    block = {"metric": "f1:spam", "folds": 5, "pinned": False, "rows": rows}
    cells = [c._cells for c in candidates_table(block).columns]
    assert cells[3] == ["p(spam) >= 0.20", "spam x2"]
    html = candidates(block)["table"]
    assert html.rows[0][4] == "p(spam) >= 0.20" and html.head[4] == "decision (dev OOF)"
    for r in rows:
        r["decision"] = None  # accuracy / macro_f1: argmax, no column
    assert len(candidates_table(block).columns) == 4 and len(candidates(block)["table"].head) == 5
    assert "over budget" not in candidates_table(block).caption
    rows[1].update(over_budget=True, text_rows=2_500_000)  # its text model would label every document
    assert candidates_table(block).columns[-1]._cells == ["*", "over budget"]
    assert "selection.max_text_rows" in candidates_table(block).caption
    assert candidates(block)["table"].rows[1][-1].text == "over budget: 2,500,000 texts"


def test_metric_parse_and_score_reference_values():
    labels = ["ham", "spam"]
    y = np.array([0, 1, 1, 0, 1])
    probs = np.array([[.9, .1], [.2, .8], [.6, .4], [.3, .7], [.1, .9]])  # preds 0 1 0 1 1
    assert score(y, probs, parse_metric("accuracy", labels), 2, n_boot=0)["value"] == pytest.approx(0.6)
    # spam: tp 2, fp 1, fn 1 -> F1 2/3; ham: tp 1, fp 1, fn 1 -> 1/2
    assert score(y, probs, parse_metric("f1:spam", labels), 2, n_boot=0)["value"] == pytest.approx(2 / 3)
    assert score(y, probs, parse_metric("macro_f1", labels), 2, n_boot=0)["value"] == pytest.approx(7 / 12)
    s = score(y, probs, parse_metric("accuracy", labels), 2, n_boot=500)
    assert s["ci"][0] <= 0.6 <= s["ci"][1] and 0.1 < s["se"] < 0.35  # sqrt(.6*.4/5) = 0.22
    with pytest.raises(ConfigError, match="selection.metric"):
        parse_metric("f1:eggs", labels)


def _onehot(pred: np.ndarray, k: int = 2) -> np.ndarray:
    return np.eye(k)[pred]


def test_choose_prefers_the_simpler_candidate_within_one_paired_standard_error():
    def row(name, kind, value, eligible=True):
        return {"name": name, "kind": kind, "eligible": eligible, "oof": {"value": value, "se": 0.05}}

    rows = [row("end_model(mv)+gold@0.5", "end_model+gold", 0.90), row("majority_vote", "votes", 0.89),
            row("gold_only(25%)", "gold", 0.99, eligible=False)]
    # paired replicates: the difference best - majority_vote has SE 0.02 (sd of [0.03, 0.01] * k)
    reps = np.array([[0.90, 0.87, 0.99], [0.90, 0.89, 0.99]] * 10)
    se = float(np.std(reps[:, 0] - reps[:, 1], ddof=1))
    assert choose(rows, reps=reps) == "majority_vote"  # 0.01 below, within one paired SE (~0.01)
    assert rows[1]["vs_best"] == {"best": "end_model(mv)+gold@0.5", "gap": pytest.approx(0.01), "se": pytest.approx(se)}
    rows[1]["oof"]["value"] = 0.87  # 0.03 below: outside, though well inside one marginal SE (0.05)
    assert choose(rows, reps=reps) == "end_model(mv)+gold@0.5"
    assert choose(rows) == "end_model(mv)+gold@0.5"  # no replicates: the raw best
    assert choose(rows, pin="majority_vote") == "majority_vote"
    with pytest.raises(ConfigError, match="selection.candidate.*nope"):
        choose(rows, pin="nope")
    with pytest.raises(ConfigError, match="selection.candidate"):  # a learning-curve row is not a pipeline
        choose(rows, pin="gold_only(25%)")


def test_choice_reason_names_the_raw_best_and_why_another_was_chosen():
    from wslab.labeling.selection import choice_reason

    rows = [{"name": "gold+votes", "kind": "gold+votes", "eligible": True, "oof": {"value": 0.71, "se": 0.02}},
            {"name": "gold_only", "kind": "gold", "eligible": True, "oof": {"value": 0.70, "se": 0.02}}]
    reps = np.array([[0.71, 0.70], [0.72, 0.69], [0.70, 0.70], [0.71, 0.71]])
    chosen = choose(rows, reps=reps)
    rule = choice_reason(rows, chosen, pinned=False)
    assert chosen == "gold_only" and rule["best"] == "gold+votes"
    assert "within one paired standard error of gold+votes" in rule["reason"] and "0.010 below" in rule["reason"]
    assert choice_reason(rows, "gold+votes", pinned=False)["reason"] == "best dev OOF score"
    from wslab.app.render import candidates_table
    from wslab.app.report.sections import candidates

    for r in rows:
        r.update(chosen=r["name"] == chosen, test=None, decision=None)
    block = {"metric": "accuracy", "folds": 5, "pinned": False, "rows": rows, "rule": rule}
    table = candidates_table(block)
    assert table.columns[3]._cells == ["best", "-0.010 (SE 0.014)"]
    assert "chosen gold_only: simpler (gold)" in table.caption
    html = candidates(block)
    assert html["table"].head[4] == "vs best dev OOF (paired SE)" and html["rule"]["best"] == "gold+votes"


def _dev_superset_rows(n: int, y: np.ndarray, right: dict[str, np.ndarray], seed: int):
    """Rows and paired replicates of three candidates on the first ``n`` dev items."""
    fn = parse_metric("accuracy", ["a", "b"])
    kinds = {"majority_vote": "votes", "gold_only": "gold", "gold+votes": "gold+votes"}
    probs = [_onehot(np.where(right[c][:n], y[:n], 1 - y[:n])) for c in kinds]
    rows = [{"name": c, "kind": k, "eligible": True, "oof": score(y[:n], p, fn, 2, n_boot=0)}
            for (c, k), p in zip(kinds.items(), probs)]
    from wslab.labeling.selection import paired_replicates

    return rows, paired_replicates(y[:n], probs, fn, 2, n_boot=1000, rng=np.random.default_rng(seed))


def test_more_gold_dev_never_makes_the_choice_worse():
    """Nested dev sets (each a superset of the last) on a generator where the richer candidate is
    truly better by a few points: the chosen candidate's true accuracy never drops as dev grows, and
    the rule moves to the richer candidate sooner than one marginal standard error would."""
    rng = np.random.default_rng(23)
    N = 1280
    y = rng.integers(0, 2, N)
    u = rng.random(N)  # one difficulty per item: the candidates' errors are nested, as for related pipelines
    truth = {"majority_vote": 0.80, "gold_only": 0.82, "gold+votes": 0.84}
    right = {c: u < a for c, a in truth.items()}
    chosen, marginal = [], []
    for n in (40, 80, 160, 320, 640, 1280):
        rows, reps = _dev_superset_rows(n, y, right, seed=n)
        chosen.append(choose(rows, reps=reps))
        # the old rule: the simplest within one marginal bootstrap SE of the best
        se = {r["name"]: float(np.std(reps[:, i], ddof=1)) for i, r in enumerate(rows)}
        best = max(rows, key=lambda r: r["oof"]["value"])
        marginal.append(next(r["name"] for r in rows if r["oof"]["value"] >= best["oof"]["value"] - se[best["name"]]))
    quality = [truth[c] for c in chosen]
    assert quality == sorted(quality), chosen
    assert chosen[-1] == "gold+votes"
    assert sum(c == "gold+votes" for c in chosen) > sum(c == "gold+votes" for c in marginal), (chosen, marginal)


def test_folds_cover_dev_once():
    y = np.array([0] * 12 + [1] * 8)
    held = np.concatenate([ho for _, ho in dev_folds(y, 4, seed=0)])
    assert sorted(held.tolist()) == list(range(20))


def test_weighted_vote_weights_shrink_toward_unsupervised_estimate():
    # an LF with many dev votes keeps its dev accuracy; one with none takes the unsupervised one
    w = weighted_vote_weights(np.array([900, 0]), np.array([1000, 0]), np.array([0.6, 0.75]), 2, strength=20)
    assert w[0] == pytest.approx(np.log((900 + 20 * .6) / 1020 / (1 - (900 + 20 * .6) / 1020)))
    assert w[1] == pytest.approx(np.log(3.0))
    # worse than chance: weight 0
    assert weighted_vote_weights(np.array([1]), np.array([100]), np.array([0.2]), 3)[0] == 0.0
    L = np.array([[0, 0, -1], [1, 1, 0], [0, -1, 0], [-1, 1, 1]])
    acc = unsupervised_lf_accuracy(L, 2)
    # LF0 vs the others' majority: row0 agrees (0), row1 others 1,0 tie -> argmax 0 != 1, row2 agrees (0)
    assert acc[0] == pytest.approx(2 / 3)
    assert lf_onehot(L, 2).toarray()[1].tolist() == [0, 1, 0, 1, 1, 0]


def test_text_budget_keeps_over_budget_candidates_out_of_the_choice(project):
    """``selection.max_text_rows``: a candidate whose text model would label more documents than
    the budget is scored and shown but not chosen; pinning it still works."""
    from wslab.labeling.selection import text_rows

    covered = np.array([True, True, False, True])
    assert [text_rows(k, covered) for k in ("votes", "votes+end_model", "gold", "end_model+gold")] == [0, 1, 4, 4]
    _edit(project, **FAST)
    free = run_apply(load_config(project)).metrics["candidates"]
    n_uncovered = next(r for r in free["rows"] if r["kind"] == "votes+end_model")["text_rows"]
    assert n_uncovered > 0 and not any(r["over_budget"] for r in free["rows"])
    _edit(project, selection={"max_text_rows": n_uncovered})
    res = run_apply(load_config(project))
    block = res.metrics["candidates"]
    over = {r["name"] for r in block["rows"] if r["over_budget"]}
    assert over == {r["name"] for r in block["rows"] if r["kind"] not in ("votes", "votes+end_model")}
    assert block["chosen"] not in over
    assert [r["oof"] for r in block["rows"]] == [r["oof"] for r in free["rows"]]  # scored all the same
    assert "over budget" in (res.run_dir / "report.html").read_text()
    _edit(project, selection={"candidate": "gold_only"})
    assert run_apply(load_config(project)).metrics["candidates"]["chosen"] == "gold_only"


def test_choose_with_every_candidate_over_budget_names_the_key():
    rows = [{"name": "gold_only", "kind": "gold", "eligible": True, "over_budget": True,
             "oof": {"value": 0.9, "se": 0.01}}]
    with pytest.raises(ConfigError, match="selection.max_text_rows"):
        choose(rows)


def test_decision_weight_is_the_f1_optimal_threshold_closest_to_argmax():
    fn = parse_metric("f1:spam", ["ham", "spam"])
    y = np.array([0, 0, 0, 0, 1, 1, 0, 1])
    p_spam = np.array([.05, .1, .15, .2, .3, .35, .4, .7])
    probs = np.stack([1 - p_spam, p_spam], axis=1)
    # argmax: 1 spam of 3 found (F1 0.5); p >= 0.3 finds all three with 1 false positive (F1 6/7),
    # any threshold in (0.2, 0.3] does; the weight closest to 1 is the threshold nearest 0.3
    a = decision_weight(y, probs, 1, fn, 2)
    assert a == min(w for w in DECISION_WEIGHTS if 1 / (1 + w) <= 0.3) and 1 / (1 + a) > 0.2
    assert score(y, reweight(probs, 1, a), fn, 2, n_boot=0)["value"] == pytest.approx(6 / 7)
    # already optimal at argmax: weight 1
    assert decision_weight(np.array([0, 1]), np.array([[.9, .1], [.2, .8]]), 1, fn, 2) == 1.0
    assert decision_class("f1:spam", ["ham", "spam"]) == 1 and decision_class("macro_f1", ["ham", "spam"]) is None


def test_cross_fitted_threshold_of_a_fold_is_chosen_on_the_other_folds():
    fn = parse_metric("f1:spam", ["ham", "spam"])
    # fold A's spam sit at p 0.3 (the other folds' best threshold), fold B's at p 0.1 (its own)
    y = np.array([1, 0, 0, 1, 0, 0])
    probs = np.array([[.7, .3], [.9, .1], [.95, .05], [.9, .1], [.75, .25], [.95, .05]])
    folds = [(np.array([3, 4, 5]), np.array([0, 1, 2])), (np.array([0, 1, 2]), np.array([3, 4, 5]))]
    out, final = cross_fitted(y, probs, folds, 1, fn, 2)
    w_a = decision_weight(y[[3, 4, 5]], probs[[3, 4, 5]], 1, fn, 2)  # chosen on fold B, applied to A
    w_b = decision_weight(y[[0, 1, 2]], probs[[0, 1, 2]], 1, fn, 2)
    assert np.allclose(out[:3], reweight(probs[:3], 1, w_a)) and np.allclose(out[3:], reweight(probs[3:], 1, w_b))
    # fold A's best threshold (~0.3) misses fold B's spam at 0.1; fold B's (~0.1) calls fold A's ham at 0.1 spam
    assert out[3].argmax() == 0 and out[1].argmax() == 1
    assert final == decision_weight(y, probs, 1, fn, 2)


def test_text_model_fits_on_threads_give_the_same_table_as_one_thread(project, monkeypatch):
    """A text model's fits run as tasks of a thread pool (n_jobs=2, the default); one thread gives
    the same scores, decisions and choice."""
    import functools

    import wslab.app.pipeline as pipeline
    from wslab.labeling import selection

    _edit(project, **FAST)
    threads = run_apply(load_config(project)).metrics["candidates"]
    monkeypatch.setattr(pipeline, "select_pipeline", functools.partial(selection.select_pipeline, n_jobs=1))
    single = run_apply(load_config(project)).metrics["candidates"]
    assert single["chosen"] == threads["chosen"]
    assert [(r["name"], r["oof"], r["test"]) for r in single["rows"]] == \
        [(r["name"], r["oof"], r["test"]) for r in threads["rows"]]
