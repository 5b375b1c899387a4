"""``wslab llm-label``: real command, real files, the fake server."""

from __future__ import annotations

import json

import polars as pl
import yaml
from typer.testing import CliRunner

from fake_openai_server import Fault, user_text
from wslab.app.cli import app, main


def model(body):
    doc = user_text(body).split("<document-")[1]
    if "weather" in doc:
        return {"label": "ABSTAIN"}
    return {"label": "spam" if "buy" in doc else "ham"}


def run(args):
    return CliRunner().invoke(app, args)


def run_main(args, capsys) -> tuple[int, str]:
    """Through ``wslab.app.cli.main``, which turns a WslabError into one line and exit code 2."""
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


def _corpus(tmp_path):
    corpus = tmp_path / "corpus.csv"
    pl.DataFrame({"id": ["1", "2", "3"], "text": ["buy pills", "see you at lunch", "poison pill"]}).write_csv(corpus)
    return corpus


def test_options_are_validated_before_the_first_paid_call(server, tmp_path, capsys):
    srv = server(model)
    base = ["llm-label", "--corpus", str(_corpus(tmp_path)), "--labels", "ham,spam", "--model", "fake",
            "--base-url", srv.base_url]
    code, err = run_main([*base, "--out", str(tmp_path / "x.txt")], capsys)
    assert code == 2 and "unsupported file type '.txt'" in err and err.count("\n") == 1
    code, err = run_main([*base, "--out", str(tmp_path / "no" / "such" / "x.csv")], capsys)
    assert code == 2 and "existing folder" in err
    for option, value, key in [("--max-cost", "-1", "max_cost_usd"), ("--concurrency", "0", "concurrency")]:
        code, err = run_main([*base, "--out", str(tmp_path / "x.csv"), option, value], capsys)
        assert code == 2 and err.count("\n") == 1, err  # one line, naming the option or the settings key
        assert (err.startswith("error: llm-label: key 'llm.") and key in err) or f"'{option}'" in err, err
        assert err.count("\n") == 1 and "Traceback" not in err and "pydantic" not in err
    assert srv.requests == []  # nothing was paid for


def test_a_failing_document_does_not_stop_the_run(server, tmp_path):
    from fake_openai_server import Fault

    broken = {"on": True}
    srv = server(model, faults=lambda i, body: Fault("500") if broken["on"] and "poison" in user_text(body) else None)
    out = tmp_path / "llm.csv"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "corpus": {"path": str(_corpus(tmp_path))}, "labels": {"ham": "", "spam": ""},
        "llm": {"base_url": srv.base_url, "model": "fake", "max_retries": 2, "backoff_base_s": 0.01}}))
    args = ["llm-label", "--config", str(config), "--out", str(out), "--json"]
    res = run(args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["status"] == {"ok": 2, "failed": 1} and summary["annotated"] == 2
    assert pl.read_csv(out, schema_overrides={"id": pl.String})["id"].sort().to_list() == ["1", "2"]
    broken["on"] = False
    n = len(srv.requests)
    again = json.loads(run(args).stdout)
    assert again["status"] == {"ok": 3} and again["resumed"] == 2 and len(srv.requests) == n + 1


def test_stderr_never_shows_the_key_or_url_credentials(server, tmp_path, capsys, monkeypatch):
    secret = "sk-live-DO-NOT-LEAK-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    srv = server(faults=lambda i, body: Fault("401"))
    args = ["llm-label", "--corpus", str(_corpus(tmp_path)), "--labels", "ham,spam", "--model", "fake",
            "--out", str(tmp_path / "x.csv")]
    code, err = run_main([*args, "--base-url", srv.base_url], capsys)
    assert code == 2 and "HTTP 401" in err and "***" in err and secret not in err
    url = srv.base_url.replace("http://", "http://bob:pa55word@")
    code, err = run_main([*args, "--base-url", url], capsys)
    assert code == 2 and "http://***@" in err and "pa55word" not in err and "bob" not in err
    # not only the client's messages: every error line passes the same redaction
    code, err = run_main(["llm-label", "--corpus", "https://bob:pa55word@example.org/c.csv", "--labels", "a,b",
                          "--out", str(tmp_path / "x.csv")], capsys)
    assert code == 2 and "***@example.org/c.csv" in err and "pa55word" not in err and "bob" not in err


def test_llm_label_keeps_ids_as_written(server, tmp_path):
    """``001`` and ``1`` are two documents, and the annotations file says so (issue 13.2)."""
    srv = server(model)
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("id,text\n001,buy pills\n1,see you at lunch\n010,buy now\n", encoding="utf-8")
    out = tmp_path / "llm.csv"
    res = run(["llm-label", "--corpus", str(corpus), "--labels", "ham,spam", "--model", "fake",
               "--base-url", srv.base_url, "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    lines = sorted(out.read_text(encoding="utf-8").splitlines()[1:])
    assert lines == ["001,fake,spam", "010,fake,spam", "1,fake,ham"]
