"""A notebook on pandas (issue 20.5): what a data scientist types, cell by cell.

pandas in, pandas out; a label model's ``.labels`` abstain as -1 where no LF voted (Snorkel's
MajorityLabelVoter returns -1 there too) unless asked for filled labels; duplicate ids name two
rows that really share the id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import wslab
from wslab.labeling import apply_lfs, fit_label_models, majority_vote, votes_array
from wslab.quality import wide_to_long

LFS = [{"name": "prize", "label": "spam", "kind": "keywords", "keywords": ["prize"]},
       {"name": "free", "label": "spam", "kind": "keywords", "keywords": ["free"]},
       {"name": "lunch", "label": "ham", "kind": "regex", "pattern": r"\b(lunch|noon)\b"}]


@pytest.fixture
def docs() -> pd.DataFrame:
    return pd.DataFrame({"id": ["001", "002", "003", "004", "005"],
                         "text": ["win a free prize", "lunch at noon?", "hello there", "free prize inside",
                                  "nothing to see"]})


def test_pandas_in_pandas_out_and_abstain_where_no_lf_voted(docs):
    L = apply_lfs(docs, LFS, ["ham", "spam"])
    assert isinstance(L, pd.DataFrame)
    assert L["id"].tolist() == ["001", "002", "003", "004", "005"]  # ids as written, text
    assert L.columns.tolist() == ["id", "prize", "free", "lunch"]

    models = fit_label_models(votes_array(L), 2)
    uncovered = ~models.default.covered
    assert uncovered.tolist() == [False, False, True, False, True]  # "hello there", "nothing to see"
    assert models.default.labels.tolist() == [1, 0, -1, 1, -1]
    filled = models.default.predict(fill_uncovered=True)
    assert (filled >= 0).all() and (filled[~uncovered] == models.default.labels[~uncovered]).all()


def test_abstain_matches_snorkel_majority_voter():
    from snorkel.labeling.model import MajorityLabelVoter

    L = np.array([[0, 0, -1], [1, -1, 1], [-1, -1, -1], [-1, 1, -1], [-1, -1, -1], [0, 0, 0]])
    ours = majority_vote(L, 2).labels
    theirs = MajorityLabelVoter(cardinality=2).predict(L)
    assert ours.tolist() == theirs.tolist() == [0, 1, -1, 1, -1, 0]


def test_polars_in_polars_out(docs):
    assert isinstance(apply_lfs(pl.from_pandas(docs), LFS, ["ham", "spam"]), pl.DataFrame)


def test_duplicate_ids_name_two_rows_that_share_the_id():
    # rows 0 and 1 are both duplicated, but of different ids: the message must not pair them
    df = pd.DataFrame({"id": ["a", "b", "c", "a", "b"], "text": ["x", "y", "z", "w", "v"]})
    with pytest.raises(wslab.InputError, match=r"duplicate id 'a' in corpus \(row positions 0 and 3, from 0\)"):
        apply_lfs(df, LFS, ["ham", "spam"])


def test_suspicious_labels_and_wide_ratings_come_back_as_pandas():
    labelled = pd.DataFrame({"id": [f"m{i:03d}" for i in range(40)],
                             "text": ["free prize, click now"] * 20 + ["lunch at noon, see you"] * 20,
                             "label": ["spam"] * 19 + ["ham"] + ["ham"] * 20})
    found = wslab.find_suspicious_labels(labelled, labels=["ham", "spam"], folds=3, epochs=3)
    assert isinstance(found.queue, pd.DataFrame) and isinstance(found.cartography, pd.DataFrame)
    assert found.queue["id"].iloc[0] == "m019"  # the one wrong label leads the queue
    wide = pd.DataFrame({"id": [1, 2], "ann": ["a", None], "bob": ["a", "b"]})
    long = wide_to_long(wide)
    assert isinstance(long, pd.DataFrame) and long["id"].tolist() == ["1", "1", "2"]
