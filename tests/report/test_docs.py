"""Docs generated from the code are current; every command has help with an example and is documented;
``wslab config schema`` and ``wslab config check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wslab.app.docs import DOCS, leaf_commands

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("rel", sorted(DOCS))
def test_committed_docs_equal_freshly_generated(rel):
    committed = (ROOT / rel).read_text(encoding="utf-8")
    assert committed == DOCS[rel](), f"{rel} is stale; run: python -m wslab.app.docs"


def test_every_command_module_is_registered():
    """A module in wslab/commands that wslab/app/cli.py does not list is a command users never see."""
    from wslab.app import cli

    modules = sorted(p.stem for p in (ROOT / "wslab" / "commands").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if m not in cli.COMMAND_MODULES]
    assert not missing, f"add {missing} to COMMAND_MODULES in wslab/app/cli.py"


def test_every_command_has_help_with_an_example_and_is_in_the_cli_reference():
    from wslab.app.cli import app

    cli_md = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = leaf_commands()
    names = [path for path, _ in commands]
    for expected in ("wslab apply", "wslab report", "wslab config schema", "wslab config check", "wslab agreement"):
        assert expected in names
    for path, _ in commands:
        result = runner.invoke(app, [*path.split()[1:], "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, f"{path} --help has no example"
        assert f"\n## {path}\n" in cli_md, f"{path} is not in docs/cli.md"
        assert "Example" in cli_md.split(f"\n## {path}\n", 1)[1].split("\n## ", 1)[0]


def test_config_schema_prints_the_json_schema():
    from wslab.app.cli import app
    from wslab.core.config import config_json_schema

    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema == config_json_schema()
    assert schema["additionalProperties"] is False and {"corpus", "labels"} <= set(schema["required"])
    config_md = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for key in schema["properties"]:
        assert f"| `{key}` |" in config_md


def test_config_check_validates_without_applying_lfs(project, monkeypatch):
    import wslab.app.pipeline
    from wslab.app.cli import app

    def no_apply(*args, **kwargs):
        raise AssertionError("config check must not apply LFs")

    monkeypatch.setattr(wslab.app.pipeline, "label_matrix", no_apply)
    before = sorted(p.name for p in project.parent.iterdir())
    result = runner.invoke(app, ["config", "check", str(project), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["corpus"]["documents"] == 400
    assert out["gold"] == {"path": str(project.parent / "gold.csv"), "items": 160, "dev": 80, "test": 80}
    assert out["lfs"]["total"] == 6 and out["annotations"]["annotators"] == 3
    assert sorted(p.name for p in project.parent.iterdir()) == before  # nothing written
    result = runner.invoke(app, ["config", "check", str(project)])
    assert result.exit_code == 0 and "ok" in result.output
    assert runner.invoke(app, ["config", "check", str(project), "--quiet"]).output == ""
