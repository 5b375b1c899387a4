"""The report's summary names the pipeline that wrote labels.parquet (issue 20.2): the same name
as metrics.json, the manifest and labels.parquet's ``source``, pinned or chosen."""

from __future__ import annotations

import html
import json
import re

import polars as pl
import pytest

from .conftest import report_project
from .test_report import section


def summary_card(page: str, key: str) -> tuple[str, str]:
    """(value, sub text) of the summary card titled ``key``, HTML entities decoded."""
    body = section(page, "summary")
    m = re.search(rf'<div class="k">{re.escape(key)}</div><div class="v">(?:<span class="word">)?(.*?)(?:</span>)?</div>'
                  rf'<div class="s">(.*?)</div>', body)
    assert m is not None, body
    return html.unescape(m.group(1)), html.unescape(m.group(2))


@pytest.mark.parametrize("pin,says", [
    ("gold_only", "a text model trained on the gold dev labels labels every document"),
    ("majority_vote", "LFs' votes combined by majority_vote; documents no LF voted on keep the class prior"),
])
def test_summary_names_the_pinned_candidate(tmp_path, make_review_corpus, make_review_lfs, project_writer, pin, says):
    import yaml

    from wslab.app.pipeline import run_apply
    from wslab.core.config import load_config

    config = report_project(tmp_path, make_review_corpus, project_writer, make_review_lfs(), annotations=False,
                            quality=False)
    raw = yaml.safe_load(config.read_text())
    raw["selection"] = {"candidate": pin}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    run = run_apply(load_config(config)).run_dir
    page = (run / "report.html").read_text(encoding="utf-8")
    value, sub = summary_card(page, "Labels from")
    assert value == pin
    assert says in sub and "chosen on gold dev" in sub
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["chosen"] == json.loads((run / "manifest.json").read_text())["chosen"] == pin
    sources = set(pl.read_parquet(run / "labels.parquet")["source"])
    assert sources <= {pin, "prior"} and pin in sources
    # the evaluation table marks the final labels with the same name
    assert f'title="the pipeline that wrote labels.parquet">{pin}</span>' in section(page, "evaluation")
