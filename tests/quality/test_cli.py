import json

import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app

runner = CliRunner()


def run(args):
    """Run like the console script does: WslabError -> one line on stderr, exit 2."""
    from wslab.core.errors import WslabError

    try:
        return runner.invoke(app, args, catch_exceptions=False)
    except WslabError as exc:  # the CLI's main() does this translation
        return type("R", (), {"exit_code": exc.exit_code, "output": f"error: {exc}"})()


@pytest.fixture
def gold(tmp_path, corpus):
    df, _ = corpus
    path = tmp_path / "gold.csv"
    df.drop("true_label").write_csv(path)
    return path


def test_help_has_examples():
    for args in (["issues", "--help"], ["relabel", "export", "--help"], ["relabel", "import", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Example: wslab" in res.output


def test_issues_then_relabel_roundtrip(tmp_path, gold):
    out = tmp_path / "issues"
    res = run(["issues", "--data", str(gold), "--out", str(out), "--folds", "3", "--epochs", "3", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["items"] == 300 and summary["flagged"] > 0
    for name in ("queue.csv", "scores.parquet", "cartography.parquet", "label_studio.json", "data_map.png",
                 "data_map.html", "summary.json"):
        assert (out / name).exists(), name
    queue = pl.read_csv(out / "queue.csv")
    assert {"id", "text", "given_label", "suggested_label", "priority", "reasons", "rank"} <= set(queue.columns)

    tasks = tmp_path / "tasks.json"
    assert run(["relabel", "export", "--queue", str(out / "queue.csv"), "--out", str(tasks), "--top", "5",
                "-q"]).exit_code == 0
    exported = json.loads(tasks.read_text())
    assert len(exported) == 5 and (tmp_path / "tasks.config.xml").exists()
    # The expert accepts every suggestion in Label Studio.
    for t in exported:
        t["annotations"] = [{"completed_by": {"email": "eve@x.org"}, "created_at": "2024-05-01T00:00:00Z",
                             "result": t.pop("predictions")[0]["result"]}]
    answers = tmp_path / "export.json"
    answers.write_text(json.dumps(exported))
    before = gold.read_bytes()
    res = run(["relabel", "import", "--answers", str(answers), "--into", str(gold), "--queue",
               str(out / "queue.csv"), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert gold.read_bytes() == before
    new = pl.read_csv(tmp_path / "gold.v2.csv")
    audit = pl.read_csv(tmp_path / "gold.v2.audit.csv")
    assert info["applied"] == 5 and audit.columns == ["id", "old_label", "new_label", "changed", "expert", "time"]
    changed = dict(zip(audit["id"].cast(pl.String), audit["new_label"]))
    for i, lab in zip(new["id"], new["label"]):
        if i in changed:
            assert lab == changed[i]


def test_relabel_import_ids_not_in_queue(tmp_path, gold):
    queue = tmp_path / "queue.csv"
    pl.DataFrame({"id": ["d1"], "text": ["t"], "given_label": ["ham"], "suggested_label": ["spam"]}).write_csv(queue)
    answers = tmp_path / "export.json"
    answers.write_text(json.dumps([{"data": {"id": "d5"}, "annotations": [
        {"result": [{"type": "choices", "value": {"choices": ["ham"]}}]}]}]))
    before = gold.read_bytes()
    res = run(["relabel", "import", "--answers", str(answers), "--into", str(gold), "--queue", str(queue)])
    assert res.exit_code == 2
    assert "id 'd5' is not in the queue" in res.output and "\n" not in res.output.strip()
    assert gold.read_bytes() == before and not (tmp_path / "gold.v2.csv").exists()


@pytest.mark.parametrize("content, message", [
    ("id,text,label\n1,a,ham\n2,b,ham\n3,c,ham\n", "at least two classes"),
    ("id,text,label\n1,,ham\n2,,spam\n3,,ham\n4,,spam\n", "empty in every row"),
    ("id,text\n1,a\n", "missing column 'label'"),
])
def test_issues_bad_input_exit_2(tmp_path, content, message):
    data = tmp_path / "bad.csv"
    data.write_text(content)
    res = run(["issues", "--data", str(data), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and message in res.output
    assert data.read_text() == content
