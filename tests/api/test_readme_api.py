"""The README's Python API examples run as written: the frame example with pandas and with polars
input, the pipeline example once. If the public API changes, the README must change with it."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2, "README: expected the frame example and the pipeline example under '## Python API'"
    return blocks


def run_block(code: str, cwd: Path, monkeypatch) -> list[str]:
    monkeypatch.chdir(cwd)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    return out.getvalue().splitlines()


@pytest.mark.parametrize("frames", ["pandas", "polars"])
def test_frame_example(frames, tmp_path, monkeypatch):
    code = readme_blocks()[0]
    if frames == "polars":
        assert "import pandas as pd" in code
        code = code.replace("import pandas as pd", "import polars as pd")
    lines = run_block(code, tmp_path, monkeypatch)
    ids, labels = lines[0].split("] [")
    assert ids == "['001', '002', '003', '004', '005', '006'"  # ids stay text, as written
    assert labels == "1, 0, 1, 0, 1, 0]"  # spam, ham, spam, ham, spam, ham
    agreement, alpha = (float(x) for x in lines[1].split())
    assert agreement == pytest.approx(2 / 3)  # two of three items agree
    assert json.loads(lines[2].replace("'", '"'))[:2] == ["m028", "m029"]  # the two wrong labels lead the queue


def test_pipeline_example(tmp_path, monkeypatch):
    lines = run_block(readme_blocks()[1], tmp_path, monkeypatch)
    chosen, accuracy, run_dir = lines[0].split()
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    assert chosen == metrics["chosen"] == metrics["candidates"]["chosen"]  # one chooser, one name
    assert 0.6 < float(accuracy) <= 1.0
    assert (Path(run_dir) / "labels.parquet").exists() and (Path(run_dir) / "report.html").exists()
