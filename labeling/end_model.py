"""The end model: a text classifier trained on aggregated (weak) labels.

It generalises beyond the LFs' rules and labels the documents that no LF covers. Default:
hashed TF-IDF of word + char n-grams (:class:`wslab.core.stats.hashing.HashedTfidf`: stateless
hashing, so prediction featurizes any batch on its own, over both cores) with a logistic
regression, trained with each label's confidence as its sample weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wslab.core.errors import InputError
from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.features import text_classifier
from wslab.core.stats.hashed_linear import HashedLinear
from wslab.core.stats.hashing import HashedTfidf, select_columns, used_columns
from wslab.core.stats.predict_pool import parallel_proba


@dataclass
class EndModel:
    featurizer: object
    classifier: object
    n_classes: int
    columns: np.ndarray | None = None  # the hashed columns the classifier was fitted on (None: all)
    predict: Callable = parallel_proba
    """Scores a :class:`~wslab.core.stats.hashed_linear.HashedLinear` on texts, as
    :func:`~wslab.core.stats.predict_pool.parallel_proba` (this machine's cores) or
    :class:`wslab.labeling.spark_predict.SparkPredictor` (``executor: spark``)."""

    def predict_proba(self, texts: list[str], *, batch_size: int = 200_000) -> np.ndarray:
        """(n, K) probabilities, predicted in batches; classes unseen in training get 0. A logistic
        regression on hashed features is scored straight from the texts
        (:class:`~wslab.core.stats.hashed_linear.HashedLinear`, the same probabilities), by
        :attr:`predict` (worker processes for large batches, or Spark)."""
        out = np.zeros((len(texts), self.n_classes))
        cols = self.classifier.classes_
        fast = HashedLinear.from_classifier(self.featurizer, self.classifier, self.columns) \
            if isinstance(self.featurizer, HashedTfidf) else None
        if fast is not None:
            for start in range(0, len(texts), batch_size):
                out[start:start + batch_size, cols] = self.predict(fast, texts[start:start + batch_size],
                                                                   n_jobs=self.featurizer.n_jobs)
            return out
        for start in range(0, len(texts), batch_size):
            X = self.featurizer.transform(texts[start:start + batch_size])
            if self.columns is not None:
                X = select_columns(X, self.columns)
            out[start:start + batch_size, cols] = self.classifier.predict_proba(X)
        return out


def train_end_model(texts: list[str], y: np.ndarray, *, n_classes: int, sample_weight: np.ndarray | None = None,
                    C: float = 4.0, max_features: int = 200_000, seed: int = 0) -> EndModel:
    """Fit featurizer and classifier on weakly labelled texts."""
    if len(texts) == 0:
        raise InputError("end model: no labelled documents to train on; expected LFs that cover some documents")
    if len(np.unique(y)) < 2:
        raise InputError("end model: the weak labels hold a single class; expected at least two classes to train on")
    texts = ["" if t is None else t for t in texts]
    featurizer = HashedTfidf(n_features=max_features)
    X = featurizer.fit_transform(texts)
    columns = used_columns(X)
    clf = text_classifier(C=C, seed=seed)
    clf.fit(select_columns(X, columns), y, sample_weight=sample_weight)
    return EndModel(featurizer=featurizer, classifier=clf, n_classes=n_classes, columns=columns)


def end_model_probs(fetch_texts: Callable[[np.ndarray], list[str]], y: np.ndarray, confidence: np.ndarray,
                    covered: np.ndarray, *, needed: np.ndarray, prior: np.ndarray, min_confidence: float = 0.0,
                    max_train: int = 500_000, C: float = 4.0, max_features: int = 200_000, seed: int = 0,
                    batch_size: int = 200_000, predict: Callable | None = None,
                    reporter: Reporter | None = None) -> np.ndarray:
    """Train the end model on the aggregated labels and predict the rows that need it.

    ``y``, ``confidence``, ``covered``: the aggregated labels (n,), trained on where covered and
    at least ``min_confidence`` confident (at most ``max_train`` rows, sampled with ``seed``),
    weighted by confidence. ``needed`` (n,) bool: the rows to predict (uncovered and gold rows);
    the others keep ``prior``. ``fetch_texts(positions)`` returns the texts of those rows, so
    only the sample and the needed rows are ever read, in batches of ``batch_size``. ``predict``:
    how the fitted model scores them (:attr:`EndModel.predict`; None: this machine's cores).

    Progress counts documents: the training sample once it is fitted, then each predicted batch
    (so the bar advances, with an ETA, batch by batch).
    """
    train = np.flatnonzero(covered & (confidence >= min_confidence))
    if len(train) > max_train:
        train = np.sort(np.random.default_rng(seed).choice(train, max_train, replace=False))
    with get_reporter(reporter).task("end model (train, then predict)", total=len(train) + int(needed.sum())) as advance:
        model = train_end_model(fetch_texts(train), y[train], n_classes=len(prior), sample_weight=confidence[train],
                                C=C, max_features=max_features, seed=seed)
        if predict is not None:
            model.predict = predict
        advance(len(train))
        probs = np.tile(np.asarray(prior, dtype=float), (len(y), 1))
        rows = np.flatnonzero(needed)
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            probs[batch] = model.predict_proba(fetch_texts(batch))
            advance(len(batch))
    return probs
