"""Label models: turn a label matrix (n x m, -1 = abstain) into probabilistic labels.

Majority vote is the baseline, always computed beside Snorkel's LabelModel. Rows where no LF
voted are *uncovered*: both models give them the class prior and mark them so the end model
can label them instead.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from wslab.core.errors import ConfigError
from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.metrics import classification_report
from wslab.core.stats.ties import probs_to_preds
from wslab.core.stats.votes import vote_counts  # noqa: F401  (re-exported: the one vote count)

from wslab.labeling.majority import Aggregation, class_prior, majority_vote  # noqa: F401  (re-exported)
from wslab.labeling.patterns import VotePatterns

MIN_LFS_FOR_LABEL_MODEL = 3  # Snorkel's LabelModel refuses fewer


def snorkel_label_model(L: np.ndarray | VotePatterns, n_classes: int, *, prior: np.ndarray | None = None,
                        n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0, seed: int = 0,
                        restarts: int = 3, progress_bar: bool = False,
                        on_fit: Callable[[float], None] | None = None, fast: bool = True,
                        early_stopping: tuple[float, int] | None = (1e-4, 50),
                        min_overlap: float | None = None) -> Aggregation:
    """Fit Snorkel's LabelModel on ``L`` and predict every row (given ``L``'s
    :class:`~wslab.labeling.patterns.VotePatterns`: every distinct pattern, one row each).

    The model is fitted on the distinct vote patterns of ``L`` with their counts, which gives
    the same parameters as a fit on every row (Snorkel's objective sees the matrix only through
    the LF overlap matrix; see :mod:`wslab.labeling.patterns`), and each pattern is predicted
    once and mapped back to its rows. Memory and time scale with the number of patterns.
    ``restarts`` fits from derived seeds keep the one with the lowest training loss, because a
    single Snorkel fit can collapse for an unlucky seed (see ``patterns.fit_with_restarts``).
    ``fast`` (default) evaluates Snorkel's objective without its dense (m*K)^2 masks, with the
    same learned parameters (:mod:`wslab.labeling.fast_label_model`); ``early_stopping=(tol,
    patience)`` ends a fit whose loss improved by less than ``tol`` (relative) over ``patience``
    epochs (``None``: every epoch runs, as Snorkel). Measured on 6 synthetic matrices and WRENCH
    youtube and sms (3 x 500 epochs), ``(1e-4, 50)`` changed no predicted label and ``mu`` by at
    most 3e-4; it stopped only on youtube (478 of 500 epochs). When LFs almost never vote on the same rows (share below ``min_overlap``, default
    ``patterns.MIN_OVERLAP``) no fit is made: the result holds majority vote's probabilities and
    its ``note`` says so.
    Snorkel seeds numpy and torch globally inside ``fit``; that is Snorkel's behaviour.
    """
    from wslab.labeling.patterns import MIN_OVERLAP, EarlyStopping, fit_label_model_on_patterns, label_model_on_patterns

    stop = EarlyStopping(*early_stopping) if early_stopping is not None else None
    fit, data = ((label_model_on_patterns, L) if isinstance(L, VotePatterns)
                 else (fit_label_model_on_patterns, np.asarray(L)))
    return fit(data, n_classes, prior=prior, n_epochs=n_epochs, lr=lr, l2=l2, seed=seed, restarts=restarts,
               progress_bar=progress_bar, on_fit=on_fit, fast=fast, early_stopping=stop,
               min_overlap=MIN_OVERLAP if min_overlap is None else min_overlap)


@dataclass
class LabelModels:
    """Both label models' output on the same label matrix, and the one chosen to label the data."""

    majority_vote: Aggregation
    label_model: Aggregation | None
    chosen: Aggregation
    notes: list[str] = field(default_factory=list)


def fit_label_models(L: np.ndarray, n_classes: int, *, kind: str = "auto", prior: np.ndarray | None = None,
                     dev_pos: np.ndarray | None = None, y_dev: np.ndarray | None = None,
                     labels: Sequence[str] | None = None, n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0,
                     restarts: int = 3, seed: int = 0, reporter: Reporter | None = None) -> LabelModels:
    """Majority vote and Snorkel's LabelModel on ``L``; ``kind`` picks the one that labels.

    ``kind="auto"`` keeps whichever scores the higher macro F1 on the gold dev rows ``dev_pos``
    (labels ``y_dev``), the label model on a tie or without dev; ``"snorkel"`` / ``"majority"``
    pin one. With fewer than 3 LFs Snorkel cannot fit: majority vote labels, and a note says so.
    """
    notes: list[str] = []
    with get_reporter(reporter).task("label models (majority vote, Snorkel restarts)", total=1 + restarts) as advance:
        mv = majority_vote(L, n_classes, prior=prior)
        advance(1)
        lm: Aggregation | None = None
        if L.shape[1] >= MIN_LFS_FOR_LABEL_MODEL:
            lm = snorkel_label_model(L, n_classes, prior=prior, n_epochs=n_epochs, lr=lr, l2=l2, seed=seed,
                                     restarts=restarts, on_fit=lambda loss: advance(1, loss=f"{loss:.4g}"))
            if lm.note:  # the LFs almost never overlap: no fit was made, majority vote labels
                notes.append(lm.note)
                lm = None
        elif kind == "snorkel":
            raise ConfigError(f"key 'label_model.kind': snorkel needs at least {MIN_LFS_FOR_LABEL_MODEL} LFs; "
                              f"got {L.shape[1]}; expected more LFs or kind: majority")
        else:
            notes.append(f"Snorkel's LabelModel needs at least {MIN_LFS_FOR_LABEL_MODEL} LFs; got {L.shape[1]}, "
                         "so majority vote labels the data")
    chosen = choose_label_model(mv, lm, kind=kind, dev_pos=dev_pos, y_dev=y_dev,
                                labels=labels or [str(k) for k in range(n_classes)])
    return LabelModels(majority_vote=mv, label_model=lm, chosen=chosen, notes=notes)


def choose_label_model(mv: Aggregation, lm: Aggregation | None, *, kind: str, dev_pos: np.ndarray | None,
                       y_dev: np.ndarray | None, labels: Sequence[str]) -> Aggregation:
    """The aggregation that labels the data (see :func:`fit_label_models`); gold dev only."""
    if kind == "majority" or lm is None:
        return mv
    if kind == "snorkel" or dev_pos is None or y_dev is None or len(y_dev) == 0:
        return lm
    score = {a.name: classification_report(y_dev, probs_to_preds(a.probs[dev_pos]), list(labels), n_boot=0)["macro_f1"]
             for a in (mv, lm)}
    return lm if score["label_model"] >= score["majority_vote"] else mv


def source_names(covered: np.ndarray, name: str, fallback: str) -> np.ndarray:
    """(n,) object array: ``name`` where ``covered``, ``fallback`` elsewhere; every cell refers to
    one of the two strings (``np.where(...).astype(object)`` made a string per row: 1.7 GB at 10M).

    >>> source_names(np.array([True, False]), "majority_vote", "end_model").tolist()
    ['majority_vote', 'end_model']
    """
    out = np.full(len(covered), fallback, dtype=object)
    out[covered] = name
    return out


def final_probs(chosen: Aggregation, fill: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(probs, source) of the final labels: the chosen label model where an LF voted, ``fill``
    (the end model's probabilities) elsewhere, or the prior that ``chosen`` holds there.

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
    return probs, source_names(chosen.covered, chosen.name, fallback)
