"""The review loop of a multi-label project: multi-choice Label Studio answers into the answers
store and into a new gold version; rounds scored per tag."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.app.review_loop import expert_labels, read_answers, round_table
from wslab.core.config import load_config
from wslab.core.data import Corpus

TAGS = ["card", "fraud", "tariff"]


def _task(item: str, choices: list[str] | None, *, when="2024-05-01T10:00:00Z", given="card", suggested="card"):
    result = [] if choices is None else [{"from_name": "label", "to_name": "text", "type": "choices",
                                          "value": {"choices": choices}}]
    return {"id": 7, "data": {"wslab_id": item, "text": "t", "given_label": given, "suggested_label": suggested,
                              "signals": "cleanlab"},
            "annotations": [{"id": 3, "completed_by": {"email": "exp@bank.example"}, "created_at": when,
                             "was_cancelled": False, "result": result}]}


@pytest.fixture
def project(tmp_path):
    pl.DataFrame({"id": ["007", "a", "b", "c"], "text": ["card fee", "stolen card", "fee", "hello"]}).write_csv(
        tmp_path / "corpus.csv")
    pl.DataFrame({"id": ["007", "a", "b", "c"], "label": ["tariff;card", "card", "tariff", ""]}).write_csv(
        tmp_path / "gold.csv")
    (tmp_path / "config.yaml").write_text(
        "task: tags\nmultilabel: true\ncorpus: {path: corpus.csv}\n"
        "labels: {card: Card problems, fraud: Fraud, tariff: Fees}\n")
    return tmp_path


def test_import_multichoice_answers_into_store(project):
    export = project / "export.json"
    export.write_text(json.dumps([_task("007", ["tariff", "card"], given="card;tariff", suggested="card;tariff"),
                                  _task("a", ["fraud", "card"], suggested="card;fraud"),
                                  _task("c", None, given="", suggested="")]))  # submitted with no tag chosen
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(export), "--config",
                                   str(project / "config.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["answers"] == 3
    store = read_answers(project / "wslab_answers.csv")
    got = dict(store.select("id", pl.col("label").fill_null("")).rows())
    assert got == {"007": "card;tariff", "a": "card;fraud", "c": ""}  # tag order of labels:, ids as written
    assert dict(store.select("id", "accepted").rows()) == {"007": True, "a": True, "c": True}
    answers = {row["round"]: row for row in round_table(load_config(project / "config.yaml"), None)}[1]
    assert answers["answers"] == 3 and answers["changed"] == 1  # only 'a' changed: card -> card;fraud
    cfg = load_config(project / "config.yaml")
    expert = expert_labels(cfg, Corpus.open(project / "corpus.csv"))
    assert dict(zip(expert.ids.to_list(), expert.y.tolist())) == {"007": [1, 0, 1], "a": [1, 1, 0], "c": [0, 0, 0]}

    export.write_text(json.dumps([_task("a", ["card", "loan"])]))
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(export), "--config", str(project / "config.yaml")])
    assert res.exit_code == 2 and "'loan'" in res.output and "task 0" in res.output
    export.write_text(json.dumps([_task("zz", ["card"])]))
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(export), "--config", str(project / "config.yaml")])
    assert res.exit_code == 2 and "'zz' is not in the corpus" in res.output


def test_import_into_gold_and_label_studio_csv(project):
    csv = project / "ls.csv"  # Label Studio's CSV export writes several choices as {"choices": [...]}
    pl.DataFrame({"wslab_id": ["b", "a"], "label": ['{"choices": ["fraud", "tariff"]}', "card"],
                  "annotator": ["5", "5"], "id": ["1", "2"], "annotation_id": ["9", "10"],
                  "created_at": ["2024-05-01T10:00:00Z"] * 2}).write_csv(csv)
    out = project / "gold.v2.csv"
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(csv), "--into", str(project / "gold.csv"),
                                   "--multilabel", "--labels", ",".join(TAGS), "--json"])
    assert res.exit_code == 0, res.output
    new = pl.read_csv(out, infer_schema=False)
    assert dict(new.select("id", pl.col("label").fill_null("")).rows()) == {
        "007": "card;tariff", "a": "card", "b": "fraud;tariff", "c": ""}
    audit = pl.read_csv(project / "gold.v2.audit.csv", infer_schema=False)
    assert dict(audit.select("id", "changed").rows()) == {"a": "false", "b": "true"}


def test_rounds_scored_per_tag(project):
    cfg = load_config(project / "config.yaml")
    gold = SimpleNamespace(ids=pl.Series("id", ["007", "a", "b", "c"]), is_dev=np.array([True, False, False, False]),
                           tag_matrix=np.array([[1, 0, 1], [1, 0, 0], [0, 1, 1], [1, 1, 0]]))
    pl.DataFrame({"round": [1, 1, 1, 2, 2, 2], "id": ["a", "b", "c"] * 2,
                  "label": ["card", "fraud", "card", "card", "fraud;tariff", "card;fraud"]}).write_csv(
        project / "wslab_rounds.csv")
    table = {row["round"]: row for row in round_table(cfg, gold)}
    first = table[1]["test"]
    # truth a=card, b=fraud;tariff, c=card;fraud; round 1 predicted card, fraud, card: TP 3, FN 2, FP 0
    assert first["n"] == 3 and first["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 2))
    assert first["subset_accuracy"] == pytest.approx(1 / 3) and first["hamming_loss"] == pytest.approx(2 / 9)
    assert first["per_tag"]["tariff"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert table[2]["test"]["micro_f1"] == 1.0 and table[2]["test"]["subset_accuracy"] == 1.0
    assert first["ci"]["micro_f1"][0] <= first["micro_f1"] <= first["ci"]["micro_f1"][1]


def test_round_scores_are_the_evaluations_tag_metrics():
    """A tag round is scored by the evaluation's own multilabel_metrics (the same seed gives the same
    numbers and CIs), whose values are scikit-learn's."""
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    from wslab.app.review_loop import _tag_round_scorer
    from wslab.core.stats.multilabel import multilabel_metrics

    rng = np.random.default_rng(4)
    truth = (rng.random((60, 4)) < 0.4).astype(int)
    pred = np.where(rng.random((60, 4)) < 0.2, 1 - truth, truth)
    pred[:, 3] = 0  # a tag never predicted: F1 0 (zero_division=0)
    tags = list("wxyz")
    got = multilabel_metrics(truth, pred, tags, n_boot=300, seed=[1, 2])
    assert got["micro_f1"] == pytest.approx(f1_score(truth, pred, average="micro"))
    assert got["macro_f1"] == pytest.approx(f1_score(truth, pred, average="macro", zero_division=0))
    assert got["subset_accuracy"] == pytest.approx(accuracy_score(truth, pred))
    assert got["hamming_loss"] == pytest.approx(hamming_loss(truth, pred))
    for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
        lo, hi = got["ci"][key]
        assert lo < got[key] < hi

    from wslab.core.data import TagGold

    gold = TagGold(ids=pl.Series("id", [f"t{i:03d}" for i in range(60)]), y=truth.astype(np.int8),
                   is_dev=np.zeros(60, dtype=bool), tags=tuple(tags))
    cfg = SimpleNamespace(label_names=tags, review_path=lambda name: f"wslab_{name}.csv")
    test, score = _tag_round_scorer(cfg, gold, n_boot=300, seed=1)
    cells = [";".join(t for t, on in zip(tags, row) if on) for row in pred]
    got_round = score(test.with_columns(pl.Series("label", cells)), 2)
    assert got_round == got


