"""Whole-pipeline candidates: every way wslab can label the corpus from the same inputs (LF
votes, gold dev, texts), written so that selection can refit each one on part of gold dev.

A candidate's ``fit(train)`` learns from the gold dev items ``train`` (indices into the dev
arrays: all of dev for the final fit, the training folds during selection) and returns
``predict(rows)``: (len(rows), K) class probabilities for corpus positions ``rows``. A candidate
that never reads dev labels ignores ``train``. Gold test labels are not an input here at all.

Vote-based candidates hold the class prior on rows no LF covered; ``S+end_model`` candidates
(:class:`Candidate` ``parts``) take the vote source where it voted and the end model elsewhere.

LLM labels (:attr:`Inputs.llm`, e.g. from ``wslab llm-label``) are a source of their own
(:func:`llm_candidates`): the LLM alone (the prior where it did not answer), its label as one
more LF inside every vote candidate (``+llm``), and a gold-trained text model with the LLM's
label among its features (``llm+gold``).

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [1, 0, 1], [-1, -1, -1], [1, -1, 0]])
>>> probs = weighted_vote_probs(L, 2, np.array([2.0, 0.0, 1.0]), np.array([0.5, 0.5]))
>>> probs.argmax(axis=1).tolist(), bool(probs[2, 0] == 0.5)
([0, 1, 0, 1], True)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import KFold, StratifiedKFold

from wslab.core.artifacts import ABSTAIN
from wslab.core.stats.ties import probs_to_preds
from wslab.labeling.aggregate import MIN_LFS_FOR_LABEL_MODEL, class_prior, majority_vote, vote_counts
from wslab.labeling.label_model import LabelModelFits, RestartScore
from wslab.labeling.patterns import VotePatterns, vote_patterns
from wslab.labeling.span_features import SpanFeatures
from wslab.labeling.stored_features import StoredFeatures
from wslab.core.stats.features import text_classifier
from wslab.core.stats.hashed_linear import HashedLinear
from wslab.core.stats.hashing import HashedTfidf
from wslab.core.stats.predict_pool import parallel_proba

Predict = Callable[[np.ndarray], np.ndarray]
Fit = Callable[[np.ndarray], Predict]


@dataclass(frozen=True)
class Candidate:
    """One whole pipeline. ``fit`` or ``parts`` (vote source, end model): see the module doc."""

    name: str
    kind: str  # votes | votes+end_model | gold | gold+votes | end_model | end_model+gold | llm | votes+llm | gold+llm
    uses_dev: bool
    fit: Fit | None = None
    parts: tuple[str, str] | None = None
    eligible: bool = True  # False: a learning-curve row, reported but never chosen


# ------------------------------------------------------------------ votes


def lf_dev_accuracy(L_dev: np.ndarray, y_dev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(correct (m,), votes (m,)): each LF's correct votes and votes on the gold dev rows."""
    voted = L_dev != ABSTAIN
    return ((L_dev == y_dev[:, None]) & voted).sum(axis=0), voted.sum(axis=0)


def unsupervised_lf_accuracy(L: np.ndarray, n_classes: int) -> np.ndarray:
    """(m,) each LF's agreement with the majority vote of the *other* LFs where both voted
    (NaN where it never overlaps another LF): an accuracy estimate that needs no gold."""
    counts = vote_counts(L, n_classes)
    out = np.full(L.shape[1], np.nan)
    for j in range(L.shape[1]):
        rows = np.flatnonzero(L[:, j] != ABSTAIN)
        others = counts[rows].copy()
        others[np.arange(len(rows)), L[rows, j]] -= 1
        has = others.sum(axis=1) > 0
        if has.any():
            out[j] = float((others[has].argmax(axis=1) == L[rows[has], j]).mean())
    return out


