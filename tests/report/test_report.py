"""report.html: written by apply, rebuilt by ``wslab report``, self-contained, escaped, rendered by Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.core.errors import InputError
from wslab.app.report import REPORT_SECTIONS, build_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
runner = CliRunner()


def sections(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', page)


def section(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, flags=re.DOTALL)
    assert m, sid
    return m.group(1)


def test_apply_writes_a_complete_self_contained_report(run_dir):
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert sections(page) == list(REPORT_SECTIONS)
    assert "Not run" not in page  # gold, quality and annotations all present in this project
    manifest = json.loads((run_dir / "manifest.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert manifest["config_hash"] in page
    # the numbers a reader needs, as the run computed them
    final = metrics["test"]["final"]
    lo, hi = final["ci"]["macro_f1"]
    assert f"{final['macro_f1']:.3f}" in section(page, "summary")
    assert f"[{lo:.3f}, {hi:.3f}]" in section(page, "evaluation")
    for row in ("Majority vote", "Label model (Snorkel)", "End model (TF-IDF + LR)", "Final labels"):
        assert row in section(page, "evaluation")
    for lf in pl.read_csv(run_dir / "lf_analysis.csv")["lf"]:
        assert f'<code class="name">{lf}</code>' in section(page, "lfs").replace("<wbr>", "")
    assert "<svg" in section(page, "evaluation") and "<svg" in section(page, "classes")
    conf = metrics["test"]["final"]["confusion"]
    assert re.search(rf">{conf[0][0]}<small>", section(page, "confusion"))
    assert "Krippendorff" in section(page, "agreement") and "ann_a" in section(page, "agreement")
    assert "<iframe" in section(page, "data-map") and "srcdoc=" in section(page, "data-map")
    queue = pl.read_csv(run_dir / "queue.csv").filter(pl.col("flagged")).sort("rank")
    assert f'<code class="id">{queue["id"][0]}</code>' in section(page, "queue")
    # nothing from elsewhere: no external script, stylesheet, image, font or frame
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "script-src 'sha256-" in page  # only the data map's own code may run


def test_report_command_rebuilds_the_same_bytes(run_dir, tmp_path):
    from wslab.app.cli import app

    out = tmp_path / "again.html"
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["report"] == str(out)
    assert out.read_bytes() == (run_dir / "report.html").read_bytes()


@pytest.fixture(scope="module")
def hostile_run(run_dir, tmp_path_factory) -> Path:
    """A copy of the run folder whose texts, ids, reasons and LF names carry HTML and script."""
    from wslab.core.io import write_table

    hostile = "<script>document.documentElement.setAttribute('data-pwned','1')</script><b onmouseover=x>"
    dest = tmp_path_factory.mktemp("hostile") / "run"
    shutil.copytree(run_dir, dest)
    q = pl.read_csv(dest / "queue.csv").with_columns(
        pl.when(pl.col("rank") == 1).then(pl.lit(hostile)).otherwise(pl.col("text")).alias("text"),
        pl.when(pl.col("rank") == 2).then(pl.lit("<i>id</i>")).otherwise(pl.col("id").cast(pl.String)).alias("id"),
        (pl.col("reasons") + pl.lit(" </td></tr><script>alert(1)</script>")).alias("reasons"))
    write_table(dest / "queue.csv", q)
    c = pl.read_parquet(dest / "cartography.parquet").with_columns(
        (pl.col("text") + pl.lit(hostile + "</script></iframe>")).alias("text"))
    write_table(dest / "cartography.parquet", c)
    lfs = pl.read_csv(dest / "lf_analysis.csv").with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("<script>x()</script>")).otherwise(pl.col("lf")).alias("lf"))
    write_table(dest / "lf_analysis.csv", lfs)
    return dest


def test_texts_are_escaped(hostile_run):
    page = build_report(hostile_run)
    assert "<script>" not in page  # the report itself has no script; the data map's is inside srcdoc
    assert "&lt;script&gt;document.documentElement" in section(page, "queue")
    assert "&lt;i&gt;id&lt;/i&gt;" in section(page, "queue")
    assert '<code class="name">&lt;script&gt;x()&lt;/script&gt;</code>' in section(page, "lfs")
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)
    assert "</iframe" not in srcdoc and "<script>document" not in srcdoc


def test_missing_optional_stages_say_not_run(run_dir, tmp_path):
    dest = tmp_path / "run"
    dest.mkdir()
    shutil.copy(run_dir / "manifest.json", dest)
    shutil.copy(run_dir / "lf_analysis.csv", dest)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics = {k: v for k, v in metrics.items() if k not in ("test", "dev", "gold")}
    (dest / "metrics.json").write_text(json.dumps(metrics))
    page = build_report(dest)
    assert sections(page) == list(REPORT_SECTIONS)
    for sid in ("evaluation", "classes", "confusion", "agreement", "data-map", "queue"):
        assert "Not run." in section(page, sid), sid
    assert "Not run." not in section(page, "lfs")


@pytest.mark.parametrize("case, message", [
    ("missing_folder", r"nope: run folder not found"),
    ("no_manifest", r"manifest\.json: file not found; expected a run folder written by wslab apply"),
    ("bad_json", r"metrics\.json: line 1: not valid JSON"),
    ("json_list", r"manifest\.json: expected a JSON object; got list"),
])
def test_not_a_run_folder(run_dir, tmp_path, case, message):
    target = tmp_path / "nope"
    if case != "missing_folder":
        shutil.copytree(run_dir, target)
    if case == "no_manifest":
        (target / "manifest.json").unlink()
    if case == "bad_json":
        (target / "metrics.json").write_text("{not json")
    if case == "json_list":
        (target / "manifest.json").write_text("[1, 2]")
    with pytest.raises(InputError, match=message):
        build_report(target)


def test_renders_in_chromium_without_console_errors(chromium, run_dir, hostile_run):
    dom, console = chromium.dump_dom(run_dir / "report.html")
    assert console == [], console
    for sid in REPORT_SECTIONS:
        assert f'<section id="{sid}">' in dom, sid
    assert "<iframe" in dom
    # a hostile run folder renders too, and none of its markup runs
    (hostile_run / "report.html").write_text(build_report(hostile_run), encoding="utf-8")
    dom, console = chromium.dump_dom(hostile_run / "report.html")
    assert console == [], console
    assert re.search(r"<html[^>]*>", dom) and not re.search(r"<html[^>]*data-pwned", dom)  # the script never ran
    assert "<b onmouseover" not in dom
    assert "&lt;script&gt;document.documentElement" in dom
    console = chromium.screenshot(run_dir / "report.html", ARTIFACTS / "report.png")
    assert console == [], console
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000
