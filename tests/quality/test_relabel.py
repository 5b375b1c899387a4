import polars as pl
import pytest

from wslab.core.errors import InputError
from wslab.quality.relabel import (apply_answers, next_version_path, parse_answer_table,
                                   parse_label_studio_export)


def _ls_task(item, choice, *, when="2024-05-01T10:00:00Z", who="ann@x.org", cancelled=False):
    return {"id": 17, "data": {"id": item, "text": "t"},
            "annotations": [{"completed_by": {"email": who}, "created_at": when, "was_cancelled": cancelled,
                             "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                         "value": {"choices": [choice]}}]}]}


def test_parse_label_studio_export_takes_latest_valid_annotation():
    t = _ls_task("a", "ham")
    t["annotations"].append({**_ls_task("a", "spam", when="2024-05-02T00:00:00Z")["annotations"][0]})
    t["annotations"].append({**_ls_task("a", "ham", when="2024-06-01T00:00:00Z", cancelled=True)["annotations"][0]})
    out = parse_label_studio_export([t, {"data": {"id": "b"}, "annotations": []}], source="x.json")
    assert out.rows() == [("a", "spam", "ann@x.org", "2024-05-02T00:00:00Z")]


def test_parse_label_studio_export_rejects_other_shapes():
    with pytest.raises(InputError, match="x.json: task 0: no 'data' object"):
        parse_label_studio_export([{"id": 1, "label": "ham"}], source="x.json")
    with pytest.raises(InputError, match="expected a Label Studio JSON export"):
        parse_label_studio_export({"tasks": []}, source="x.json")


def test_parse_answer_table_drops_blank_answers():
    df = pl.DataFrame({"id": [1, 2, 3], "new_label": ["ham", None, " "], "expert": ["eve", None, None]})
    out = parse_answer_table(df, source="a.csv", expert="bob", time="T")
    assert out.rows() == [("1", "ham", "eve", "T")]


T1, T2 = "2024-05-01T12:00:00+02:00", "2024-05-01T11:00:00Z"  # T2 is the later instant, though not as text


def test_apply_answers_writes_new_table_and_audit():
    gold = pl.DataFrame({"id": [1, 2, 3], "label": ["ham", "spam", "ham"]})
    answers = pl.DataFrame({"id": ["2", "3", "2"], "new_label": ["ham", "ham", "spam"],
                            "expert": ["eve", "eve", "eve"], "time": [T2, T1, T1]})
    new, audit = apply_answers(gold, answers, queue_ids=[2, 3])
    assert gold["label"].to_list() == ["ham", "spam", "ham"]  # input untouched
    assert new["label"].to_list() == ["ham", "ham", "ham"]
    assert new.schema == gold.schema
    assert audit.rows() == [("2", "spam", "ham", True, "eve", T2), ("3", "ham", "ham", False, "eve", T1)]


def test_apply_answers_updates_label_file_probabilities():
    labels = pl.DataFrame({"id": ["a", "b"], "label": ["spam", "ham"], "confidence": [0.6, 0.9],
                           "p_ham": [0.4, 0.9], "p_spam": [0.6, 0.1], "source": ["label_model"] * 2})
    answers = pl.DataFrame({"id": ["a"], "new_label": ["ham"], "expert": ["eve"], "time": ["t"]})
    new, _ = apply_answers(labels, answers)
    assert new.row(0) == ("a", "ham", 1.0, 1.0, 0.0, "expert")
    assert new.row(1) == labels.row(1)


@pytest.mark.parametrize("answers, kwargs, message", [
    ({"id": ["z"], "new_label": ["ham"]}, {"queue_ids": ["1"]}, "answers.json: id 'z' is not in the queue"),
    ({"id": ["9"], "new_label": ["ham"]}, {}, "answers.json: id '9' is not in gold.csv"),
    ({"id": ["1"], "new_label": ["maybe"]}, {}, r"label 'maybe' is not one of \['ham', 'spam'\]"),
])
def test_apply_answers_errors(answers, kwargs, message):
    gold = pl.DataFrame({"id": [1, 2], "label": ["ham", "spam"]})
    ans = pl.DataFrame({**answers, "expert": ["e"], "time": ["t"]})
    with pytest.raises(InputError, match=message):
        apply_answers(gold, ans, source="gold.csv", answers_source="answers.json", **kwargs)


def test_next_version_path(tmp_path):
    gold = tmp_path / "gold.csv"
    assert next_version_path(gold) == tmp_path / "gold.v2.csv"
    (tmp_path / "gold.v2.csv").write_text("x")
    assert next_version_path(gold) == tmp_path / "gold.v3.csv"
    assert next_version_path(tmp_path / "gold.v2.csv") == tmp_path / "gold.v3.csv"


def _min_record(item, label, task, ann, when):
    return {"wslab_id": item, "text": "t", "given_label": "ham", "suggested_label": "spam", "signals": "cleanlab",
            "id": task, "label": label, "annotator": 1, "annotation_id": ann, "created_at": when, "updated_at": when}


def test_parse_expert_answers_json_min_and_csv(tmp_path):
    import json

    from wslab.quality.relabel import parse_expert_answers

    recs = [_min_record("007", "spam", 1, 1, "2024-01-01T00:00:01Z"), _min_record("1e3", "spam", 2, 3, "2024-01-01T00:00:03Z"),
            _min_record("1e3", "ham", 2, 2, "2024-01-01T00:00:02Z")]
    (tmp_path / "min.json").write_text(json.dumps(recs))
    pl.DataFrame(recs).write_csv(tmp_path / "ls.csv")
    for name in ("min.json", "ls.csv"):
        out = parse_expert_answers(tmp_path / name)
        assert out.select("id", "label", "expert").rows() == [("007", "spam", "label-studio user 1"),
                                                               ("1e3", "spam", "label-studio user 1")], name
        assert out["source"][1] == "label-studio task 2 annotation 3"
    assert set(parse_expert_answers(tmp_path / "ls.csv", expert="eve")["expert"]) == {"eve"}
    (tmp_path / "old.json").write_text(json.dumps([{"id": 1, "label": "ham", "annotator": 1}]))
    with pytest.raises(InputError, match="no 'wslab_id' field"):
        parse_expert_answers(tmp_path / "old.json")
    (tmp_path / "x.tsv").write_text("a")
    with pytest.raises(InputError, match="expected a Label Studio JSON, JSON_MIN or CSV export"):
        parse_expert_answers(tmp_path / "x.tsv")
