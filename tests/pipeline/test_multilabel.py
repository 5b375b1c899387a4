"""Multi-label projects (issue 19): tag cells, the per-tag metrics against scikit-learn, a
whole ``wslab apply`` on a small tagged project, and a new tag that reruns only itself."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_score, recall_score
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.app.pipeline import run_apply
from wslab.app.tags import tag_report_available
from wslab.core.config import load_config
from wslab.core.data import TagGold, parse_tag_cell, tag_gold_from_frame
from wslab.core.errors import InputError
from wslab.core.stats.multilabel import multilabel_metrics

sys.path.insert(0, str(Path(__file__).parent))  # the project builder beside this file
from multilabel_project import make_data, write_multilabel_project  # noqa: E402
from project_edits import edit_config  # noqa: E402
from report_page import parse  # noqa: E402

TAGS3 = ["card", "tariff", "fraud"]


# ------------------------------------------------------------------ cells and gold


def test_tag_cells_parse_to_labels_order():
    tags = ["card", "tariff", "fraud"]
    assert parse_tag_cell("fraud; card", tags, "x") == ("card", "fraud")
    assert parse_tag_cell("", tags, "x") == parse_tag_cell("  ", tags, "x") == parse_tag_cell(None, tags, "x") == ()
    assert parse_tag_cell(["tariff", "card"], tags, "x") == ("card", "tariff")
    with pytest.raises(InputError, match=r"^g\.jsonl: row 4: unknown tag 'Card'; expected tags among"):
        parse_tag_cell(["Card"], tags, "g.jsonl: row 4")
    with pytest.raises(InputError, match=r"^x: tag 'card' is listed twice"):
        parse_tag_cell("card;card ", tags, "x")


def test_tag_gold_from_lists_and_cells():
    """A JSONL/parquet list column and a CSV text column give the same matrix; the split is seeded."""
    lists = pl.DataFrame({"id": ["a", "b", "c", "d"], "label": [["fraud", "card"], [], ["tariff"], ["card"]]})
    cells = pl.DataFrame({"id": ["a", "b", "c", "d"], "label": ["card;fraud", None, "tariff", "card"]})
    g1 = tag_gold_from_frame(lists, tags=TAGS3, seed=1)
    g2 = tag_gold_from_frame(cells, tags=TAGS3, seed=1)
    assert isinstance(g1, TagGold) and g1.tag_matrix.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 0, 0]]
    assert np.array_equal(g1.tag_matrix, g2.tag_matrix) and np.array_equal(g1.is_dev, g2.is_dev)
    assert g1.tag_sets() == [("card", "fraud"), (), ("tariff",), ("card",)]
    assert g1.for_tag("card").y.tolist() == [1, 0, 0, 1]


# ------------------------------------------------------------------ metrics against scikit-learn


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multilabel_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random((120, 4)) < [0.4, 0.2, 0.05, 0.3]).astype(int)
    pred = np.where(rng.random(y.shape) < 0.8, y, 1 - y)
    pred[:, 2] = 0  # a tag never predicted: precision 0 by zero_division=0, as scikit-learn
    m = multilabel_metrics(y, pred, ["a", "b", "c", "d"], n_boot=300, seed=seed)
    assert m["micro_f1"] == pytest.approx(f1_score(y, pred, average="micro", zero_division=0))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert m["subset_accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["hamming_loss"] == pytest.approx(hamming_loss(y, pred))
    for j, tag in enumerate("abcd"):
        row = m["per_tag"][tag]
        assert row["precision"] == pytest.approx(precision_score(y[:, j], pred[:, j], zero_division=0))
        assert row["recall"] == pytest.approx(recall_score(y[:, j], pred[:, j], zero_division=0))
        assert row["f1"] == pytest.approx(f1_score(y[:, j], pred[:, j], zero_division=0))
        assert row["support"] == int(y[:, j].sum())
    for name in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
        lo, hi = m["ci"][name]
        assert lo <= m[name] <= hi and lo < hi
    assert m["ci"]["per_tag"]["a"]["f1"][0] <= m["per_tag"]["a"]["f1"] <= m["ci"]["per_tag"]["a"]["f1"][1]


# ------------------------------------------------------------------ a whole run, then a new tag


@pytest.fixture(scope="module")
def data():
    return make_data()


@dataclass
class Applied:
    metrics: dict
    manifest: dict


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, data, project_writer):
    """The 3-tag project, applied once by ``wslab apply`` (shared by the tests below)."""
    folder = tmp_path_factory.mktemp("tags3")
    cfg = write_multilabel_project(folder, TAGS3, data=data, writer=project_writer)
    t0 = time.perf_counter()
    out = CliRunner().invoke(app, ["apply", str(cfg)])
    assert out.exit_code == 0, out.output
    assert "Tags on gold test" in out.output and "quality done in" in out.output
    assert ("report.html skipped" in out.output) != tag_report_available()
    result = Applied(*(json.loads((folder / "run" / f).read_text()) for f in ("metrics.json", "manifest.json")))
    return folder, result, time.perf_counter() - t0


def store_files(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted((folder / "wslab_tags").rglob("*"))
            if f.is_file()}


def test_apply_writes_the_contract(first_run, data):
    folder, result, _ = first_run
    labels = pl.read_parquet(folder / "run" / "labels.parquet")
    assert labels.columns == ["id", "tags", *(f"p_{t}" for t in TAGS3), *(f"source_{t}" for t in TAGS3)]
    assert labels.schema["tags"] == pl.List(pl.String) and labels.height == 300
    metrics = json.loads((folder / "run" / "metrics.json").read_text())
    assert metrics["multilabel"] is True and set(metrics["chosen"]) == set(TAGS3)
    for tag in TAGS3:  # every tag chose on its own F1, out of fold on dev, among the single-label candidates
        cands = metrics["candidates"][tag]
        assert cands["metric"] == f"f1:{tag}" and cands["chosen"] == metrics["chosen"][tag]
        assert {"majority_vote", "gold_only", "gold+votes"} <= {r["name"] for r in cands["rows"]}
        assert labels[f"source_{tag}"].is_in([metrics["chosen"][tag], "prior", "end_model"]).all()
        chosen_row = next(r for r in cands["rows"] if r["name"] == cands["chosen"])  # one CI per number
        assert chosen_row["test"]["ci"] == metrics["test"]["final"]["ci"]["per_tag"][tag]["f1"]
        assert chosen_row["decision"]["class"] == tag and 0 < chosen_row["decision"]["threshold"] < 1
    assert set(metrics["test"]) == {"final", "majority_vote", "gold_only"}
    final = metrics["test"]["final"]
    assert set(final) == {"n", "micro_f1", "macro_f1", "subset_accuracy", "hamming_loss", "per_tag", "ci"}
    assert set(final["ci"]["per_tag"]["card"]) == {"precision", "recall", "f1"}
    # labels.parquet's tags on gold test are what test.final scored
    gold = pl.read_csv(folder / "gold.csv")
    split = pl.read_csv(folder / "wslab_split.csv")
    test = gold.join(split, on="id").filter(pl.col("split") == "test").join(labels, on="id", maintain_order="left")
    y = np.array([[t in parse_tag_cell(c, TAGS3, "x") for t in TAGS3] for c in test["label"].to_list()], dtype=int)
    pred = np.array([[t in row for t in TAGS3] for row in test["tags"].to_list()], dtype=int)
    assert final["n"] == len(test) and final["micro_f1"] == pytest.approx(f1_score(y, pred, average="micro"))
    # the tags column is each tag's p above its (dev-chosen) decision point
    assert all((t in row) == (p > 0.5) for row, p, t in zip(labels["tags"].to_list(), labels["p_card"], ["card"] * 300)
               if abs(p - 0.5) > 1e-9)


def test_a_new_tag_reruns_only_itself(first_run, data, tmp_path, record_property, project_writer):
    """Add 'app' (its LFs, its gold column, its label): the other tags' stored votes, probabilities
    and metrics are byte-identical and were not recomputed; a full rerun gives the same bytes."""
    folder, first, _ = first_run
    shutil.copytree(folder, tmp_path / "p", ignore=shutil.ignore_patterns("run"))
    before = store_files(tmp_path / "p")
    cfg = write_multilabel_project(tmp_path / "p", [*TAGS3, "app"], data=data, writer=project_writer)
    t0 = time.perf_counter()
    result = run_apply(load_config(cfg))
    new_tag_s = time.perf_counter() - t0
    assert {t: v["computed"] for t, v in result.manifest["tags"].items()} == \
        {"card": False, "tariff": False, "fraud": False, "app": True}
    assert [k for k in result.manifest["timings_s"] if k.startswith("tag:")] == ["tag:app"]
    after = store_files(tmp_path / "p")
    assert {k: v for k, v in after.items() if k in before} == before  # every old file, byte for byte
    old = pl.read_parquet(folder / "run" / "labels.parquet")
    new = pl.read_parquet(tmp_path / "p" / "run" / "labels.parquet")
    for tag in TAGS3:
        assert new[f"p_{tag}"].equals(old[f"p_{tag}"]) and new[f"source_{tag}"].equals(old[f"source_{tag}"])
        assert result.metrics["candidates"][tag] == first.metrics["candidates"][tag]
        assert result.metrics["test"]["final"]["per_tag"][tag] == first.metrics["test"]["final"]["per_tag"][tag]
    # a full rerun (nothing stored) computes every tag again, to the same bytes
    shutil.rmtree(tmp_path / "p" / "wslab_tags")
    t0 = time.perf_counter()
    full = run_apply(load_config(cfg))
    full_s = time.perf_counter() - t0
    assert all(v["computed"] for v in full.manifest["tags"].values())
    assert store_files(tmp_path / "p") == after
    record_property("new_tag_vs_full_rerun_s", f"{new_tag_s:.2f} vs {full_s:.2f}")
    print(f"new-tag run {new_tag_s:.2f} s vs full rerun {full_s:.2f} s ({new_tag_s / full_s:.0%})")


def test_rerun_unchanged_reads_every_tag(first_run):
    folder, first, _ = first_run
    before = store_files(folder)
    again = run_apply(load_config(folder / "config.yaml"))
    assert not any(v["computed"] for v in again.manifest["tags"].values())
    assert store_files(folder) == before and again.metrics["test"] == first.metrics["test"]


# ------------------------------------------------------------------ the stages after the tags


def _split(folder: Path) -> dict[str, str]:
    return dict(pl.read_csv(folder / "wslab_split.csv", infer_schema=False).rows())


def _cell(tags: list[str]) -> str:
    return ";".join(t for t in TAGS3 if t in tags)


def test_apply_runs_suspicious_rounds_and_agreement(first_run):
    """The suspicious-label stage on the delivered tags (queue with suspect_tags, calibrated on gold
    dev only), this run's tags on gold test as round 0 scored per tag (the evaluation's CIs), and
    agreement.json with each LF a rater of its tag (accuracy against gold by hand)."""
    folder, result, _ = first_run
    run = folder / "run"
    labels = pl.read_parquet(run / "labels.parquet")
    delivered = dict(zip(labels["id"].to_list(), map(_cell, labels["tags"].to_list())))
    votes = pl.read_parquet(run / "label_matrix.parquet")
    covered = set(votes.filter(pl.any_horizontal(pl.exclude("id") != -1))["id"].to_list())
    scores = pl.read_parquet(run / "scores.parquet")  # every checked item
    assert set(scores["id"].to_list()) == covered
    quality, split = result.manifest["quality"], _split(folder)
    # checked: the delivered tags, except on gold dev (each tag's chosen candidate, out of fold)
    assert all(delivered[i] == (g or "") for i, g in scores.select("id", "given_label").rows() if split.get(i) != "dev")
    assert quality["queue_calibration"]["given_on_dev"].startswith("out of fold")
    metas = (json.loads(f.read_text()) for f in (folder / "wslab_tags").glob("*/tag.json"))
    stored = {m["tag"]: m["dev_oof"] for m in metas}
    dev_ids = [i for i in pl.read_csv(folder / "gold.csv", infer_schema=False)["id"].to_list() if split[i] == "dev"]
    oof = {i: _cell([t for t in TAGS3 if stored[t][k]]) for k, i in enumerate(dev_ids)}
    checked_dev = [(i, g or "") for i, g in scores.select("id", "given_label").rows() if i in oof]
    assert checked_dev and all(oof[i] == g for i, g in checked_dev)
    queue = pl.read_csv(run / "queue.csv", infer_schema=False)
    assert queue.height and "suspect_tags" in queue.columns
    assert all(set(c.split(";")) <= set(TAGS3) for c in queue["suspect_tags"].drop_nulls().to_list() if c)
    assert 'choice="multiple"' in (run / "label_studio_config.xml").read_text()
    assert (run / "report.html").is_file() == tag_report_available()
    assert quality["multilabel"] and quality["checked"] == len(covered)
    assert quality["queue_calibration"]["dev_items"] == sum(split.get(i) == "dev" for i in covered)  # no test item
    # round 0: the final tags on gold test, scored per tag with the evaluation's numbers and CIs
    rounds = pl.read_csv(folder / "wslab_rounds.csv", infer_schema=False)
    assert set(rounds["round"].to_list()) == {"0"} and set(rounds["id"].to_list()) == {
        i for i, s in split.items() if s == "test"}
    assert all(delivered[i] == (c or "") for i, c in rounds.select("id", "label").rows())
    final, r0 = result.metrics["test"]["final"], result.metrics["rounds"][0]["test"]
    assert r0["n"] == final["n"] and r0["micro_f1"] == pytest.approx(final["micro_f1"])
    assert r0["ci"]["micro_f1"] == final["ci"]["micro_f1"] and set(r0["per_tag"]) == set(TAGS3)
    # agreement: LFs as raters of their tag, scored against gold on the annotated gold items
    agreement = json.loads((run / "agreement.json").read_text())
    assert agreement["multilabel"] and agreement["masi_alpha"]["value"] is not None
    fraud = agreement["per_tag"]["fraud"]
    assert fraud["llm_raters"]["names"] == ["lf:fraud_kw", "lf:fraud_noisy", "lf:fraud_not_thanks"]
    gold = pl.read_csv(folder / "gold.csv", infer_schema=False)
    annotated = set(pl.read_csv(folder / "annotations.csv", infer_schema=False)["id"].to_list())
    both = gold.filter(pl.col("id").is_in(list(annotated))).join(votes, on="id")
    lf_vote = both["fraud_not_thanks"].to_numpy()
    truth = np.array(["fraud" in (c or "").split(";") for c in both["label"].to_list()], dtype=int)
    rated = lf_vote != -1
    row = next(s for s in fraud["vs_gold"]["sources"] if s["name"] == "lf:fraud_not_thanks")
    assert row["accuracy"]["n"] == rated.sum() and row["accuracy"]["value"] == pytest.approx(
        (lf_vote[rated] == truth[rated]).mean())


def test_issues_config_on_a_multilabel_project(first_run, tmp_path):
    """``wslab issues --config``: the project's gold tag sets (a TagGold, as the run sees it) checked."""
    folder, _, _ = first_run
    out = tmp_path / "issues"
    res = CliRunner().invoke(app, ["issues", "--config", str(folder / "config.yaml"), "--out", str(out),
                                   "--folds", "3", "--epochs", "2", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["multilabel"] is True
    checked = {i: c or "" for i, c in pl.read_csv(out / "gold_checked.csv", infer_schema=False).rows()}
    gold = pl.read_csv(folder / "gold.csv", infer_schema=False)
    assert checked == {i: _cell(parse_tag_cell(c, TAGS3, "x")) for i, c in gold.rows()}
    assert "suspect_tags" in pl.read_csv(out / "queue.csv", infer_schema=False).columns


def test_expert_answers_feed_the_next_run(first_run, tmp_path):
    """Answers imported into a multi-label project: a gold dev correction changes that tag's gold
    (only that tag reruns), answered documents carry the expert's tags (source expert) and leave
    the queue, and the new round is scored per tag on the same frozen test."""
    from wslab.app.project import open_project

    folder, first, _ = first_run
    p = tmp_path / "p"
    shutil.copytree(folder, p)
    edit_config(p, review_loop__expert_labels="labels")  # answers outside gold: labels only (gold unchanged)
    split = _split(p)
    queue = pl.read_csv(p / "run" / "queue.csv", infer_schema=False)
    outside = [i for i in queue["id"].to_list() if i not in split][:2]
    gold = dict(pl.read_csv(p / "gold.csv", infer_schema=False).rows())
    dev_id = next(i for i, s in split.items() if s == "dev" and "fraud" not in (gold[i] or ""))  # gains fraud
    had = set(parse_tag_cell(gold[dev_id], TAGS3, "x"))
    answers = {outside[0]: "tariff", outside[1]: "card;fraud", dev_id: _cell(list(had ^ {"fraud"}))}
    pl.DataFrame({"id": list(answers), "new_label": list(answers.values())}).write_csv(tmp_path / "answers.csv")
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(tmp_path / "answers.csv"), "--config",
                                   str(p / "config.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    cfg = load_config(p / "config.yaml")
    project = open_project(cfg)
    assert isinstance(project.gold, TagGold)
    pos = project.gold.ids.to_list().index(dev_id)
    assert set(np.asarray(TAGS3)[project.gold.tag_matrix[pos] == 1]) == had ^ {"fraud"}
    result = run_apply(cfg)
    assert {t: v["computed"] for t, v in result.manifest["tags"].items()} == \
        {"card": False, "tariff": False, "fraud": True}
    labels = pl.read_parquet(p / "run" / "labels.parquet").filter(pl.col("id").is_in(list(answers)))
    for row in labels.iter_rows(named=True):
        assert _cell(row["tags"]) == answers[row["id"]] and all(row[f"source_{t}"] == "expert" for t in TAGS3)
    assert not set(answers) & set(pl.read_csv(p / "run" / "queue.csv", infer_schema=False)["id"].to_list())
    r1 = next(r for r in result.metrics["rounds"] if r["round"] == 1)
    assert r1["answers"] == 3 and r1["test"]["n"] == first.metrics["test"]["final"]["n"]
    assert set(r1["test"]["per_tag"]) == set(TAGS3)
    assert set(pl.read_csv(p / "wslab_rounds.csv")["round"].to_list()) == {0, 1}


def test_report_of_a_tag_run_without_the_tag_report(first_run, tmp_path, monkeypatch):
    """A wslab whose report lacks multi-label support: ``wslab report`` is one line, exit 2."""
    import wslab.app.tags as tags_module

    folder, _, _ = first_run
    monkeypatch.setattr(tags_module, "tag_report_available", lambda: False)
    res = CliRunner().invoke(app, ["report", str(folder / "run"), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and "a multi-label run" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r.html").exists()


def test_report_shows_tag_rounds_and_agreement(first_run):
    """report.html of the tag run: the rounds table scores round 0 as the evaluation (micro F1,
    subset accuracy, Hamming loss, no accuracy "—"); agreement rows name their tag."""
    if not tag_report_available():
        pytest.skip("this wslab's report does not show multi-label runs")
    page = parse((first_run[0] / "run" / "report.html").read_text(encoding="utf-8"))

    folder, result, _ = first_run
    rounds = page.first("rounds", "Round")
    assert rounds[0][3:7] == ["Test micro F1", "Test macro F1", "Test subset accuracy",
                              "Test Hamming loss (lower is better)"]
    final = result.metrics["test"]["final"]
    assert [c.split(" ")[0] for c in rounds[1][3:7]] == [f"{final[k]:.3f}" for k in (
        "micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")]
    pairs = page.first("agreement", "tag", "annotators")
    agreement = json.loads((folder / "run" / "agreement.json").read_text())
    assert {(r[0], r[1]) for r in pairs[1:] if "×" in r[1]} == {
        (p["tag"], " × ".join(p["annotators"])) for p in agreement["cohen_kappa"]}
    vs_gold = page.first("agreement", "tag", "rater")
    assert ["fraud", "lf:fraud_not_thanks"] in [r[:2] for r in vs_gold[1:]]
    assert not any(r[0] == "card" and r[1].startswith("lf:fraud") for r in vs_gold[1:])
