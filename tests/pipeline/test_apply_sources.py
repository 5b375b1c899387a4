"""Python LFs and precomputed votes give the same columns as declarative LFs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wslab.core.errors import InputError
from wslab.labeling.apply import apply_python_lfs, declarative_frame, load_precomputed
from wslab.labeling.spec import parse_lf

LFMODS = Path(__file__).parent / "lfmods"
LABELS = ["pos", "neg"]


def test_python_lf_equals_declarative_lf(corpus):
    decl = [parse_lf({"name": "kw_pos", "label": "pos", "kind": "keywords",
                      "keywords": ["great", "love", "excellent", "happy"]}, where="t"),
            parse_lf({"name": "stars_low", "label": "neg", "kind": "column", "column": "stars", "op": "le",
                      "value": 2}, where="t")]
    py = [parse_lf({"name": "kw_pos", "kind": "python", "function": "review_lfs:kw_pos"}, where="t"),
          parse_lf({"name": "stars_low", "kind": "python", "function": "review_lfs:stars_low"}, where="t")]
    want = declarative_frame(corpus.lazy(), decl, LABELS, id_column="id", text_column="text").collect()
    got = apply_python_lfs(corpus, py, LABELS, id_column="id", paths=[LFMODS])
    assert (want["kw_pos"] != -1).sum() > 50  # the rule fires
    np.testing.assert_array_equal(got[:, 0], want["kw_pos"].to_numpy())
    np.testing.assert_array_equal(got[:, 1], want["stars_low"].to_numpy())


def test_python_lfs_in_parallel_processes_match_serial(corpus):
    py = [parse_lf({"name": "kw_pos", "kind": "python", "function": "review_lfs:kw_pos"}, where="t")]
    serial = apply_python_lfs(corpus, py, LABELS, id_column="id", paths=[LFMODS])
    parallel = apply_python_lfs(corpus, py, LABELS, id_column="id", paths=[LFMODS], workers=2, chunk_size=100)
    np.testing.assert_array_equal(serial, parallel)


def test_python_lf_returning_unknown_label_names_lf_and_row(corpus):
    py = [parse_lf({"name": "odd", "kind": "python", "function": "review_lfs:returns_unknown"}, where="t")]
    with pytest.raises(InputError, match=r"python LF 'odd': id 'd00000': returned unknown label 'maybe'"):
        apply_python_lfs(corpus, py, LABELS, id_column="id", paths=[LFMODS])


def test_precomputed_votes_align_to_corpus_ids(tmp_path, corpus):
    ids = corpus["id"]
    votes = pl.DataFrame({"id": ids[::-2], "w1": [0, 1] * (len(ids[::-2]) // 2)}).with_columns(pl.col("w1").cast(pl.Int8))
    votes.write_parquet(tmp_path / "v.parquet")
    got = load_precomputed(tmp_path / "v.parquet", ids, n_labels=2)
    assert got["id"].to_list() == ids.to_list()
    joined = got.join(votes, on="id", suffix="_src")
    assert (joined["w1"] == joined["w1_src"]).all()
    assert (got["w1"] == -1).sum() == len(ids) - votes.height
    pl.DataFrame({"id": ["nope"], "w1": [0]}).write_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="id 'nope' is not in the corpus"):
        load_precomputed(tmp_path / "bad.parquet", ids, n_labels=2)
