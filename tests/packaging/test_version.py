"""`wslab --version` prints the installed distribution's version."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

import wslab
from wslab.app.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_version_option_prints_the_installed_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output == f"wslab {version('wslab')}\n"
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version("wslab") == declared == wslab.__version__


def test_version_through_the_console_script():
    out = subprocess.run([str(Path(sys.executable).parent / "wslab"), "--version"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"wslab {version('wslab')}", out.stdout + out.stderr
