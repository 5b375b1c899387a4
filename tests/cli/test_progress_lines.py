"""Progress off a terminal: ``wslab apply`` piped (CliRunner's streams are not a TTY) prints one
line per pipeline stage as it ends, with its time; ``-q`` and ``--json`` print none of them."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from wslab.app.cli import app

STAGES = ("validate", "apply_lfs", "label_models", "selection", "end_model", "evaluation")
STAGE_LINE = re.compile(r"^(\w+) done in \d+\.\d s$")


def _stage_lines(text: str) -> list[str]:
    return [m.group(1) for m in map(STAGE_LINE.match, text.splitlines()) if m]


def test_piped_apply_prints_a_line_per_stage_and_quiet_prints_none(project, monkeypatch):
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    runner = CliRunner()
    config = str(project / "config.yaml")
    piped = runner.invoke(app, ["apply", config])
    assert piped.exit_code == 0, piped.output
    stages = _stage_lines(piped.stderr)
    assert [s for s in stages if s in STAGES] == list(STAGES), piped.stderr  # each once, in pipeline order
    assert not _stage_lines(piped.stdout)  # progress goes to stderr; stdout keeps the tables
    assert "\r" not in piped.stderr and "\x1b[" not in piped.stderr  # plain lines, no bars redrawn in place

    for flag in ("-q", "--json"):
        silent = runner.invoke(app, ["apply", config, flag])
        assert silent.exit_code == 0, silent.output
        assert _stage_lines(silent.stderr) == [] and silent.stderr == "", (flag, silent.stderr)
