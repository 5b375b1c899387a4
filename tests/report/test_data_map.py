"""The interactive data map: every point in its data, the controls, escaping, and (with Chromium)
a page that renders without a console error, whose filter, zoom and tooltip work."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wslab.cartography.plots import data_map_html, data_map_png

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE = "<script>document.documentElement.setAttribute('data-pwned','1')</script><img src=x onerror=alert(1)>"
CLASSES = np.array(["alpha", "beta", "<i>gamma</i>"])


def frame(n: int, seed: int = 0) -> pl.DataFrame:
    """A seeded cartography frame; row 0 is alone at (0.3, 0.05) with a hostile id, text and label."""
    rng = np.random.default_rng(seed)
    conf = rng.beta(5, 1.5, n)
    var = np.clip(np.abs(rng.normal(0.05, 0.04, n)), 0, 0.2)
    corr = np.round(np.clip(conf + rng.normal(0, 0.15, n), 0, 1) * 5) / 5
    given = CLASSES[rng.integers(0, 3, n)]
    suggested = np.where(rng.random(n) < 0.1, CLASSES[rng.integers(0, 3, n)], given)
    ids = [f"d{i:05d}" for i in range(n)]
    texts = [f"text {i}" for i in range(n)]
    ids[0], texts[0], given[0], suggested[0] = f"<b>{HOSTILE}", f"hello {HOSTILE}", "<i>gamma</i>", "alpha"
    conf[0], var[0], corr[0] = 0.05, 0.3, 0.0
    return pl.DataFrame({"id": ids, "text": texts, "given_label": given, "suggested_label": suggested,
                         "confidence": conf, "variability": var, "correctness": corr})


def page_data(page: str) -> dict:
    blob = re.search(r'<script type="application/json" id="points">(.*?)</script>', page, flags=re.DOTALL).group(1)
    return json.loads(blob)


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    return frame(20_000)


@pytest.fixture(scope="module")
def page(big) -> str:
    return data_map_html(big)


def test_every_point_is_in_the_data(big, page):
    data = page_data(page)
    pts = data["points"]
    assert pts["id"] == big["id"].to_list()  # every id, exactly as written, in order
    assert data["density"] is None and data["n_total"] == 20_000
    names = data["names"]
    assert [names[g] for g in pts["g"]] == big["given_label"].to_list()
    assert [names[s] for s in pts["s"]] == big["suggested_label"].to_list()
    np.testing.assert_allclose(pts["c"], big["confidence"], atol=5e-5)
    for metric in ("confidence", "variability", "correctness"):
        assert np.sum(data["hist"][metric]["counts"]) == 20_000
    # the regions are the rule's (wslab.cartography.regions) for every point
    from wslab.cartography.regions import assign_regions
    assert [data["regions"][r] for r in pts["r"]] == assign_regions(big).to_list()
    assert "All 20,000 points are drawn." in page


def test_controls_and_tooltip_fields(page):
    assert '<select id="cls">' in page and '<button id="reset"' in page  # class filter, zoom reset
    assert "addEventListener('wheel'" in page and "'mousedown'" in page  # wheel and rectangle zoom
    assert "<canvas id=\"map\"" in page and "<circle" not in page
    for field in ("'id'", "'given label'", "'suggested label'", "'region'", "'confidence'", "'variability'",
                  "'correctness'"):
        assert field in page, field
    for h in ("h_confidence", "h_variability", "h_correctness"):
        assert f'id="{h}"' in page


def test_untrusted_text_stays_data(page):
    assert page.count("</script>") == 2 and page.count("<script") == 2
    assert "<b><script>" not in page and "<i>gamma</i>" not in page and "onerror=alert" in page  # inside JSON only
    assert "innerHTML" not in page and "://" not in page
    data = page_data(page)
    assert data["points"]["id"][0] == f"<b>{HOSTILE}" and data["points"]["t"][0] == f"hello {HOSTILE}"
    assert data_map_html(frame(5), title="<script>x</script>").count("&lt;script&gt;x&lt;/script&gt;") == 2


def test_many_points_become_a_density_plus_the_non_easy_points():
    f = frame(3000)
    page = data_map_html(f, max_points=1000)
    data = page_data(page)
    non_easy = (f.with_columns(__import__("wslab.cartography.regions", fromlist=["x"]).assign_regions(f))["region"]
                != "easy-to-learn")
    assert data["points"]["id"] == f["id"].filter(non_easy).to_list()
    assert data["n_density"] == 3000 - int(non_easy.sum())
    assert sum(c[1] for c in data["density"]["cells"]) == data["n_density"]
    assert "as a density layer" in page


def test_png_plots_every_point_with_histograms(big):
    from matplotlib.figure import Figure

    png = data_map_png(big)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    seen = {}
    orig = Figure.add_subplot

    def spy(self, *a, **k):
        ax = orig(self, *a, **k)
        seen.setdefault("axes", []).append(ax)
        return ax

    Figure.add_subplot = spy
    try:
        data_map_png(big)
    finally:
        Figure.add_subplot = orig
    main, *hists = seen["axes"]
    assert len(hists) == 3 and [h.get_xlabel() for h in hists] == ["confidence", "variability", "correctness"]
    # the points are marker lines, one per colour (plots._points)
    assert sum(len(line.get_xdata()) for line in main.lines) == 20_000
    assert all(line.get_marker() == "o" and line.get_linestyle() == "None" for line in main.lines)
    assert all(sum(p.get_height() for p in h.patches) == 20_000 for h in hists)


# -- in a browser -------------------------------------------------------------------------------------

PROBE = """<script>
(function(){
var D=JSON.parse(document.getElementById('points').textContent),cv=document.getElementById('map');
var b=cv.getBoundingClientRect(),x=b.left+52+654*D.points.v[0]/D.xmax,y=b.top+12+468*(1-(D.points.c[0]+0.02)/1.04);
var body=document.body,st=document.getElementById('status'),tip=document.getElementById('tip');
// the page hit-tests in an animation frame; headless Chromium under virtual time may produce no
// frame at all on a loaded machine (CI saw the tooltip never shown), so frames become timers here:
// the page's own hit-test and tooltip code still run, only the frame scheduling is replaced
window.requestAnimationFrame=function(cb){return setTimeout(function(){cb(0)},0)};
cv.dispatchEvent(new MouseEvent('mousemove',{clientX:x,clientY:y,bubbles:true}));
// wait (in Chromium's virtual time) until the tooltip is shown, up to 2 s
var tries=0;
function probe(){
if(tip.style.display!=='block'&&tries++<40){setTimeout(probe,50);return}
body.setAttribute('data-tip',tip.textContent);body.setAttribute('data-tip-shown',tip.style.display);
body.setAttribute('data-tip-markup',String(tip.querySelectorAll('script,img,i').length));
var sel=document.getElementById('cls');sel.value=String(D.names.indexOf('beta'));sel.dispatchEvent(new Event('change'));
body.setAttribute('data-filtered',st.textContent);
cv.dispatchEvent(new WheelEvent('wheel',{deltaY:-100,clientX:x,clientY:y,bubbles:true,cancelable:true}));
body.setAttribute('data-wheel',st.textContent);
document.getElementById('reset').click();body.setAttribute('data-reset',st.textContent);
cv.dispatchEvent(new MouseEvent('mousedown',{clientX:b.left+100,clientY:b.top+50,button:0,bubbles:true}));
cv.dispatchEvent(new MouseEvent('mousemove',{clientX:b.left+300,clientY:b.top+250,bubbles:true}));
window.dispatchEvent(new MouseEvent('mouseup',{clientX:b.left+300,clientY:b.top+250,bubbles:true}));
body.setAttribute('data-dragged',st.textContent);
}
setTimeout(probe,50);
})();
</script>"""


def test_renders_in_chromium_and_the_controls_work(chromium, page, tmp_path):
    path = tmp_path / "data_map.html"
    path.write_text(page, encoding="utf-8")
    console = chromium.screenshot(path, ARTIFACTS / "data_map.png", width=1000, height=950)
    assert console == [], console
    assert (ARTIFACTS / "data_map.png").stat().st_size > 50_000

    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom, console = chromium.dump_dom(probed)
    assert console == [], console
    attr = {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', re.search(r"<body[^>]*>", dom)
                                                                                   .group(0))}
    assert attr["tip-shown"] == "block" and attr["tip-markup"] == "0"
    for part in (f"id: <b>{HOSTILE}", "given label: <i>gamma</i>", "suggested label: alpha",
                 "region: ambiguous", "confidence: 0.05", "variability: 0.3", "correctness: 0",
                 f"hello {HOSTILE}"):
        assert part in attr["tip"], (part, attr["tip"])
    n_beta = int((frame(20_000)["given_label"] == "beta").sum())
    assert attr["filtered"] == f"beta: {n_beta:,} points drawn one by one"
    assert attr["wheel"].endswith("· zoomed") and not attr["reset"].endswith("zoomed")
    assert attr["dragged"].endswith("· zoomed")
    assert "data-pwned" not in re.search(r"<html[^>]*>", dom).group(0)


def test_runs_in_a_sandboxed_iframe_under_the_reports_csp(chromium, tmp_path):
    page = data_map_html(frame(2000))
    scripts = [f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
               for m in re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)]
    assert len(scripts) == 1
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {scripts[0]}; frame-src 'self'"
    outer = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{csp}"></head><body>'
             f'<iframe sandbox="allow-scripts" style="width:1000px;height:950px" '
             f'srcdoc="{html.escape(page, quote=True)}"></iframe></body></html>')
    path = tmp_path / "outer.html"
    path.write_text(outer, encoding="utf-8")
    console = chromium.screenshot(path, tmp_path / "outer.png", width=1050, height=1000)
    assert console == [], console
