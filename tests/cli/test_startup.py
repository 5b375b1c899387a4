"""Start-up: ``wslab --version``, ``wslab --help`` and every command's ``--help`` import none of the
heavy libraries (the modules imported are asserted, not a time: timings flake on a loaded machine).

Each invocation runs in a fresh interpreter, so nothing another test imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "scipy", "statsmodels", "snorkel", "torch", "pandas", "cleanlab", "pyspark", "polars")

_PROBE = """
import json, sys
from wslab.app.cli import app
try:
    app(args=sys.argv[1:], prog_name="wslab")
except SystemExit:
    pass
heavy = set(json.loads({heavy!r}))
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & heavy)))
"""


def _command_paths() -> list[list[str]]:
    """Every command and command group of the app, as the argv that reaches it."""
    import typer

    from wslab.app.cli import app

    def walk(t: typer.Typer, prefix: list[str]) -> list[list[str]]:
        out = [prefix + [c.name or c.callback.__name__.replace("_", "-")] for c in t.registered_commands]
        for g in t.registered_groups:
            out.append(prefix + [g.name])
            out += walk(g.typer_instance, prefix + [g.name])
        return out
    return walk(app, [])


def _heavy_imports(argv: list[str]) -> list[str]:
    code = _PROBE.format(heavy=json.dumps(HEAVY))
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_command_is_probed():
    """The command walk finds the commands and groups the CLI has (a walk finding none would pass vacuously)."""
    names = {" ".join(p) for p in _command_paths()}
    assert {"apply", "demo", "agreement", "issues", "report", "lfs", "lfs author", "lfs analyze",
            "import wrench", "relabel export", "config check"} <= names


@pytest.mark.parametrize("argv", [["--version"], ["--help"]] + [p + ["--help"] for p in _command_paths()],
                         ids=lambda a: " ".join(a))
def test_help_and_version_import_no_heavy_library(argv):
    assert _heavy_imports(argv) == []


def test_the_probe_sees_a_heavy_import(tmp_path):
    """The probe itself works: a command that really runs (and fails on a missing file, exit 2)
    has imported its libraries, and the probe reports them."""
    assert "sklearn" in _heavy_imports(["issues", "--data", str(tmp_path / "missing.csv")])


def test_help_choices_match_the_library():
    """The agreement command writes its --metric and --scale choices out (so its help imports
    nothing heavy); they must stay those of wslab.quality."""
    from wslab.app.commands import agreement as cmd
    from wslab.quality.agreement_report import METRICS
    from wslab.quality.bands import SCALES

    assert cmd.METRICS == METRICS and cmd.SCALES == SCALES