def weighted_vote_weights(correct: np.ndarray, votes: np.ndarray, unsup: np.ndarray, n_classes: int, *,
                          strength: float = 20.0) -> np.ndarray:
    """(m,) log-odds weights ``log((K-1) a / (1 - a))`` (0 for an LF no better than chance) from
    the dev accuracy ``correct / votes`` shrunk toward ``unsup`` with ``strength`` pseudo-votes.

    >>> weighted_vote_weights(np.array([9, 0]), np.array([10, 0]), np.array([0.5, 0.8]), 2).round(2).tolist()
    [0.55, 1.39]
    """
    fallback = np.nanmean(unsup) if np.isfinite(unsup).any() else 1.0 / n_classes + 0.1
    unsup = np.where(np.isfinite(unsup), unsup, fallback)
    acc = np.clip((correct + strength * unsup) / (votes + strength), 1e-3, 0.99)
    return np.maximum(np.log((n_classes - 1) * acc / (1 - acc)), 0.0)


def weighted_vote_probs(L: np.ndarray, n_classes: int, weights: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """(n, K) softmax of ``log prior + sum of the weights of the LFs voting each class``;
    rows without a vote (or only zero-weight votes) get ``prior``."""
    scores = np.stack([((L == k) * weights).sum(axis=1) for k in range(n_classes)], axis=1)
    covered = scores.sum(axis=1) > 0
    scores = scores + np.log(prior)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[~covered] = prior
    return probs


def lf_onehot(L: np.ndarray, n_classes: int) -> sp.csr_matrix:
    """(n, m*K) sparse one-hot of the votes: column ``j*K + k`` is 1 where LF ``j`` voted ``k``."""
    rows, lfs = np.nonzero(L != ABSTAIN)
    cols = lfs * n_classes + L[rows, lfs]
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                         shape=(L.shape[0], L.shape[1] * n_classes))


# ------------------------------------------------------------------ text features and the classifier


class TextFeatures(StoredFeatures):
    """Hashed TF-IDF (:class:`~wslab.core.stats.hashing.HashedTfidf`) of the corpus rows ``rows``,
    computed once per run and shared by every candidate and fold: the idf is learnt from their
    texts (no labels, so no fold leaks into another), and any other rows are featurized on demand
    with the same stateless hashing (:meth:`probs`: scored from the texts in ``n_jobs`` worker
    processes, :mod:`~wslab.core.stats.predict_pool`, or by ``predict``, e.g. on Spark). Only the hashed columns
    these rows use are kept (:func:`~wslab.core.stats.hashing.used_columns`): no model fitted on
    them puts weight anywhere else, and the solvers' vectors shrink to that size."""

    def __init__(self, fetch_texts: Callable[[np.ndarray], list[str]], rows: np.ndarray, *, max_features: int,
                 n_jobs: int = 2, predict: Callable | None = None):
        super().__init__(HashedTfidf(n_features=max_features, n_jobs=n_jobs), fetch_texts, rows)
        self.fetch_texts, self.predict, self.n_jobs = fetch_texts, predict or parallel_proba, n_jobs

    def probs(self, clf, pos: np.ndarray, n_classes: int, extra: sp.spmatrix | None = None) -> np.ndarray:
        """(len(pos), n_classes) probabilities of ``clf`` (fitted on these features, ``extra``
        appended) at corpus rows ``pos``: from the stored matrix for the rows it holds; for any
        other rows straight from their texts (:class:`~wslab.core.stats.hashed_linear.HashedLinear`,
        the same probabilities), over worker processes for large inputs."""
        pos = np.asarray(pos)
        fast = None if self.stored_index(pos) is not None else \
            HashedLinear.from_classifier(self.featurizer, clf, self.cols)
        if fast is None:
            X = self(pos)
            return classifier_probs(clf, X if extra is None else sp.hstack([X, extra]).tocsr(), n_classes)
        out = np.zeros((len(pos), n_classes))
        out[:, clf.classes_] = self.predict(fast, self.fetch_texts(pos), extra, n_jobs=self.n_jobs)
        return out


