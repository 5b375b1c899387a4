"""Issue 22.10: the report an annotation lead reads.

- One number, one CI: a score shown in several places (summary card, evaluation table, pipeline
  candidates, review rounds, the console) carries the one CI of the evaluation in metrics.json.
- The LF table is sorted by harm (below the accuracy floor first, then dev items lost on
  conflicts) and says under each name what the LF is (its spec's description; for WRENCH votes
  the readme's text).
- Rendered by Debian's headless Chromium at 1,400 px: no table wider than the page, ids on one line.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.report.cells import ci as ci_text
from wslab.app.report.cells import num
from wslab.app.shared_ci import metric_of

from report_page import Tables, parse

from .conftest import report_project

LONG = [
    {"name": "kw_customer_is_happy_with_the_delivery_and_the_packaging", "label": "pos", "kind": "keywords",
     "keywords": ["love", "happy"], "description": "Positive: the customer says love or happy about the parcel, "
                                                   "which in this corpus mostly means the delivery went well"},
    {"name": "kw_everything_broken_or_awful_on_arrival_of_the_order", "label": "neg", "kind": "keywords",
     "keywords": ["broken", "awful", "great"], "description": "Negative: broken or awful (and, wrongly, great)"},
]


def table(p: Tables, section: str, first_head: str) -> list[list[str]]:
    return p.first(section, first_head)


@pytest.fixture(scope="module")
def wide_run(tmp_path_factory, make_review_corpus, make_review_lfs, project_writer) -> Path:
    """``wslab apply`` on the review project plus two LFs with long names and descriptions."""
    from wslab.app.pipeline import run_apply
    from wslab.core.config import load_config

    config = report_project(tmp_path_factory.mktemp("wide"), make_review_corpus, project_writer,
                            make_review_lfs(*LONG), annotations=False)
    return run_apply(load_config(config)).run_dir


def shown(value: float, bounds) -> str:
    return f"{num(value)} {ci_text(bounds)}"


def test_one_ci_per_number_everywhere_it_is_shown(wide_run):
    """The final labels' test scores appear in the summary card, the evaluation table, the chosen
    candidate's row and the current review round: the same value and CI each time, metrics.json's."""
    m = json.loads((wide_run / "metrics.json").read_text())
    final, block = m["test"]["final"], m["candidates"]
    p = parse((wide_run / "report.html").read_text())
    macro = shown(final["macro_f1"], final["ci"]["macro_f1"])
    acc = shown(final["accuracy"], final["ci"]["accuracy"])

    card = next(c for c in p.cards if c.startswith("Final labels, macro F1"))
    assert num(final["macro_f1"]) in card and ci_text(final["ci"]["macro_f1"]) in card
    evaluation = table(p, "evaluation", "model")
    row = next(r for r in evaluation if r[0].startswith("Final labels"))
    assert (row[2], row[3]) == (acc, macro)
    rounds = table(p, "rounds", "Round")
    assert (rounds[-1][3], rounds[-1][4]) == (acc, macro)

    # every candidate scored on the very predictions of an evaluation row shows that row's CI
    cands = table(p, "evaluation", "candidate")
    by_name = {r[0]: r for r in cands[1:]}
    shared = [r for r in block["rows"] if (r["test"] or {}).get("source")]
    assert any(r["chosen"] for r in shared), "the chosen candidate's test score is the final labels'"
    for r in shared:
        split, source = r["test"]["source"].split(".")
        value, bounds = metric_of(m[split][source], block["metric"])
        assert by_name[r["name"]][3] == shown(value, bounds), r["name"]
        if r["chosen"] and block["metric"] == "macro_f1":
            assert by_name[r["name"]][3] == macro


def test_console_shows_the_same_ci(wide_run):
    """The console tables read the same metrics.json: the final row and the chosen candidate
    print the evaluation's CI."""
    from rich.console import Console

    from wslab.app.render import candidates_table, metrics_table

    m = json.loads((wide_run / "metrics.json").read_text())
    final = m["test"]["final"]
    console = Console(record=True, width=250)
    console.print(metrics_table(m))
    console.print(candidates_table(m["candidates"]))
    text = console.export_text()
    want = f'{final["macro_f1"]:.3f} [{final["ci"]["macro_f1"][0]:.3f}, {final["ci"]["macro_f1"][1]:.3f}]'
    assert text.count(want) >= 2, text


def test_lf_table_sorted_by_harm_with_descriptions(wide_run):
    t = pl.read_csv(wide_run / "lf_analysis.csv")
    p = parse((wide_run / "report.html").read_text())
    rows = table(p, "lfs", "LF")[1:]
    info = {r["lf"]: r for r in t.iter_rows(named=True)}
    order = [next(n for n in info if r[0].startswith(n + " ") or r[0] == n) for r in rows]
    assert sorted(order) == sorted(info)
    below = ["below_floor" in str(info[n]["flags"] or "") for n in order]
    assert below == sorted(below, reverse=True), "LFs below the accuracy floor come first"
    for group in (True, False):
        costs = [info[n]["conflict_cost"] for n, b in zip(order, below) if b == group]
        assert costs == sorted(costs, reverse=True), "then the most dev items lost on conflicts"
    assert t["conflict_cost"].max() > 0, "the fixture has an LF whose conflicts cost gold dev items"
    for lf in LONG:  # the spec's description, under the name
        row = next(r for r in rows if r[0].startswith(lf["name"]))
        assert row[0] == f'{lf["name"]} {lf["description"]}'


