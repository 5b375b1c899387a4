"""Span-aware features (issue 23.5): entity regions, their checks, and a relation task that only
the text between the entities tells, learnt by the ``+spans`` candidate and chosen on gold dev."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from wslab.core.config import SpansConfig, load_config
from wslab.core.data import Corpus
from wslab.core.errors import InputError
from wslab.core.spans import load_spans
from wslab.core.stats.hashing import HashedTfidf
from wslab.core.stats.regions import RegionTfidf, marked_regions, split_regions
from wslab.labeling.selection import candidate_names

CUES = {"cause": "caused", "part": "is part of", "origin": "comes from"}
NOUNS = "engine valve river storm letter farmer sugar bottle poem team bird virus wine army chair wheel".split()


def relation_corpus(n: int, rng: np.random.Generator) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """(plain texts, marked texts, offsets (n, 4), relations): three clauses per text, each with
    another relation's cue between two nouns, in random order; the entity pair's cue is the label."""
    plain, marked, offsets, labels = [], [], [], []
    names = list(CUES)
    for _ in range(n):
        order = rng.permutation(3)
        nouns = iter(rng.choice(NOUNS, 6, replace=False))
        entity_clause = int(rng.integers(3))  # which clause holds the entity pair
        text, mtext, off = "", "", None
        for j, k in enumerate(order):
            x, y = next(nouns), next(nouns)
            sep = "" if j == 0 else ", and "
            text, mtext = text + sep + "the ", mtext + sep + "the "
            if j == entity_clause:
                s1 = len(text)
                text += f"{x} {CUES[names[k]]} the "
                s2 = len(text)
                text += y
                off = [s1, s1 + len(x), s2, s2 + len(y)]
                mtext += f"<e1>{x}</e1> {CUES[names[k]]} the <e2>{y}</e2>"
                labels.append(names[k])
            else:
                text += f"{x} {CUES[names[k]]} the {y}"
                mtext += f"{x} {CUES[names[k]]} the {y}"
        plain.append(text + ".")
        marked.append(mtext + ".")
        offsets.append(off)
    return plain, marked, np.array(offsets), labels


def test_span_columns_and_marks_give_the_same_regions():
    plain, marked, offsets, labels = relation_corpus(30, np.random.default_rng(0))
    by_columns, by_marks = split_regions(plain, offsets), marked_regions(marked)
    assert by_columns == by_marks
    assert all(CUES[rel] in between for rel, between in zip(labels, by_columns["between"]))
    # an entity written first as e2 keeps its role: regions by role, not by position
    swapped = marked_regions(["A <e2>virus</e2> caused the <e1>fever</e1>."])
    assert (swapped["e1"], swapped["e2"], swapped["between"]) == (["fever"], ["virus"], [" caused the "])


def test_region_features_differ_where_whole_text_does_not():
    """One plain text, the entity pair in its first or its second clause: whole-text TF-IDF is the
    same row twice; the region features are not (the cue between the entities moved)."""
    text = "the virus caused the fever, and the farmer comes from the river."
    spans = np.array([[4, 9, 21, 26], [36, 42, 58, 63]])
    regions = split_regions([text, text], spans)
    assert regions["between"] == [" caused the ", " comes from the "]
    whole = HashedTfidf(n_features=2 ** 12).fit_transform([text, text])
    assert (whole[0] != whole[1]).nnz == 0
    X = RegionTfidf(n_features=2 ** 12).fit_transform(regions)
    assert X.shape == (2, 5 * 2 * 2 ** 12)
    assert (X[0] != X[1]).nnz > 0
    between = slice(2 * 2 * 2 ** 12, 3 * 2 * 2 ** 12)  # before, e1, then between
    assert X[0, between].multiply(X[1, between]).sum() < 0.5  # "caused" and "comes from" share little


def _corpus(**cols) -> Corpus:
    return Corpus.from_frame(pl.DataFrame({"id": ["a", "b"], "text": ["x likes y", "p and q"], **cols}))


COLS = SpansConfig(e1=["s1", "t1"], e2=["s2", "t2"])


@pytest.mark.parametrize("cols, spans, message", [
    ({"s1": [0, 0], "t1": [1, 1], "s2": [8, 6]}, COLS,
     r"^corpus: missing span column 't2' \(corpus\.spans\.e2\); found columns \['id', 'text', 's1', 't1', 's2'\]$"),
    ({"s1": [0, 0], "t1": [1, 1], "s2": [8, 6], "t2": [9, 8]}, COLS,
     r"^corpus: row 3: entity span e2 = \[6, 8\] is out of range \(columns 's2', 't2'\); expected 0 <= start <= "
     r"end <= 7, the text's length in characters$"),
    ({"s1": [0, 2], "t1": [1, 1], "s2": [8, 6], "t2": [9, 7]}, COLS, r"^corpus: row 3: entity span e1 = \[2, 1\]"),
    ({"s1": [0, -1], "t1": [1, 1], "s2": [8, 6], "t2": [9, 7]}, COLS, r"^corpus: row 3: entity span e1 = \[-1, 1\]"),
    ({"s1": [0, None], "t1": [1, 1], "s2": [8, 6], "t2": [9, 7]}, COLS,
     r"^corpus: row 3: missing value in span column 's1' \(corpus\.spans\.e1\)"),
    ({"s1": ["0", "0"], "t1": [1, 1], "s2": [8, 6], "t2": [9, 7]}, COLS,
     r"^corpus: span column 's1' \(corpus\.spans\.e1\) has type String; expected whole numbers"),
    ({}, SpansConfig(markers=True), r"^corpus: row 2: text without both entity marks \(corpus\.spans\.markers\)"),
])
def test_bad_spans_are_one_line_naming_the_row(cols, spans, message):
    with pytest.raises(InputError, match=message):
        load_spans(spans, _corpus(**cols))


def test_good_spans_load():
    spans = load_spans(COLS, _corpus(s1=[0, 0], t1=[1, 1], s2=[8, 6], t2=[9, 7]))
    assert spans.offsets.tolist() == [[0, 1, 8, 9], [0, 1, 6, 7]]
    marked = Corpus.from_frame(pl.DataFrame({"id": ["a"], "text": ["<e1>x</e1> likes <e2>y</e2>"]}))
    assert load_spans(SpansConfig(markers=True), marked).plain(["<e1>x</e1> likes <e2>y</e2>"]) == ["x likes y"]


def test_only_the_between_text_tells_the_relation_and_dev_chooses_spans(tmp_path, project_writer):
    """Every text holds all three relations' cues; only the one between the entities is the label.
    Whole-text models stay near chance; the span-aware candidate learns it and is chosen on gold
    dev (test only reported, and it agrees)."""
    from wslab.app.pipeline import run_apply

    rng = np.random.default_rng(7)
    n = 400
    plain, _, offsets, labels = relation_corpus(n, rng)
    ids = [f"r{i:03d}" for i in range(n)]
    corpus = pl.DataFrame({"id": ids, "text": plain, "s1": offsets[:, 0], "t1": offsets[:, 1],
                           "s2": offsets[:, 2], "t2": offsets[:, 3]})
    gold = pl.DataFrame({"id": ids[:240], "label": labels[:240], "split": ["dev"] * 150 + ["test"] * 90})
    # two keyword LFs, blind to position (fewer than a label model needs: the test stays fast)
    lfs = {"lfs": [{"name": f"kw_{k}", "label": k, "kind": "keywords", "keywords": [CUES[k]]} for k in ("cause", "part")]}
    cfg = project_writer(tmp_path, tables={"corpus.parquet": corpus, "gold.csv": gold}, lfs=lfs, config={
        "task": "relation", "seed": 0, "labels": {k: k for k in CUES},
        "corpus": {"path": "corpus.parquet", "spans": {"e1": ["s1", "t1"], "e2": ["s2", "t2"]}},
        "gold": {"path": "gold.csv", "split_column": "split"}, "lfs": {"files": ["lfs.yaml"]},
        "suspicious": {"enabled": False}, "label_model": {"restarts": 1}, "selection": {"folds": 3},
        "evaluation": {"bootstrap": 200}})
    res = run_apply(load_config(cfg))
    rows = {r["name"]: r for r in res.metrics["candidates"]["rows"]}
    assert {"gold_only+spans", "gold+votes+spans", "end_model(majority_vote)+gold@0.5+spans"} <= set(rows)
    assert {n for n, r in rows.items() if r["eligible"]} <= set(candidate_names([], spans=True))  # pinnable
    assert rows["gold_only"]["oof"]["value"] < 0.6  # three balanced classes: chance is 1/3
    assert rows["gold_only+spans"]["oof"]["value"] > 0.9
    assert res.metrics["candidates"]["chosen"].endswith("+spans")
    chosen = rows[res.metrics["candidates"]["chosen"]]
    assert chosen["test"]["value"] > 0.9
    labels_out = pl.read_parquet(res.files["labels"])
    truth = dict(zip(ids, labels))
    rest = labels_out.filter(~pl.col("id").is_in(ids[:240]))  # documents no gold item is: labelled by the model
    assert np.mean([truth[i] == lab for i, lab in zip(rest["id"], rest["label"])]) > 0.9
    report = res.files["report"].read_text(encoding="utf-8")
    assert "between and after the two entities" in report  # the report says what the chosen pipeline reads