class _OneClass:
    """What a classifier learns from labels of a single class: that class."""

    def __init__(self, k: int) -> None:
        self.classes_ = np.array([k])

    def predict_proba(self, X) -> np.ndarray:
        return np.ones((X.shape[0], 1))


def fit_classifier(X, y: np.ndarray, weight: np.ndarray, *, C: float, seed: int, warm=None):
    """An L2 logistic regression; ``warm`` (a fitted one with the same classes) starts it."""
    if len(np.unique(y)) < 2:
        return _OneClass(int(y[0]))
    if warm is not None and np.array_equal(warm.classes_, np.unique(y)):
        clf = copy.deepcopy(warm)
        clf.set_params(warm_start=True)
    else:
        clf = text_classifier(C=C, seed=seed)
    return clf.fit(X, y, sample_weight=weight)


def blended_start(init, gold, share: float):
    """A fitted copy of ``init`` whose coefficients are ``(1 - share) * init + share * gold`` (a
    start for a fit that mixes the two fits' training data at ``share``); ``init`` when ``gold``
    is missing or was fitted on other classes or columns."""
    if gold is None or not hasattr(gold, "coef_") or not hasattr(init, "coef_") \
            or not np.array_equal(gold.classes_, init.classes_) or gold.coef_.shape != init.coef_.shape:
        return init
    out = copy.deepcopy(init)
    out.coef_ = (1 - share) * init.coef_ + share * gold.coef_
    out.intercept_ = (1 - share) * init.intercept_ + share * gold.intercept_
    return out


def classifier_probs(clf, X, n_classes: int) -> np.ndarray:
    out = np.zeros((X.shape[0], n_classes))
    out[:, clf.classes_] = clf.predict_proba(X)
    return out


# ------------------------------------------------------------------ the candidate set


@dataclass
class Inputs:
    """What every candidate is built from. ``sample``: covered non-gold corpus positions the
    end models train on (weak labels); ``features``: TF-IDF of sample and gold rows."""

    L: np.ndarray
    n_classes: int
    dev_pos: np.ndarray
    y_dev: np.ndarray
    sample: np.ndarray
    features: TextFeatures
    C: float = 4.0
    seed: int = 0
    warm: dict = field(default_factory=dict)
    """Fits other fits start from (:func:`end_model_on`): ``"init"``, the dev-free end-model fit,
    and ``("gold", train)``, the gold-only fit on the dev items ``train`` (:func:`gold_model`)."""
    test_pos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Gold test positions: scored for the report, so their votes are kept like dev's and sample's."""
    label_models: LabelModelFits | None = None
    """The run's label-model fits of L (shared with the label-model stage); made here when None."""
    llm: np.ndarray | None = None
    """(n, a) int8 labels of corpus rows by ``a`` LLM labelers (ABSTAIN where one did not answer), or None."""
    llm_in_lfs: bool = False
    """The LLM labels are columns of L already (prompt LFs): no ``+llm`` vote candidates."""
    spans: SpanFeatures | None = None
    """Span-aware region features (config ``corpus.spans``): the ``+spans`` gold candidates."""

    @cached_property
    def patterns(self) -> VotePatterns:
        """The distinct vote patterns of L (grouped once per run): every vote-based candidate is
        fitted and predicted per pattern."""
        return self.fits.patterns

    @cached_property
    def fits(self) -> LabelModelFits:
        return self.label_models if self.label_models is not None else \
            LabelModelFits(vote_patterns(self.L), self.n_classes, seed=self.seed)


def vote_source(pattern_probs: Callable[[np.ndarray], np.ndarray], inverse: np.ndarray, *, uses_dev: bool) -> Fit:
    """A vote-based candidate from ``pattern_probs(train) -> (p, K)``: probabilities of each
    distinct vote pattern of L (``inverse[row]`` is a row's pattern). A fit is cached per
    training set (one entry when it does not use dev), so the end models on it reuse it, and it
    costs (patterns x K), not (corpus x K), however many folds and settings selection runs.
    """
    cache: dict[bytes, np.ndarray] = {}

    def fit(train: np.ndarray) -> Predict:
        key = np.sort(train).tobytes() if uses_dev else b""
        if key not in cache:
            cache[key] = pattern_probs(train)
        probs = cache[key]
        return lambda rows: probs[inverse[rows]]
    return fit


