"""Config sections renamed by role (issue 20.3): ``quality:`` is now ``suspicious:`` (finding
suspicious labels) and ``review:`` is now ``review_loop:``. An old config gets one line that names
the file, the old key and the new one, exit 2, and no run folder."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from wslab.core.config import load_config


@pytest.mark.parametrize(("old", "new", "body"), [("quality", "suspicious", {"enabled": False}),
                                                  ("review", "review_loop", {"expert_labels": "labels"})])
def test_old_section_is_one_line_naming_the_new(project, old, new, body):
    from wslab.app.cli import app

    cfg = yaml.safe_load((project / "config.yaml").read_text())
    cfg[old] = body
    cfg["output"] = {"dir": "runs/x"}
    (project / "config.yaml").write_text(yaml.safe_dump(cfg))
    for argv in (["config", "check", str(project / "config.yaml")], ["apply", str(project / "config.yaml")]):
        result = CliRunner().invoke(app, argv)
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert result.exit_code == 2, result.output
        assert lines == [f"error: {project / 'config.yaml'}: key '{old}' was renamed; rename the section "
                         f"'{old}:' to '{new}:'"]
    assert not (project / "runs").exists()


def test_new_sections_load(project):
    cfg = yaml.safe_load((project / "config.yaml").read_text())
    cfg["suspicious"] = {"enabled": False, "folds": 3}
    cfg["review_loop"] = {"expert_labels": "labels", "answers": "store/answers.csv"}
    (project / "config.yaml").write_text(yaml.safe_dump(cfg))
    loaded = load_config(project / "config.yaml")
    assert loaded.suspicious.enabled is False and loaded.suspicious.folds == 3
    assert loaded.review_loop.expert_labels == "labels"
    assert loaded.review_path("answers") == project / "store" / "answers.csv"
    assert loaded.review_path("split") == project / "store" / "wslab_split.csv"
