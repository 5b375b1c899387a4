import numpy as np
import polars as pl
import pytest

from wslab.core.errors import InputError
from wslab.app.suspicious import find_suspicious_labels


def _precision_at_k(queue: pl.DataFrame, flipped_ids: set) -> float:
    k = len(flipped_ids)
    return sum(i in flipped_ids for i in queue["id"].head(k).to_list()) / k


def test_merged_queue_finds_flips(corpus):
    df, flipped = corpus
    r = find_suspicious_labels(df.drop("true_label"), seed=0, folds=3, epochs=4)
    ids = set(df["id"].filter(pl.Series(flipped)).to_list())
    assert r.queue.height == df.height
    assert _precision_at_k(r.queue, ids) > 0.8
    top = r.queue.head(len(ids))
    truth = dict(zip(df["id"], df["true_label"]))
    assert np.mean([truth[i] == s for i, s in zip(top["id"], top["suggested_label"])]) > 0.8
    assert set(r.cartography.columns) >= {"id", "text", "given_label", "confidence", "variability",
                                          "correctness", "region"}
    assert r.pred_probs.columns == ["id", "p_ham", "p_spam"]
    assert r.summary["folds"] == 3 and r.summary["flagged"] == int(r.queue["flagged"].sum())


def test_same_seed_same_queue(corpus):
    df, _ = corpus
    a = find_suspicious_labels(df, seed=1, folds=3, epochs=3)
    b = find_suspicious_labels(df, seed=1, folds=3, epochs=3)
    assert a.queue.equals(b.queue)


def test_missing_labels_are_skipped(corpus):
    df, _ = corpus
    df = df.with_columns(pl.when(pl.int_range(pl.len()) < 10).then(None).otherwise(pl.col("label")).alias("label"))
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 10).then(pl.lit("  ")).otherwise(pl.col("label")).alias("label"))
    r = find_suspicious_labels(df, seed=0, folds=3, epochs=2)
    assert r.summary["skipped_missing_label"] == 11 and r.queue.height == df.height - 11


def test_small_class_lowers_folds(corpus):
    df, _ = corpus
    df = pl.concat([df.filter(pl.col("label") == "ham"), df.filter(pl.col("label") == "spam").head(3)])
    r = find_suspicious_labels(df, seed=0, folds=5, epochs=2)
    assert r.summary["folds"] == 3


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.with_columns(pl.lit("ham").alias("label")), "expected at least two classes"),
    (lambda d: d.with_columns(pl.lit(None, pl.String).alias("label")), "empty in every row"),
    (lambda d: d.with_columns(pl.lit("").alias("text")), "column 'text' is empty in every row"),
    (lambda d: d.with_columns(pl.lit("x").alias("id")), "row 3: duplicate id 'x'"),
    (lambda d: d.drop("text"), "missing column 'text'"),
])
def test_bad_input(corpus, mutate, message):
    df, _ = corpus
    with pytest.raises(InputError, match=message):
        find_suspicious_labels(mutate(df), seed=0, folds=3, epochs=2, source="gold.csv")


def test_label_outside_the_class_list(corpus):
    df, _ = corpus
    with pytest.raises(InputError, match=r"gold.csv: row \d+: label 'spam' is not one of the classes"):
        find_suspicious_labels(df, labels=["ham", "other"], source="gold.csv", folds=3, epochs=2)


def test_multi_annotator_crowdlab(corpus):
    df, flipped = corpus
    rng = np.random.default_rng(2)
    rows = []
    for i, t, truth in zip(df["id"], df["text"], df["true_label"]):
        for ann, err in (("alice", 0.03), ("bob", 0.05), ("carl", 0.35)):
            if rng.random() < 0.15 and ann != "alice":
                continue
            lab = truth if rng.random() > err else ("ham" if truth == "spam" else "spam")
            rows.append((i, t, ann, lab))
    long = pl.DataFrame(rows, schema=["id", "text", "annotator", "label"], orient="row")
    r = find_suspicious_labels(long, annotator_col="annotator", seed=0, folds=3, epochs=3)
    assert r.queue.height == df.height
    assert "disagreement_score" in r.queue.columns
    q = dict(zip(r.annotators["annotator"], r.annotators["annotator_quality"]))
    assert min(q, key=q.get) == "carl"
    assert r.annotators["worst_class"].dtype == pl.String


def test_duplicate_annotator_rows_with_different_labels(corpus):
    df, _ = corpus
    long = pl.DataFrame({"id": ["a", "a", "b"], "text": ["x", "x", "y"], "annotator": ["bob", "bob", "bob"],
                         "label": ["ham", "spam", "ham"]})
    with pytest.raises(InputError, match=r"row 2: duplicate \(id, annotator\) \('a', 'bob'\)"):
        find_suspicious_labels(long, annotator_col="annotator", source="ann.csv")


def test_votes_for_a_class_that_never_wins_are_dropped(corpus):
    df, _ = corpus
    rows = [(i, t, a, lab) for i, t, lab in zip(df["id"], df["text"], df["label"]) for a in ("a1", "a2", "a3")]
    rows.append((df["id"][0], df["text"][0], "a4", "other"))
    long = pl.DataFrame(rows, schema=["id", "text", "annotator", "label"], orient="row")
    r = find_suspicious_labels(long, annotator_col="annotator", seed=0, folds=3, epochs=2)
    assert r.summary["classes_absent"] == ["other"] and r.queue.height == df.height