def vote_candidates(inp: Inputs, *, label_model_grid: Sequence[tuple[str, dict]],
                    score: RestartScore | None = None) -> list[Candidate]:
    """Majority vote, the dev-weighted vote and Snorkel's LabelModel for each grid setting,
    with the class balance of the training dev items (``dev``) and uniform; each computed on the
    distinct vote patterns of L (:attr:`Inputs.patterns`), the label models taken from the run's
    shared fits (:attr:`Inputs.fits`). With several restarts, the restart is chosen by
    ``score`` on the training dev items (so out of fold), never by training loss alone. With
    fewer than :data:`MIN_LFS_FOR_LABEL_MODEL` LFs there is no label model."""
    L, K, pat = inp.L, inp.n_classes, inp.patterns
    label_model_grid = label_model_grid if L.shape[1] >= MIN_LFS_FOR_LABEL_MODEL else ()
    uniform = np.full(K, 1.0 / K)
    mv = majority_vote(pat.votes, K, prior=class_prior(None, K)).probs
    unsup = unsupervised_lf_accuracy(L[inp.sample], K) if len(inp.sample) else np.full(L.shape[1], np.nan)

    def weighted(train: np.ndarray) -> np.ndarray:
        correct, votes = lf_dev_accuracy(L[inp.dev_pos[train]], inp.y_dev[train])
        w = weighted_vote_weights(correct, votes, unsup, K)
        return weighted_vote_probs(pat.votes, K, w, class_prior(inp.y_dev[train], K))

    out = [Candidate("majority_vote", "votes", False, vote_source(lambda train: mv, pat.inverse, uses_dev=False)),
           Candidate("weighted_vote", "votes", True, vote_source(weighted, pat.inverse, uses_dev=True))]
    for tag, params in label_model_grid:
        for balance in ("dev", "uniform"):
            def probs_for(train, params=params, balance=balance):
                prior = class_prior(inp.y_dev[train], K) if balance == "dev" else uniform
                fit = inp.fits.fit(prior, **params)
                return fit.pattern_probs(fit.pick(inp.dev_pos[train], inp.y_dev[train], score=score))
            uses_dev = balance == "dev" or (params.get("restarts", 1) > 1 and score is not None)
            out.append(Candidate(f"label_model({balance}{tag})", "votes", uses_dev,
                                 vote_source(probs_for, pat.inverse, uses_dev=uses_dev)))
    return out


