"""Text-model prediction on Spark: the fitted model broadcast, each partition scored by the local kernel.

``executor: spark`` predicts the end model's and the chosen text candidate's documents here. The
model (:class:`~wslab.core.stats.hashed_linear.HashedLinear`: idf, the weights of the used hashed
columns, intercept and the hashing parameters; a few MB pickled) is sent once as a broadcast
variable; ``mapInArrow`` hands each executor's Python worker Arrow batches of texts (no pandas
conversion: Polars reads them as they are), which it scores with the very function the local path uses (``HashedLinear.predict_proba``: hashing,
tf-idf, sparse product, softmax), so every document gets the probabilities it gets on this
machine, whatever the partitioning (the kernel scores each text independently of its batch).

Two entry points:

* :func:`spark_frame_proba` scores a Spark DataFrame (e.g. the corpus read by Spark from shared
  storage) and returns a Spark DataFrame ``key, p_0 .. p_{K'-1}``: nothing passes through the driver;
* :func:`spark_proba` scores texts held by the driver (what the pipeline's ``fetch_texts`` gives)
  and returns the probabilities in their order: the local path's drop-in (``predict=`` of
  :func:`wslab.labeling.end_model.end_model_probs` and :class:`wslab.labeling.candidates.TextFeatures`).

Features appended after the text columns (the one-hot LF votes of ``gold+votes``) are not shipped:
such a model is scored locally (:func:`spark_proba` falls back, the same probabilities).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from wslab.core.stats.hashed_linear import HashedLinear
from wslab.core.stats.predict_pool import parallel_proba
from wslab.labeling.spark_session import get_spark, quiet_pyspark_warnings

__all__ = ["spark_frame_proba", "spark_proba", "SparkPredictor"]

ROW = "_wslab_row"


def _scorer(broadcast: Any, key: str, text: str, n_out: int):
    """The function ``mapInArrow`` runs on executors: Arrow batches ``key, text`` in, ``key,
    p_0..`` out, scored by the broadcast model (unpickled once per Python worker)."""

    def score(batches: Iterator[Any]) -> Iterator[Any]:
        import polars as pl
        import pyarrow as pa

        model = broadcast.value
        for batch in batches:
            frame = pl.from_arrow(batch)
            texts = frame[text].cast(pl.String)
            p = model.predict_proba(texts) if len(texts) else np.empty((0, n_out))
            yield pa.RecordBatch.from_arrays([batch.column(key), *(pa.array(p[:, k].astype(np.float64)) for k in range(n_out))],
                                             names=[key, *(f"p_{k}" for k in range(n_out))])
    return score


def spark_frame_proba(model: HashedLinear, frame: Any, *, key: str = "id", text: str = "text") -> Any:
    """A Spark DataFrame ``key, p_0 .. p_{K'-1}`` (double) of ``model``'s probabilities of the texts
    of ``frame`` (column ``text``; null texts score as empty ones), one row per input row;
    ``K'`` = ``len(model.classes)``. Lazy: nothing runs until the result is written or collected."""
    from pyspark.sql import types as T

    n_out = max(len(model.classes), 2)
    spark = frame.sparkSession
    bc = spark.sparkContext.broadcast(model)
    schema = T.StructType([frame.schema[key]] + [T.StructField(f"p_{k}", T.DoubleType(), False) for k in range(n_out)])
    with quiet_pyspark_warnings():
        return frame.select(key, text).mapInArrow(_scorer(bc, key, text, n_out), schema)


def spark_proba(model: HashedLinear, texts, *, spark: Any = None, master: str | None = None,
                partitions: int | None = None) -> np.ndarray:
    """(n, K') probabilities of ``texts`` (a list or Polars Series held by the driver), scored on
    Spark in ``partitions`` slices (default: the session's parallelism) and returned in input
    order: equal to ``model.predict_proba(texts)``."""
    import polars as pl

    spark = spark or get_spark(master)
    texts = texts if isinstance(texts, pl.Series) else pl.Series(list(texts), dtype=pl.String)
    n = len(texts)
    n_out = max(len(model.classes), 2)
    if n == 0:
        return np.empty((0, n_out))
    table = pl.DataFrame({ROW: np.arange(n, dtype=np.int64), "text": texts.cast(pl.String)}).to_arrow(
        compat_level=pl.CompatLevel.oldest())  # plain (not large or view) strings, which Spark reads
    with quiet_pyspark_warnings():
        frame = spark.createDataFrame(table)
        frame = frame.repartition(partitions or spark.sparkContext.defaultParallelism)
        out = pl.from_arrow(spark_frame_proba(model, frame, key=ROW).toArrow())
    assert isinstance(out, pl.DataFrame)
    out = out.sort(ROW)
    if out.height != n or not np.array_equal(out[ROW].to_numpy(), np.arange(n)):
        raise RuntimeError(f"Spark returned {out.height} scored rows for {n} texts")
    return out.drop(ROW).to_numpy()


class SparkPredictor:
    """``predict(model, texts, extra, n_jobs=...)`` for the pipeline (the signature of
    :func:`~wslab.core.stats.predict_pool.parallel_proba`): on Spark (``master``), except for a
    model with appended features, which is scored locally."""

    def __init__(self, master: str | None = None, *, partitions: int | None = None):
        self.master, self.partitions = master, partitions

    def __call__(self, model: HashedLinear, texts, extra=None, *, n_jobs: int = 2) -> np.ndarray:
        if extra is not None or model.extra_coef.shape[1]:
            return parallel_proba(model, texts, extra, n_jobs=n_jobs)
        return spark_proba(model, texts, master=self.master, partitions=self.partitions)
