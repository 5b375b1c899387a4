"""The package lines of the architecture: a stage package (labeling, quality, cartography) imports
no other stage package; shared code lives in wslab core (stats, artifacts, data, validation)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("labeling", "quality", "cartography")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_other_stage(stage):
    files = sorted((ROOT / stage).glob("*.py"))
    assert files, f"no modules under {stage}/"
    crossing = {f"{f.name} imports {m}" for f in files for m in imported_modules(f)
                for other in STAGES if other != stage and (m == f"wslab.{other}" or m.startswith(f"wslab.{other}."))}
    assert not crossing, sorted(crossing)


def test_the_check_sees_a_crossing(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("from wslab.quality.queue import build_queue\n", encoding="utf-8")
    assert "wslab.quality.queue" in imported_modules(bad)
