"""The LLM as a rater in the agreement report: kappa with each annotator and against gold,
without changing the annotators' own coefficients."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import cohen_kappa_score

from wslab.quality.agreement_report import agreement_report

CATS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 120
    truth = rng.integers(0, 3, n)

    def noisy(p):
        return np.where(rng.random(n) < p, truth, rng.integers(0, 3, n))

    ids = [f"x{i}" for i in range(n)]
    ann = pl.concat([pl.DataFrame({"id": ids, "annotator": name, "label": np.array(CATS)[noisy(p)]})
                     for name, p in (("ann1", 0.8), ("ann2", 0.7))])
    llm_y = noisy(0.75)
    rated = rng.random(n) < 0.9  # the LLM abstained on some items
    llm = pl.DataFrame({"id": ids, "label": np.array(CATS, dtype=object)[llm_y]}).filter(pl.Series(rated))
    gold = pl.DataFrame({"id": ids[:60], "label": np.array(CATS)[truth[:60]]})
    return ann, llm, gold, llm_y, rated


def test_llm_kappa_with_each_annotator_and_against_gold(data):
    ann, llm, gold, llm_y, rated = data
    plain = agreement_report(ann, gold, categories=CATS, n_boot=50)
    rep = agreement_report(ann, gold, raters={"llm:gpt": llm}, categories=CATS, n_boot=50)
    for key in ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "percent_agreement", "cohen_kappa"):
        assert rep[key] == plain[key], key  # the annotators' coefficients are untouched
    block = rep["llm_raters"]
    assert block["names"] == ["llm:gpt"] and block["n_rated"]["llm:gpt"] == int(rated.sum())
    for pair in block["cohen_kappa"]:
        ann_y = ann.filter(pl.col("annotator") == pair["annotator"]).sort("id")
        both = ann_y.join(llm, on="id", suffix="_llm")
        want = cohen_kappa_score(both["label"], both["label_llm"])  # reference: scikit-learn
        assert pair["n"] == both.height and pair["value"] == pytest.approx(want, abs=1e-12)
    assert {p["annotator"] for p in block["cohen_kappa"]} == {"ann1", "ann2"}
    src = [s for s in rep["vs_gold"]["sources"] if s["kind"] == "llm"]
    assert len(src) == 1 and src[0]["name"] == "llm:gpt"
    on_gold = gold.join(llm, on="id", suffix="_llm")
    assert src[0]["n"] == on_gold.height
    assert src[0]["cohen_kappa"]["value"] == pytest.approx(cohen_kappa_score(on_gold["label"], on_gold["label_llm"]))
    assert src[0]["accuracy"]["value"] == pytest.approx((on_gold["label"] == on_gold["label_llm"]).mean())


def test_llm_label_outside_the_declared_set_names_the_file(data):
    ann, llm, gold, *_ = data
    bad = llm.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("zzz")).otherwise(pl.col("label")).alias("label"))
    from wslab.core.errors import InputError

    with pytest.raises(InputError, match=r"llm\.csv: row 5: label 'zzz'.*LLM labels 'llm'"):
        agreement_report(ann, gold, raters={"llm": bad}, categories=CATS, n_boot=0, names={"llm": "llm.csv"})
