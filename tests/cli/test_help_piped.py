"""Issue 22.13: ``--help`` off a terminal is plain, aligned text: no rich panels, no ``<bool>``
beside flags, no word broken at its hyphen, no summary cut with "..."."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wslab.app.cli import app


def _commands() -> list[list[str]]:
    import typer.main

    root = typer.main.get_command(app)
    out: list[list[str]] = [[]]
    for name, cmd in root.commands.items():
        out.append([name])
        out += [[name, sub] for sub in getattr(cmd, "commands", {})]
    return out


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a) or "wslab")
def test_help_off_a_terminal_is_plain(argv):
    res = CliRunner().invoke(app, [*argv, "--help"])  # CliRunner's stdout is not a terminal
    assert res.exit_code == 0, res.output
    text = res.output
    assert not re.search(r"[╭╰│─┏┃]", text), text
    assert "<bool>" not in text
    assert "..." not in text.split("Commands:")[-1] if "Commands:" in text else True
    lines = text.splitlines()
    assert all(len(ln) <= 80 for ln in lines), max(lines, key=len)
    for prev, nxt in zip(lines, lines[1:]):  # a line ends inside a hyphenated word only if the next goes on with it
        assert not (re.search(r"\w-$", prev) and re.match(r"\s*\w", nxt)), (prev, nxt)
    options = [ln for ln in _section(lines, "Options:") if ln.startswith("  -")]
    starts = {len(m.group(1)) for ln in options if (m := re.match(r"(\s+\S+(?:, \S+)*(?: [A-Z=_]+)?\s{2,})\S", ln))}
    assert len(starts) <= 1, options  # every option's help starts in one column


def _section(lines: list[str], heading: str) -> list[str]:
    if heading not in lines:
        return []
    rest = lines[lines.index(heading) + 1:]
    return rest[:next((i for i, ln in enumerate(rest) if ln and not ln.startswith(" ")), len(rest))]


def test_piped_help_of_a_real_process():
    """The console entry point with a pipe for stdout: the long option stays whole."""
    res = subprocess.run([sys.executable, "-m", "wslab", "apply", "--help"], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Usage: wslab apply [OPTIONS]")
    assert "<bool>" not in res.stdout and "│" not in res.stdout
    assert res.stdout.count("--fail-under") == 3 and "-q, --quiet" in res.stdout  # example twice, option once