def test_wrench_import_keeps_the_readme_lf_text(tmp_path):
    """``import wrench`` stores the readme's text of each LF with its votes; lf_analysis.csv and
    the report show it."""
    from wslab.app.cli import app
    from wslab.app.pipeline import analyze_lfs
    from wslab.core.config import load_config

    src = tmp_path / "tiny"
    src.mkdir()
    items = {}
    for split, n in (("train", 30), ("valid", 12), ("test", 12)):
        items = {str(i): {"data": {"text": f"check out my channel {i}" if i % 2 else f"nice song {i}"},
                          "label": i % 2, "weak_labels": [1 if i % 2 else -1, -1 if i % 2 else 0]} for i in range(n)}
        (src / f"{split}.json").write_text(json.dumps(items))
    (src / "label.json").write_text(json.dumps({"0": "HAM", "1": "SPAM"}))
    (src / "readme.txt").write_text("Labeling functions list:\n\n    keyword_my,\n    short_comment,\n\n"
                                    "Keyword_my : Spam comments talk about 'my channel', 'my video', etc.\n\n"
                                    "Short_comment : Ham comments are often short.\n")
    res = CliRunner().invoke(app, ["import", "wrench", str(src), str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    analysis = analyze_lfs(load_config(tmp_path / "out" / "config.yaml")).table
    got = dict(zip(analysis["lf"], analysis["description"]))
    assert got == {"keyword_my": "Spam comments talk about 'my channel', 'my video', etc.",
                   "short_comment": "Ham comments are often short."}


# ------------------------------------------------------------------ in a browser

PROBE = """<script>
(function () {
  var out = {W: document.documentElement.clientWidth, docW: document.documentElement.scrollWidth, tables: [], ids: [],
             frames: [], cis: []};
  document.querySelectorAll('table').forEach(function (t) {
    var r = t.getBoundingClientRect(), box = t.parentElement;
    out.tables.push({section: (t.closest('section') || {}).id || '', right: r.right, box: box.clientWidth,
                     boxScroll: box.scrollWidth});
  });
  document.querySelectorAll('code.id').forEach(function (c) {
    out.ids.push({text: c.textContent, lines: c.getClientRects().length});
  });
  document.querySelectorAll('iframe').forEach(function (f) { out.frames.push(f.getBoundingClientRect().right); });
  document.querySelectorAll('.ci').forEach(function (c) {
    var cell = c.closest('td') || c.closest('.card'), tr = c.closest('tr');
    var text = function (e) { return e ? e.innerText.replace(/\\s+/g, ' ').trim() : ''; };
    out.cis.push({section: (c.closest('section') || {}).id || '', cell: text(cell),
                  row: tr ? text(tr.cells[0]) : text(cell), last: !!tr && !tr.nextElementSibling});
  });
  var pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def measure(chromium, report: Path, folder: Path, width: int = 1400) -> dict:
    """The report laid out by Chromium ``width`` px wide: a probe script (the page's CSP,
    which allows only the data map's own code, is taken out for it) writes what it measured."""
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text(), count=1)
    probed = folder / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"))
    dom, _ = chromium.run(probed, "--dump-dom", f"--window-size={width},3000")
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found[1]))


def test_no_table_wider_than_the_page_at_1400px(chromium, wide_run, tmp_path):
    got = measure(chromium, wide_run / "report.html", tmp_path)
    assert got["docW"] <= got["W"] == 1400
    assert {t["section"] for t in got["tables"]} >= {"evaluation", "lfs", "queue", "rounds", "run"}
    for t in got["tables"]:
        assert t["right"] <= got["W"] and t["boxScroll"] <= t["box"], t
    assert got["frames"] and all(right <= got["W"] for right in got["frames"])
    assert got["ids"] and all(i["lines"] == 1 for i in got["ids"]), [i for i in got["ids"] if i["lines"] != 1]


def test_each_ci_once_per_number_in_the_browser(chromium, wide_run, tmp_path):
    """In the laid-out page, each place that shows the final labels' test accuracy or macro F1
    (summary card, evaluation row, chosen candidate, current round) shows metrics.json's CI."""
    m = json.loads((wide_run / "metrics.json").read_text())
    final, chosen = m["test"]["final"], m["chosen"]
    got = measure(chromium, wide_run / "report.html", tmp_path)
    for metric in ("accuracy", "macro_f1"):
        value, want = num(final[metric]), ci_text(final["ci"][metric])
        places = [c for c in got["cis"] if c["cell"].startswith(value + " [") and (
            c["row"].startswith(("Final labels", chosen + " ")) or c["row"] == chosen
            or (c["section"] == "rounds" and c["last"]))]
        places += [c for c in got["cis"] if c["section"] == "summary" and metric == "macro_f1"]
        # accuracy: evaluation row and round; macro F1 (the selection metric) also card and chosen candidate
        assert len(places) == (4 if metric == m["candidates"]["metric"] else 2), (metric, places)
        assert all(want in c["cell"] for c in places), (metric, want, places)


def test_screenshot_at_1400px(chromium, wide_run):
    """The picture a reviewer looks at (test-artifacts/report-1400.png)."""
    from .test_report import ARTIFACTS

    chromium.screenshot(wide_run / "report.html", ARTIFACTS / "report-1400.png", width=1400, height=3000)
    assert (ARTIFACTS / "report-1400.png").stat().st_size > 10_000