def test_csv_form_round_trip(project):
    from wslab.quality.queue import label_studio_config

    queue = project / "queue.csv"
    pl.DataFrame({"rank": [1, 2], "id": ["007", "b"], "text": ["card fee", "fee"],
                  "given_label": ["card", "tariff"], "suggested_label": ["card;tariff", ""],
                  "suspect_tags": ["tariff", "tariff"], "priority": [0.9, 0.8], "reasons": ["r", "r"]}).write_csv(queue)
    (project / "label_studio_config.xml").write_text(label_studio_config(TAGS, multilabel=True))
    form = project / "form.csv"
    res = CliRunner().invoke(app, ["relabel", "export", "--queue", str(queue), "--out", str(form), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["classes"] == TAGS and json.loads(res.stdout)["multilabel"]
    filled = pl.read_csv(form, infer_schema=False)
    assert "suspect_tags" in filled.columns
    filled.with_columns(pl.Series("new_label", ["tariff ; card", None])).write_csv(form)  # b: not answered
    res = CliRunner().invoke(app, ["relabel", "import", "--answers", str(form), "--into", str(project / "gold.csv"),
                                   "--multilabel", "--labels", ",".join(TAGS), "--out", str(project / "g2.csv")])
    assert res.exit_code == 0, res.output
    assert dict(pl.read_csv(project / "g2.csv", infer_schema=False).select("id", "label").rows())["007"] == "card;tariff"
    bad = project / "bad_queue.csv"
    pl.DataFrame({"id": ["x"], "text": ["t"], "given_label": ["card;loan"], "suggested_label": [""]}).write_csv(bad)
    res = CliRunner().invoke(app, ["relabel", "export", "--queue", str(bad), "--out", str(project / "t.json"),
                                   "--multilabel", "--labels", ",".join(TAGS)])
    assert res.exit_code == 2 and "row 2: given_label" in res.output and "'loan'" in res.output
