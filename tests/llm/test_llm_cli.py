"""``wslab llm-label``: real command, real files, the fake server."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from fake_openai_server import user_text
from wslab.cli import app, main


def model(body):
    doc = user_text(body).split("<document-")[1]
    if "weather" in doc:
        return {"label": "ABSTAIN"}
    return {"label": "spam" if "buy" in doc else "ham"}


def run(args):
    return CliRunner().invoke(app, args)


def run_main(args, capsys) -> tuple[int, str]:
    """Through ``wslab.cli.main``, which turns a WslabError into one line and exit code 2."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_llm_label_writes_annotations(server, tmp_path):
    srv = server(model)
    corpus = tmp_path / "corpus.csv"
    pl.DataFrame({"id": [3, 1, 2], "text": ["buy pills", "see you at lunch", "weather is nice"]}).write_csv(corpus)
    out = tmp_path / "llm.csv"
    args = ["llm-label", "--corpus", str(corpus), "--labels", "ham,spam", "--model", "fake",
            "--base-url", srv.base_url, "--out", str(out), "--json"]
    res = run(args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["annotated"] == 2 and summary["status"] == {"ok": 2, "abstain": 1}
    got = pl.read_csv(out)
    assert got.columns == ["id", "annotator", "label"]
    assert got.sort("id").rows() == [(1, "fake", "ham"), (3, "fake", "spam")]
    again = run(args)  # resumes from the work folder: no new request
    assert again.exit_code == 0 and json.loads(again.stdout)["resumed"] == 3 and len(srv.requests) == 3


def test_llm_label_bad_input(tmp_path, capsys):
    code, err = run_main(["llm-label", "--out", str(tmp_path / "x.csv")], capsys)
    assert code == 2 and err == "error: llm-label: expected --config, or both --corpus and --labels\n"
    corpus = tmp_path / "c.csv"
    pl.DataFrame({"id": [1], "body": ["x"]}).write_csv(corpus)
    code, err = run_main(["llm-label", "--corpus", str(corpus), "--labels", "a,b", "--model", "m",
                          "--base-url", "http://127.0.0.1:9/v1", "--out", str(tmp_path / "x.csv")], capsys)
    assert code == 2 and "missing column 'text'" in err and err.count("\n") == 1


def test_help_has_an_example():
    res = run(["llm-label", "--help"])
    assert res.exit_code == 0 and "Example: wslab llm-label" in res.output
