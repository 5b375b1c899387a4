"""Label models: turn a label matrix (n x m, -1 = abstain) into probabilistic labels.

Majority vote is the baseline, always computed beside Snorkel's LabelModel (fitted by
:func:`wslab.labeling.label_model.fit_label_model`). Rows where no LF voted are *uncovered*:
both models give them the class prior and mark them so the end model can label them instead.
Which of them labels the data is the choice of pipeline selection, or the default pipeline
(:func:`default_pipeline`) without gold dev.

>>> import numpy as np
>>> L = np.array([[0, 0, -1], [1, 0, 1], [-1, -1, -1], [1, -1, 0], [1, 1, 1]])
>>> agg = majority_vote(L, 2)
>>> agg.labels.tolist(), agg.covered.tolist()
([0, 1, -1, 1, 1], [True, True, False, True, True])

Ties (row 3 here, and the uncovered row 2 under a uniform prior, whose class
``agg.predict(fill_uncovered=True)`` gives) are broken with Snorkel's
``tie_break_policy="random"``: deterministic, by the row's position among the rows being
labelled or scored. WRENCH scores its label models this way, so its published majority-vote
numbers depend on it (on WRENCH youtube, 18% of test items are ties).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.metrics import confusion_matrices, scores_from_confusion
from wslab.core.stats.ties import probs_to_preds
from wslab.core.stats.votes import vote_counts  # noqa: F401  (re-exported: the one vote count)

from wslab.labeling.label_model import LabelModelFit, LabelModelFits, RestartScore
from wslab.labeling.majority import Aggregation, class_prior, majority_vote  # noqa: F401  (re-exported)
from wslab.labeling.patterns import vote_patterns

MIN_LFS_FOR_LABEL_MODEL = 3  # Snorkel's LabelModel refuses fewer


@dataclass
class LabelModels:
    """The label-model stage: majority vote and Snorkel's LabelModel on the same label matrix.

    ``default`` is the vote source of the default pipeline (no gold dev, or selection off): the
    label model, or majority vote when it was not fitted (fewer than 3 LFs, or LFs that almost
    never overlap; ``notes`` say which)."""

    majority_vote: Aggregation
    label_model: Aggregation | None
    notes: list[str] = field(default_factory=list)
    fit: LabelModelFit | None = None
    """Every restart of the label model (:class:`~wslab.labeling.label_model.LabelModelFit`)."""

    @property
    def default(self) -> Aggregation:
        return self.label_model if self.label_model is not None else self.majority_vote

    @property
    def covered(self) -> np.ndarray:
        """(n,) True where at least one LF voted."""
        return self.majority_vote.covered


def fit_label_models(L: np.ndarray | LabelModelFits, n_classes: int, *, prior: np.ndarray | None = None,
                     dev_pos: np.ndarray | None = None, y_dev: np.ndarray | None = None,
                     score: RestartScore | None = None, n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0,
                     restarts: int = 3, seed: int = 0, reporter: Reporter | None = None) -> LabelModels:
    """Majority vote and Snorkel's LabelModel on ``L`` (a label matrix, or the run's shared
    :class:`~wslab.labeling.label_model.LabelModelFits` of it).

    The label model's restart is chosen on the gold dev rows ``dev_pos`` (classes ``y_dev``) by
    ``score`` (default: macro F1), by training loss only without gold
    (:meth:`~wslab.labeling.label_model.LabelModelFit.pick`). With fewer than 3 LFs Snorkel
    cannot fit: ``label_model`` is None and a note says so. Nothing is chosen here: pipeline
    selection (:mod:`wslab.labeling.selection`) chooses among majority vote, weighted vote and
    every label-model setting; without it the default pipeline takes :attr:`LabelModels.default`.
    """
    fits = L if isinstance(L, LabelModelFits) else LabelModelFits(vote_patterns(np.asarray(L)), n_classes, seed=seed)
    pat, notes = fits.patterns, []
    prior = class_prior(None, n_classes) if prior is None else np.asarray(prior, dtype=float)
    with get_reporter(reporter).task("label models (majority vote, Snorkel restarts)", total=1 + restarts) as advance:
        mv = majority_vote(pat.votes, n_classes, prior=prior)
        mv = Aggregation("majority_vote", mv.probs[pat.inverse], mv.covered[pat.inverse])
        advance(1)
        lm, fit = None, None
        if pat.votes.shape[1] >= MIN_LFS_FOR_LABEL_MODEL:
            fit = fits.fit(prior, n_epochs=n_epochs, lr=lr, l2=l2, restarts=restarts,
                           on_fit=lambda loss: advance(1, loss=f"{loss:.4g}"))
            if fit.fitted:
                score = score if score is not None else macro_f1_score(n_classes)
                lm = fit.aggregation(fit.pick(dev_pos, y_dev, score=score))
            else:  # the LFs almost never overlap: no fit was made, majority vote labels
                notes.append(fit.note)
        else:
            notes.append(f"Snorkel's LabelModel needs at least {MIN_LFS_FOR_LABEL_MODEL} LFs; got {pat.votes.shape[1]}, "
                         "so majority vote labels the data")
    return LabelModels(majority_vote=mv, label_model=lm, notes=notes, fit=fit)


def macro_f1_score(n_classes: int) -> RestartScore:
    """``score(y, probs)``: macro F1 of the argmax (Snorkel's tie rule) of ``probs`` against ``y``."""
    def score(y: np.ndarray, probs: np.ndarray) -> float:
        return float(scores_from_confusion(confusion_matrices(y, probs_to_preds(probs), n_classes))["macro_f1"][0])
    return score


def default_pipeline(models: LabelModels, *, balance: str, end_model: bool) -> str:
    """The candidate name of the default pipeline (no gold dev, or selection off): the label
    model where an LF voted (``label_model(dev)`` with the class balance of gold dev,
    ``label_model(uniform)`` otherwise), majority vote when the label model was not fitted, and
    the end model on the uncovered documents (``+end_model``) when it is enabled.

    >>> mv = majority_vote(np.array([[0, -1]]), 2)
    >>> default_pipeline(LabelModels(mv, None), balance="dev", end_model=True)
    'majority_vote+end_model'
    """
    src = f"label_model({balance})" if models.label_model is not None else "majority_vote"
    return f"{src}+end_model" if end_model else src


def source_names(covered: np.ndarray, name: str, fallback: str) -> np.ndarray:
    """(n,) object array: ``name`` where ``covered``, ``fallback`` elsewhere; every cell refers to
    one of the two strings (``np.where(...).astype(object)`` made a string per row: 1.7 GB at 10M).

    >>> source_names(np.array([True, False]), "majority_vote", "end_model").tolist()
    ['majority_vote', 'end_model']
    """
    out = np.full(len(covered), fallback, dtype=object)
    out[covered] = name
    return out


def final_probs(chosen: Aggregation, fill: np.ndarray | None, *, name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(probs, source) of the default pipeline's labels: ``chosen`` where an LF voted (source
    ``name``, default ``chosen.name``), ``fill`` (the end model's probabilities) elsewhere, or
    the prior that ``chosen`` holds there.

    >>> agg = majority_vote(np.array([[0, -1], [-1, -1]]), 2)
    >>> p, source = final_probs(agg, np.array([[0.5, 0.5], [0.2, 0.8]]))
    >>> p.tolist(), source.tolist()
    ([[1.0, 0.0], [0.2, 0.8]], ['majority_vote', 'end_model'])
    """
    probs = chosen.probs.copy()
    fallback = "prior"
    if fill is not None:
        probs[~chosen.covered] = fill[~chosen.covered]
        fallback = "end_model"
    return probs, source_names(chosen.covered, name or chosen.name, fallback)
