"""Agreement on tags: MASI alpha against NLTK, per-tag coefficients against scikit-learn,
statsmodels and the krippendorff package, and ``wslab agreement --multilabel`` end to end."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import polars as pl
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.errors import InputError
from wslab.quality.agreement_tags import lf_tag_raters, masi_alpha, masi_distance_matrix, tag_agreement_report

TAGS = ["card", "fraud", "tariff"]

# hand-made tag sets: one row per item, one entry per rater, None = not rated
CASES = {
    "complete": [[{"card"}, {"card"}, {"card", "tariff"}], [{"fraud"}, {"fraud"}, {"fraud"}],
                 [{"tariff"}, {"card", "tariff"}, {"tariff"}], [{"card", "fraud"}, {"fraud"}, {"card"}],
                 [{"card"}, {"tariff"}, {"card"}]],
    "missing ratings": [[{"card"}, {"card"}, None], [{"fraud"}, None, {"fraud", "card"}],
                        [{"tariff"}, {"card", "tariff"}, {"tariff"}], [None, {"fraud"}, None],
                        [{"card", "fraud", "tariff"}, {"card", "fraud"}, {"tariff"}], [{"card"}, None, {"tariff"}]],
    "empty sets": [[set(), set(), {"card"}], [{"fraud"}, {"fraud"}, set()], [{"tariff"}, {"tariff"}, {"tariff"}],
                   [set(), None, set()], [{"card", "tariff"}, {"card"}, None]],
    "two raters": [[{"card"}, {"card"}], [{"card", "fraud"}, {"fraud"}], [{"tariff"}, {"card"}],
                   [{"fraud"}, {"fraud", "tariff"}], [{"card", "tariff"}, {"card", "tariff"}]],
}


def _array(rows) -> np.ndarray:
    out = np.full((len(rows), len(rows[0]), len(TAGS)), -1, dtype=np.int8)
    for i, row in enumerate(rows):
        for j, s in enumerate(row):
            if s is not None:
                out[i, j] = [t in s for t in TAGS]
    return out


def _nltk_alpha(rows) -> float:
    data = [(f"c{j}", f"i{i}", frozenset(s)) for i, row in enumerate(rows) for j, s in enumerate(row) if s is not None]
    # NLTK's masi_distance divides by zero on two empty sets; they are identical (distance 0)
    task = AnnotationTask(data=data, distance=lambda a, b: 0.0 if a == b else masi_distance(a, b))
    return task.alpha()


@pytest.mark.parametrize("case", list(CASES))
def test_masi_alpha_matches_nltk(case):
    rows = CASES[case]
    ours = masi_alpha(_array(rows), n_boot=200, seed=1)
    assert ours.value == pytest.approx(_nltk_alpha(rows), abs=1e-12)
    assert ours.ci[0] <= ours.value <= ours.ci[1]
    assert ours.n == sum(sum(s is not None for s in row) >= 2 for row in rows)


def test_masi_distances_match_nltk():
    sets = [set(), {"card"}, {"fraud"}, {"card", "fraud"}, {"card", "tariff"}, {"card", "fraud", "tariff"}]
    ours = masi_distance_matrix(np.array([[t in s for t in TAGS] for s in sets]))
    for i, a in enumerate(sets):
        for j, b in enumerate(sets):
            ref = 0.0 if a == b else masi_distance(a, b)
            assert ours[i, j] == pytest.approx(ref, abs=1e-12), (a, b)


def test_masi_alpha_undefined_and_bad_input():
    same = masi_alpha(_array([[{"card"}, {"card"}], [{"card"}, {"card"}]]), n_boot=0)
    assert same.value is None and "same tag set" in same.note
    half = _array([[{"card"}, {"card"}]])
    half[0, 0, 1] = -1  # unrated in one tag only
    with pytest.raises(InputError, match="not rated"):
        masi_alpha(half)


def _long(rows) -> pl.DataFrame:
    return pl.DataFrame([{"id": f"i{i}", "annotator": f"a{j}", "label": ";".join(sorted(s))}
                         for i, row in enumerate(rows) for j, s in enumerate(row) if s is not None])


def test_per_tag_coefficients_match_references():
    rows = CASES["complete"] + CASES["two raters"][:0] + [[{"card"}, {"card"}, set()], [set(), {"fraud"}, {"fraud"}]]
    gold = pl.DataFrame({"id": [f"i{i}" for i in range(len(rows))],
                         "label": ["card", "fraud", "tariff", "card;fraud", "card", "card", "fraud"]})
    rep = tag_agreement_report(_long(rows), gold, tags=TAGS, n_boot=100)
    sets = _array(rows)
    for t, tag in enumerate(TAGS):
        per = rep["per_tag"][tag]
        codes = sets[:, :, t]
        ref_fleiss = sm_fleiss_kappa(aggregate_raters(codes, n_cat=2)[0])
        assert per["fleiss_kappa"]["value"] == pytest.approx(ref_fleiss, abs=1e-12)
        pair = next(p for p in per["cohen_kappa"] if p["annotators"] == ["a0", "a1"])
        ref_cohen = cohen_kappa_score(codes[:, 0], codes[:, 1])
        assert pair["value"] == pytest.approx(ref_cohen, abs=1e-12) if not np.isnan(ref_cohen) else pair["value"] is None
        ref_alpha = krippendorff.alpha(reliability_data=codes.T.astype(float), level_of_measurement="nominal")
        assert per["krippendorff_alpha"]["value"] == pytest.approx(ref_alpha, abs=1e-12)
        g = np.array([tag in c.split(";") for c in gold["label"]], dtype=int)
        a0 = next(s for s in per["vs_gold"]["sources"] if s["name"] == "a0")
        assert a0["cohen_kappa"]["value"] == pytest.approx(cohen_kappa_score(g, codes[:, 0]), abs=1e-12)
    assert rep["masi_alpha"]["value"] == pytest.approx(_nltk_alpha(rows), abs=1e-12)
    assert rep["krippendorff_alpha"]["value"] == rep["masi_alpha"]["value"]  # the gate reads the MASI alpha
    lowest = min(rep["per_tag"][t]["fleiss_kappa"]["value"] for t in TAGS)
    assert rep["fleiss_kappa"]["value"] == lowest and rep["fleiss_kappa"]["tag"] in TAGS


def test_llm_raters_and_lfs_per_tag():
    rows = CASES["complete"]
    llm = pl.DataFrame({"id": ["i0", "i1", "i2"], "label": ["card", "fraud", ""]})
    lf = lf_tag_raters([f"i{i}" for i in range(5)], {"kw_card": ("card", np.array([1, -1, -1, 0, 1]))})
    rep = tag_agreement_report(_long(rows), tags=TAGS, raters={"llm:x": llm}, tag_raters=lf, n_boot=0)
    card = rep["per_tag"]["card"]["llm_raters"]
    assert card["names"] == ["llm:x", "lf:kw_card"]
    assert card["n_rated"] == {"llm:x": 3, "lf:kw_card": 3}
    assert "lf:kw_card" not in rep["per_tag"]["fraud"]["llm_raters"]["names"]
    # the LF says card on i0 and i4 and not-card on i3; annotator a0 gave card to i0, i3, i4
    kappa = next(p for p in card["cohen_kappa"] if p["rater"] == "lf:kw_card" and p["annotator"] == "a0")
    assert kappa["n"] == 3


def test_cli_multilabel_agreement(tmp_path):
    ann = tmp_path / "ann.csv"
    _long(CASES["missing ratings"]).write_csv(ann)
    gold = tmp_path / "gold.csv"
    pl.DataFrame({"id": [f"i{i}" for i in range(6)],
                  "label": ["card", "fraud;card", "tariff", "fraud", "card;fraud", ""]}).write_csv(gold)
    res = CliRunner().invoke(app, ["agreement", "--gold", str(gold), "--annotations", str(ann), "--multilabel",
                                   "--json", "--n-boot", "50", "--fail-under", "krippendorff_alpha=-1"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["multilabel"] and out["tags"] == TAGS
    assert out["masi_alpha"]["value"] == pytest.approx(_nltk_alpha(CASES["missing ratings"]), abs=1e-12)
    assert set(out["per_tag"]) == set(TAGS) and out["gates"][0]["passed"]
    res = CliRunner().invoke(app, ["agreement", "--gold", str(gold), "--annotations", str(ann), "--multilabel"])
    assert res.exit_code == 0 and "MASI" in res.output

    pl.DataFrame({"id": ["x", "x"], "annotator": ["a", "b"], "label": ["card;card", "card"]}).write_csv(ann)
    res = CliRunner().invoke(app, ["agreement", "--annotations", str(ann), "--multilabel"])
    assert res.exit_code == 2 and "row 2" in res.output and "listed twice" in res.output
    pl.DataFrame({"id": ["x", "x"], "annotator": ["a", "b"], "label": ["card", "loan"]}).write_csv(ann)
    res = CliRunner().invoke(app, ["agreement", "--annotations", str(ann), "--multilabel", "--labels-set", "card,fraud"])
    assert res.exit_code == 2 and "row 3" in res.output and "'loan'" in res.output
    pl.DataFrame({"id": ["x", "x"], "annotator": ["a", "b"], "label": ["card", "card;fraud"]}).write_csv(ann)
    res = CliRunner().invoke(app, ["agreement", "--annotations", str(ann)])  # tag cells without --multilabel
    assert res.exit_code == 2 and "row 3" in res.output and "--multilabel" in res.output


def test_run_agreement_of_a_multilabel_project(tmp_path):
    """What ``wslab apply`` writes as agreement.json when the config says ``multilabel: true``:
    MASI alpha, gold cut to the annotated ids, each LF a rater of its tag only."""
    from types import SimpleNamespace

    from wslab.app.tag_stages import tag_agreement
    from wslab.core.config import load_config
    from wslab.core.data import Corpus, TagGold

    (tmp_path / "config.yaml").write_text("multilabel: true\ncorpus: {path: corpus.csv}\nannotations: ann.csv\n"
                                          "labels: {card: c, fraud: f, tariff: t}\n")
    cfg = load_config(tmp_path / "config.yaml")
    rows = CASES["missing ratings"]
    ids = [f"i{i}" for i in range(len(rows))] + ["zz"]
    corpus = Corpus.from_frame(pl.DataFrame({"id": ids, "text": ["t"] * len(ids)}))
    gold = TagGold(ids=pl.Series("id", ["i0", "i1", "i2", "zz"]), y=np.array(
        [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8), is_dev=np.ones(4, bool), tags=tuple(TAGS))
    project = SimpleNamespace(cfg=cfg, annotations=_long(rows), gold=gold, labels=TAGS, corpus=corpus)
    kw = np.array([[1], [-1], [0], [1], [1], [-1], [1]], dtype=np.int8)  # per corpus row; zz is not annotated
    none = np.empty((len(ids), 0), dtype=np.int8)
    rep = tag_agreement(project, {"card": (["kw"], kw), "fraud": ([], none), "tariff": ([], none)})
    assert rep["multilabel"] and rep["masi_alpha"]["value"] == pytest.approx(_nltk_alpha(rows), abs=1e-12)
    card = rep["per_tag"]["card"]
    assert card["vs_gold"]["n_gold"] == 3  # gold ids that were annotated
    assert card["llm_raters"]["names"] == ["lf:kw"] and card["llm_raters"]["n_rated"] == {"lf:kw": 4}
    assert rep["per_tag"]["fraud"]["llm_raters"] is None
    lf = next(s for s in card["vs_gold"]["sources"] if s["name"] == "lf:kw")
    # on gold i0, i1, i2 the LF says card, abstains, not card; gold says card, card, not card: 2 of 2 right
    assert lf["accuracy"]["n"] == 2 and lf["accuracy"]["value"] == 1.0
