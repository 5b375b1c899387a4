"""Output for humans and machines: tables wrap instead of cutting names, plain wide text when
redirected, progress bars that finish, and the same -q / --json on every command."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from rich.console import Console

from wslab.core.progress import RichReporter

from .conftest import LONG_NAMES


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TTY_COMPATIBLE", "FORCE_TERMINAL", "FORCE_COLOR")}
    return {**env, **extra}


def test_apply_output_redirected_to_a_file_has_every_lf_name_whole(gate_project, tmp_path):
    log = tmp_path / "apply.log"
    with log.open("w") as out:  # a file, not a terminal (FORCE_COLOR as in some CI); COLUMNS=80 must not narrow it
        proc = subprocess.run([sys.executable, "-m", "wslab", "apply", str(gate_project)], stdout=out,
                              stderr=subprocess.PIPE, text=True, env=_env(COLUMNS="80", FORCE_COLOR="1"), timeout=600)
    assert proc.returncode == 0, proc.stderr
    text = log.read_text(encoding="utf-8")
    assert "\x1b[" not in text  # plain text, no colour codes
    for name in LONG_NAMES:
        assert any(name in line for line in text.splitlines()), f"{name} is not whole in the log"
    assert "…" not in text


def test_lf_table_on_an_80_column_terminal_wraps_names_instead_of_cutting_them(gate_project):
    from wslab.core.config import load_config
    from wslab.app.pipeline import analyze_lfs
    from wslab.app.render import print_lf_analysis

    result = analyze_lfs(load_config(gate_project))
    buf = io.StringIO()
    print_lf_analysis(result, console=Console(file=buf, width=80, force_terminal=True, color_system=None))
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    joined = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│"))
    for name in LONG_NAMES:  # folded over several lines of the LF column, every character kept
        assert name in joined


@pytest.fixture
def labelled(tmp_path, make_review_corpus) -> Path:
    df, y = make_review_corpus(300, np.random.default_rng(2))
    flip = np.random.default_rng(3).random(len(y)) < 0.1
    label = np.where((y == 1) ^ flip, "negative_review", "positive_review")
    path = tmp_path / "labelled.csv"
    df.with_columns(pl.Series("label", label), pl.format("customer-review-{}", pl.col("id")).alias("id")).write_csv(path)
    return path


def test_issues_queue_on_an_80_column_terminal_is_readable(labelled, tmp_path):
    out = tmp_path / "issues"
    proc = subprocess.run([sys.executable, "-m", "wslab", "issues", "--data", str(labelled), "--out", str(out),
                           "--folds", "3", "--epochs", "2"], capture_output=True, text=True, timeout=600,
                          env=_env(COLUMNS="80", TTY_COMPATIBLE="1", NO_COLOR="1"))
    assert proc.returncode == 0, proc.stderr
    stdout = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)  # bold and italic stay on a terminal
    lines = stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    queue = pl.read_csv(out / "queue.csv", schema_overrides={"id": pl.String}).head(10)
    assert queue.height >= 3
    rows = [line for line in lines if line.startswith("│ ")]
    for rank, id_, given in queue.select("rank", "id", "given_label").iter_rows():
        first = next(i for i, line in enumerate(rows) if line.split("│")[1].strip() == str(rank))
        block = rows[first:first + 6]
        cells = ["".join(line.split("│")[k].strip() for line in block
                         if line.split("│")[1].strip() in ("", str(rank))) for k in (2, 3)]
        assert cells[0].startswith(id_) and cells[1].startswith(given), (rank, cells)
    header = next(line for line in lines if "rank" in line)
    assert "…" not in header and all(w in stdout for w in ("rank", "id", "given"))
    assert not any("…" in line.split("│")[k] for line in rows for k in (1, 2, 3))


def test_progress_bar_without_a_total_finishes_with_a_count():
    buf = io.StringIO()
    reporter = RichReporter(Console(file=buf, width=100, force_terminal=True, color_system=None))
    with reporter.task("unknown size", total=None) as advance:
        advance(3)
        advance(4)
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue()).replace("\r", "\n").splitlines()
    final = [line for line in lines if "unknown size" in line][-1]
    assert "7/7" in final and "?" not in final, final


def test_end_model_progress_advances_per_batch_and_sums_to_its_total(make_review_corpus):
    from wslab.labeling.end_model import end_model_probs

    df, y = make_review_corpus(500, np.random.default_rng(0))
    texts = df["text"].to_list()
    covered = np.arange(500) < 300
    calls: list[tuple[str, float | None, list[float]]] = []

    class Recorder:
        import contextlib

        @contextlib.contextmanager
        def task(self, description, total=None):
            steps: list[float] = []
            calls.append((description, total, steps))
            yield lambda n=1, **_: steps.append(n)

        def info(self, message):
            pass

    end_model_probs(lambda rows: [texts[i] for i in rows], y, np.ones(500), covered, needed=~covered,
                    prior=np.array([0.5, 0.5]), max_features=500, batch_size=60, reporter=Recorder())
    (_, total, steps), = calls
    assert total == 300 + 200 and steps == [300, 60, 60, 60, 20] and sum(steps) == total


NOT_OUTPUT_COMMANDS = {"wslab config schema"}  # prints the JSON Schema and nothing else: JSON already


def test_every_command_has_quiet_and_json():
    from wslab.app.docs import leaf_commands

    missing = []
    for path, cmd in leaf_commands():
        if path in NOT_OUTPUT_COMMANDS:
            continue
        opts = {o for p in cmd.params for o in p.opts}
        missing += [f"{path} {o}" for o in ("-q", "--quiet", "--json") if o not in opts]
    assert not missing, missing
