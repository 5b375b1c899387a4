"""Text-model prediction on Spark (local[2], the model broadcast, partitions scored by mapInPandas)
gives the local path's probabilities, in the input's order."""

from __future__ import annotations

import numpy as np
import polars as pl

from wslab.core.stats.features import text_classifier
from wslab.core.stats.hashed_linear import HashedLinear
from wslab.core.stats.hashing import HashedTfidf, select_columns, used_columns
from wslab.labeling.spark_predict import SparkPredictor, spark_frame_proba, spark_proba

WORDS = "card blocked pin transfer iban sent fraud stolen rate office карта перевод мошенники ставка the a 😀 Σίσυφος".split()


def _model(n_classes: int, seed: int):
    rng = np.random.default_rng(seed)
    texts = [" ".join(rng.choice(WORDS, rng.integers(0, 12))) + ("\tPIN!" if i % 7 == 0 else "") for i in range(900)]
    texts[3], texts[5] = None, "   "
    f = HashedTfidf(n_features=2 ** 12, n_jobs=1)
    X = f.fit_transform(texts[:300])
    cols = used_columns(X)
    clf = text_classifier(C=4.0).fit(select_columns(X, cols), rng.integers(0, n_classes, 300))
    return texts, clf.predict_proba(select_columns(f.transform(texts), cols)), HashedLinear.from_classifier(f, clf, cols)


def test_spark_prediction_equals_the_local_path(spark):
    for n_classes in (3, 2):
        texts, ref, model = _model(n_classes, n_classes)
        local = model.predict_proba(texts)
        got = spark_proba(model, texts, spark=spark, partitions=5)
        assert got.shape == ref.shape == (900, n_classes)
        assert np.array_equal(got, local)  # bit for bit, whatever the partitioning
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
        assert np.array_equal(got.argmax(1), ref.argmax(1))
    # the pipeline's hook: on Spark without appended features
    assert np.array_equal(SparkPredictor()(model, pl.Series(texts)), local)
    assert spark_proba(model, [], spark=spark).shape == (0, 2)


def test_a_spark_frame_is_scored_by_key(spark):
    texts, _, model = _model(3, 7)
    frame = spark.createDataFrame(pl.DataFrame({"doc": [f"d{i}" for i in range(len(texts))], "text": texts})
                                  .to_arrow(compat_level=pl.CompatLevel.oldest()))
    out = pl.from_arrow(spark_frame_proba(model, frame, key="doc").toArrow()).sort("doc")
    want = model.predict_proba(texts)
    order = np.argsort([f"d{i}" for i in range(len(texts))])
    assert out.columns == ["doc", "p_0", "p_1", "p_2"]
    assert np.array_equal(out.select("p_0", "p_1", "p_2").to_numpy(), want[order])
