"""The run report: one self-contained ``report.html`` built from the files of a run folder.

:func:`build_report` reads what ``wslab apply`` wrote (:mod:`wslab.app.report.load`), computes the
values of each section (:mod:`wslab.app.report.sections`) and renders the Jinja2 templates under
``templates/`` (the page, its CSS, a table macro and one template per section). The page has
inline CSS and inline SVG charts (:mod:`wslab.app.report.charts`): no JavaScript, CSS or fonts from
anywhere else, so it opens offline. The interactive data map is the page of
:func:`wslab.cartography.plots.data_map_html`, embedded in an ``<iframe srcdoc>``.

Every text from the run (document texts, ids, label and LF names, file paths) is untrusted
data: the templates autoescape, so a document containing ``<script>`` shows as text; only the
SVG charts, escaped where they are drawn, go in as markup. A stage that did not run (no gold,
no suspicious-label stage, no annotations) gets a short "not run" note.

The page holds no timestamp and no absolute run-folder path, so rebuilding a report from the
same files (``wslab report RUN_DIR``) gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

import jinja2

from wslab.app.report.charts import BLUE, DARK, GREY
from wslab.app.report.load import load_run
from wslab.app.report.sections import SECTIONS, compute_sections
from wslab.app.report.tags import TAG_SECTIONS, compute_tag_sections, is_multilabel

__all__ = ["build_report", "REPORT_SECTIONS"]

REPORT_SECTIONS = tuple(SECTIONS)
"""The ``id`` of every ``<section>`` of the report, in page order."""

NAV = {"summary": "Summary", "evaluation": "Evaluation", "lfs": "LFs", "classes": "Classes",
       "confusion": "Confusion", "agreement": "Agreement", "data-map": "Data map", "queue": "Relabel queue",
       "rounds": "Rounds", "run": "Run details"}
TAG_NAV = {"classes": "Tags", "confusion": "Co-occurrence"}
"""The nav titles a multi-label run (``metrics.json`` ``multilabel: true``) gives its own sections."""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("wslab.app.report", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def script_hashes(page: str) -> list[str]:
    """SHA-256 digests (base64) of the executable inline scripts of ``page`` (the data map's code,
    not its JSON data), for the page's Content-Security-Policy."""
    return [base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()
            for m in re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)]


def build_report(run_dir: Path) -> str:
    """Return the self-contained HTML report of the run folder ``run_dir``.

    Needs ``manifest.json`` and ``metrics.json`` (InputError naming the file otherwise); every
    other artefact is optional and its section says "Not run" when it is absent.
    """
    d = load_run(Path(run_dir))
    values = compute_tag_sections(d) if is_multilabel(d) else compute_sections(d)
    man = d["manifest"]
    cfg = man.get("config_path")
    meta = {"config": Path(cfg).name if cfg else "—", "hash": man.get("config_hash"), "seed": man.get("seed"),
            "labels": ", ".join(str(x) for x in d["metrics"].get("labels") or []),
            "version": (man.get("versions") or {}).get("wslab", "?")}
    hashes = script_hashes(values["data-map"]["page"]) if values["data-map"] else []
    tagged = is_multilabel(d)
    templates = {sid: f"sections/{sid}{'-tags' if tagged and sid in TAG_SECTIONS else ''}.html.j2"
                 for sid in REPORT_SECTIONS}
    nav = {**NAV, **(TAG_NAV if tagged else {})}
    return _environment().get_template("page.html.j2").render(
        meta=meta, script_hashes=hashes, nav=list(nav.items()), sections=REPORT_SECTIONS, values=values,
        templates=templates, colours={"blue": BLUE, "grey": GREY, "dark": DARK})