def weak_targets(probs: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, weights) an end model trains on from a vote source's ``probs`` of corpus rows
    ``rows``: the label by the one tie rule (:func:`~wslab.core.stats.ties.probs_to_preds`, ties
    broken at random, seeded by the corpus row, so a tied row gets the label it has in
    labels.parquet), weighted by its confidence."""
    return probs_to_preds(probs, rows=rows), probs.max(axis=1)


def end_model_on(inp: Inputs, source: Fit, *, gold_share: float | None, dev_free: bool = False,
                 spans: bool = False) -> Fit:
    """The end model on ``source``'s labels of the weak sample (weighted by their confidence),
    plus the training dev items with their gold labels making up ``gold_share`` of the total
    weight (``None``: no gold); ``spans=True``: with the span-aware region features
    :attr:`Inputs.spans` beside the TF-IDF.

    Every fit is warm-started from ``inp.warm["init"]``, the first fit that saw no dev label
    (``dev_free=True``: no gold and a source that ignores dev), never from a fit on all of dev:
    a solver stopped at its tolerance keeps traces of its start, so a start that had seen a
    held-out item's label would leak it into that item's out-of-fold prediction. A fit with gold
    starts between the two fits it mixes: ``(1 - gold_share) * init + gold_share * gold`` (the
    coefficients), ``gold`` the gold-only fit on the same training items ``train`` (no held-out
    label either); on the demo that took 5-6 Newton steps where the start at ``init`` took 6-11
    (and no start 6-8), on WRENCH sms and youtube as many as ``init``. (A fit with span features,
    on other columns, starts from zero.)
    """

    def feats(rows: np.ndarray):
        return sp.hstack([inp.features(rows), inp.spans(rows)]).tocsr() if spans else inp.features(rows)

    def fit(train: np.ndarray) -> Predict:
        y, w = weak_targets(source(train)(inp.sample), inp.sample)
        X = feats(inp.sample)
        if gold_share is not None and len(train):
            g = inp.dev_pos[train]
            gw = gold_share / (1 - gold_share) * w.sum() / len(train)
            X = sp.vstack([X, feats(g)]).tocsr()
            y, w = np.concatenate([y, inp.y_dev[train]]), np.concatenate([w, np.full(len(train), gw)])
        start = None if spans else inp.warm.get("init")
        if start is not None and gold_share is not None:
            start = blended_start(start, inp.warm.get(("gold", np.sort(train).tobytes())), gold_share)
        clf = fit_classifier(X, y, w, C=inp.C, seed=inp.seed, warm=start)
        if dev_free and not spans and "init" not in inp.warm:
            inp.warm["init"] = clf
        if spans:
            return lambda rows: classifier_probs(clf, feats(rows), inp.n_classes)
        return lambda rows: inp.features.probs(clf, rows, inp.n_classes)
    return fit


def gold_model(inp: Inputs, *, votes: bool, fraction: float = 1.0, spans: bool = False) -> Fit:
    """The end model trained on the training dev items alone (a ``fraction`` of them, seeded),
    on TF-IDF, or on TF-IDF with the one-hot LF votes appended (``votes=True``), and with the
    span-aware region features :attr:`Inputs.spans` beside them (``spans=True``)."""

    def feats(rows: np.ndarray):
        blocks = [inp.features(rows)] + ([inp.spans(rows)] if spans else [])
        blocks += [lf_onehot(inp.L[rows], inp.n_classes)] if votes else []
        return sp.hstack(blocks).tocsr() if len(blocks) > 1 else blocks[0]

    def probs(clf, rows: np.ndarray) -> np.ndarray:
        if spans:
            return classifier_probs(clf, feats(rows), inp.n_classes)
        return inp.features.probs(clf, rows, inp.n_classes,
                                  lf_onehot(inp.L[rows], inp.n_classes) if votes else None)

    def fit(train: np.ndarray) -> Predict:
        if fraction < 1.0:
            rng = np.random.default_rng([inp.seed, len(train)])
            train = np.sort(rng.choice(train, max(2, int(round(fraction * len(train)))), replace=False))
        y = inp.y_dev[train]
        clf = fit_classifier(feats(inp.dev_pos[train]), y, np.ones(len(train)), C=inp.C, seed=inp.seed)
        if not votes and not spans and fraction == 1.0:  # a start for the end models with gold (end_model_on)
            inp.warm[("gold", np.sort(train).tobytes())] = clf
        return lambda rows: probs(clf, rows)
    return fit


LLM_FEATURE_SCALES = (0.03, 0.1, 0.3, 1.0)
"""Scales of the one-hot LLM labels among TF-IDF features that :func:`gold_llm_model` chooses
among. Under the L2 penalty a smaller scale shrinks the LLM's effect harder: at 1 (the scale of
a whole TF-IDF row) the model copies the LLM, and on the demo a 60%-accurate LLM pulled the gold
model from 0.92 to 0.89 macro F1, while at 0.1 it added a point."""


def gold_llm_model(inp: Inputs, *, votes: bool, inner_folds: int = 3) -> Fit:
    """:func:`gold_model` with the one-hot LLM labels :attr:`Inputs.llm` among its features (and
    the LF votes, ``votes=True``), their scale (:data:`LLM_FEATURE_SCALES`) chosen for each fit
    by the log loss of an inner ``inner_folds``-fold cross-validation on the training dev items
    alone, so the held-out fold of selection is never read."""
    K = inp.n_classes

    def feats(rows: np.ndarray, scale: float):
        blocks = [inp.features(rows), scale * lf_onehot(inp.llm[rows], K)]
        return sp.hstack(blocks + ([lf_onehot(inp.L[rows], K)] if votes else [])).tocsr()

    def inner_loss(train: np.ndarray, scale: float) -> float:
        y, X = inp.y_dev[train], feats(inp.dev_pos[train], scale)
        loss = 0.0
        for tr, ho in dev_folds_of(y, inner_folds, inp.seed):
            p = classifier_probs(fit_classifier(X[tr], y[tr], np.ones(len(tr)), C=inp.C, seed=inp.seed), X[ho], K)
            loss -= float(np.log(np.clip(p[np.arange(len(ho)), y[ho]], 1e-12, 1.0)).sum())
        return loss

    def fit(train: np.ndarray) -> Predict:
        scale = min(LLM_FEATURE_SCALES, key=lambda s: inner_loss(train, s)) if len(train) >= 2 * inner_folds else 1.0
        y = inp.y_dev[train]
        clf = fit_classifier(feats(inp.dev_pos[train], scale), y, np.ones(len(train)), C=inp.C, seed=inp.seed)
        return lambda rows: classifier_probs(clf, feats(rows, scale), K)
    return fit


def dev_folds_of(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K (train, held-out) index pairs over ``y``, stratified when every class has K items (as
    :func:`wslab.labeling.selection.dev_folds`, which this module may not import)."""
    counts = np.bincount(y)
    splitter = (StratifiedKFold(k, shuffle=True, random_state=seed) if counts[counts > 0].min() >= k
                else KFold(k, shuffle=True, random_state=seed))
    return list(splitter.split(np.zeros(len(y)), y))


