"""Run folders through the real CLI (wslab.core.rundir): an output folder that is refused, one that
cannot be written, a second run into a busy folder, a rerun that writes fewer files, and the
staging folder a SIGKILL leaves behind."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from project_edits import edit_config
from wslab.app.cli import app

runner = CliRunner()

_spec = importlib.util.spec_from_file_location(
    "fake_openai_server", Path(__file__).parents[1] / "llm" / "fake_openai_server.py")
fos = sys.modules.setdefault("fake_openai_server", importlib.util.module_from_spec(_spec))
if not hasattr(fos, "FakeOpenAIServer"):
    _spec.loader.exec_module(fos)


def apply(config: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["apply", str(config)])
    return result.exit_code, [ln for ln in result.output.splitlines() if ln.strip()]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, hidden ones included."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def assert_refused(config: Path, message: str) -> None:
    before = snapshot(config.parent)
    code, lines = apply(config)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(message, lines[0]), lines[0]
    assert snapshot(config.parent) == before, "a refused run must not write or change anything"


def corpus_named_like_an_output(config: Path) -> None:
    """The issue's case: output.dir is the data folder, whose corpus is named labels.parquet."""
    (config.parent / "data").mkdir()
    pl.read_csv(config.parent / "corpus.csv").write_parquet(config.parent / "data" / "labels.parquet")
    edit_config(config, corpus__path="data/labels.parquet", output__dir="data")


def foreign_folder(config: Path) -> None:
    (config.parent / "notes").mkdir()
    (config.parent / "notes" / "todo.txt").write_text("my own notes\n")
    edit_config(config, output__dir="notes")


def gold_inside_previous_run(config: Path) -> None:
    (config.parent / "run").mkdir()
    (config.parent / "run" / ".wslab-run").write_text("x")
    (config.parent / "gold.csv").rename(config.parent / "run" / "gold.csv")
    edit_config(config, gold__path="run/gold.csv")


REFUSED = {
    "filesystem_root": (lambda c: edit_config(c, output__dir="/"), r"error: /: output folder is a filesystem root"),
    "project_folder": (lambda c: edit_config(c, output__dir="."), r"output folder holds the input \S*config\.yaml"),
    "data_folder_with_corpus": (corpus_named_like_an_output, r"data: output folder holds the input \S*data/labels\.parquet"),
    "output_is_the_corpus": (lambda c: edit_config(c, output__dir="corpus.csv"), r"corpus\.csv: output folder is a file"),
    "gold_inside_output": (gold_inside_previous_run, r"run: output folder holds the input \S*run/gold\.csv"),
    "folder_of_other_files": (foreign_folder, r"notes: output folder holds files that are not a wslab run \(e\.g\. 'todo\.txt'\)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_output_folder_that_a_run_would_damage_is_refused(project, case):
    setup, message = REFUSED[case]
    setup(project)
    root_before = sorted(os.listdir("/"))
    assert_refused(project, message)
    assert sorted(os.listdir("/")) == root_before


@contextlib.contextmanager
def read_only(folder: Path):
    """Make ``folder`` unwritable, also for root (chattr +i); skip where neither works."""
    folder.chmod(0o555)
    immutable = False
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:  # root ignores permission bits
            probe.unlink()
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
            if not immutable:
                pytest.skip("cannot make a folder read-only here")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_read_only_run_folder_fails_before_any_work(project):
    run = project.parent / "run"
    run.mkdir()
    (run / ".wslab-run").write_text("x")
    # a gold label outside the label set: validation would report it, so the write check comes first
    gold = pl.read_csv(project.parent / "gold.csv")
    gold.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("meh")).otherwise(pl.col("label"))
                      .alias("label")).write_csv(project.parent / "gold.csv")
    with read_only(run):
        assert_refused(project, r"run: cannot write \(.+\); expected a writable output\.dir \(checked before any work\)")


def sentiment_answer(body):
    text = fos.user_text(body).lower()
    return {"label": "neg" if any(w in text for w in ("hate", "terrible", "awful")) else "pos"}


def test_second_run_into_a_busy_folder_fails_at_once_without_a_paid_call(project, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
    lfs = yaml.safe_load((project.parent / "lfs.yaml").read_text())
    lfs["lfs"].append({"name": "llm_sentiment", "kind": "prompt", "instruction": "pos or neg?"})
    (project.parent / "lfs.yaml").write_text(yaml.safe_dump(lfs, allow_unicode=True))
    lock = project.parent / ".run.lock"
    with fos.FakeOpenAIServer(sentiment_answer) as srv:
        edit_config(project, llm={"base_url": srv.base_url, "model": "cheap-model", "api_key_env": "TEST_LLM_KEY"})
        with open(lock, "w") as held:  # another run holds the folder
            held.write("4242\n")
            held.flush()
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert_refused(project, r"run: another wslab run \(pid 4242\) is writing this run folder \(lock \S*\.run\.lock\)")
            assert len(srv.paid()) == 0
            assert lock.exists(), "the refused run must not remove the lock of the run that holds it"
        lock.unlink()
        edit_config(project, suspicious__enabled=False, end_model__enabled=False)
        code, lines = apply(project)  # the folder is free again
        assert code == 0, lines
        assert len(srv.paid()) == 1200
    assert not lock.exists()


@pytest.mark.parametrize("swap", ["exchange", "two_renames"])
def test_rerun_replaces_the_run_folder_as_a_whole_and_keeps_paid_work(project, swap, monkeypatch):
    if swap == "two_renames":  # the swap where the kernel has no renameat2(RENAME_EXCHANGE)
        monkeypatch.setattr("wslab.core.rundir._exchange", lambda a, b: False)
    run = project.parent / "run"
    edit_config(project, suspicious={"folds": 2, "epochs": 2})
    code, lines = apply(project)
    assert code == 0, lines
    quality_files = {"queue.csv", "label_studio.json", "cartography.parquet", "data_map.png", "data_map.html"}
    assert quality_files <= {p.name for p in run.iterdir()}
    votes = run / "prompt_lfs" / "llm_sentiment.sqlite"  # paid prompt-LF votes live in the run folder
    votes.parent.mkdir()
    votes.write_bytes(b"paid votes")

    edit_config(project, suspicious__enabled=False)
    code, lines = apply(project)
    assert code == 0, lines
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["quality"] is None
    assert {p.name for p in run.iterdir()} == {*manifest["files"].values(), "manifest.json", "report.html",
                                                 ".wslab-run", "prompt_lfs"}
    assert not quality_files & {p.name for p in run.iterdir()}
    assert votes.read_bytes() == b"paid votes"
    assert sorted(p.name for p in project.parent.iterdir() if p.name.startswith(".run")) == []


def test_staging_left_by_sigkill_is_removed_by_the_next_run(project):
    run = project.parent / "run"
    proc = subprocess.Popen([sys.executable, "-m", "wslab", "apply", str(project)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(project.parent.glob(".run.partial-*")):
            assert proc.poll() is None, "the run ended before its staging folder was seen"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.wait()
    assert proc.returncode == -9
    stale = list(project.parent.glob(".run.partial-*"))
    assert len(stale) == 1 and (project.parent / ".run.lock").exists()
    # a crash in the middle of a swap can leave paid work in the staging folder: it comes back
    (stale[0] / "prompt_lfs").mkdir()
    (stale[0] / "prompt_lfs" / "llm_sentiment.sqlite").write_bytes(b"paid votes")

    code, lines = apply(project)
    assert code == 0, lines
    assert sorted(p.name for p in project.parent.iterdir() if p.name.startswith(".run")) == []
    assert (run / "prompt_lfs" / "llm_sentiment.sqlite").read_bytes() == b"paid votes"
    assert (run / "manifest.json").exists()