def llm_candidates(inp: Inputs, *, label_model_grid: Sequence[tuple[str, dict]], score: RestartScore | None = None,
                   text_models: bool = True) -> list[Candidate]:
    """The candidates built on the LLM labels :attr:`Inputs.llm` (none without them): ``llm``,
    the LLM alone (the majority of the LLM labelers where one answered, the uniform prior
    elsewhere, as :func:`majority_vote`); every vote candidate of :func:`vote_candidates` with
    the LLM labels as more LFs (``<name>+llm``; not when they are LFs already,
    :attr:`Inputs.llm_in_lfs`); and ``llm+gold``, :func:`gold_llm_model`, the gold-trained text
    model with the LLM labels among its features, and ``llm+gold+votes`` with the LF votes too (``text_models``; like ``gold+votes``
    when the LLM labels are LFs)."""
    if inp.llm is None:
        return []
    K = inp.n_classes
    pat = vote_patterns(inp.llm)
    alone = majority_vote(pat.votes, K, prior=class_prior(None, K)).probs
    out = [Candidate("llm", "llm", False, vote_source(lambda train: alone, pat.inverse, uses_dev=False))]
    if text_models:
        out.append(Candidate("llm+gold", "gold+llm", True, gold_llm_model(inp, votes=False)))
        if not inp.llm_in_lfs:
            out.append(Candidate("llm+gold+votes", "gold+llm", True, gold_llm_model(inp, votes=True)))
    if inp.llm_in_lfs:
        return out
    both = Inputs(L=np.hstack([inp.L, inp.llm]), n_classes=K, dev_pos=inp.dev_pos, y_dev=inp.y_dev,
                  sample=inp.sample, features=inp.features, C=inp.C, seed=inp.seed, test_pos=inp.test_pos)
    out += [Candidate(f"{c.name}+llm", "votes+llm", c.uses_dev, c.fit)
            for c in vote_candidates(both, label_model_grid=label_model_grid, score=score)]
    return out
