"""Choosing the pipeline that labels the corpus: every candidate (:mod:`wslab.labeling.candidates`)
scored out of fold on gold dev; gold test is scored for the report and never read by a choice.

Out of fold: gold dev is split into K stratified folds; a candidate that learns from dev labels
(dev-trained models, dev-weighted votes, a class balance from dev) is refitted on K-1 folds and
predicts the held-out fold, so every dev item is predicted by a fit that never saw its label. A
candidate that ignores dev labels is fitted once. Each score carries a bootstrap 95% CI and a
standard error.

Choice (:func:`choose`): the best OOF score wins, unless a candidate earlier in :data:`KIND_ORDER`
(simpler, cheaper) is within one *paired* standard error of it: the bootstrap standard error of
the difference of the two scores, computed on the same resamples of the same dev items
(:func:`paired_replicates`). Two candidates that get most dev items equally right have a small
paired error, so a real gap is not excused by the width of each score's own interval (the rule
it replaces, one marginal standard error, chose gold only at 68.2 over gold + votes at 71.0 on
500 TREC dev items). Each row records the gap to the raw best and its paired error
(``vs_best``); the selection block names the raw best and why another was chosen.

Decision rule: with ``f1:<class>`` the argmax of probabilities is not F1-optimal for a rare
class, so each candidate gets a weight on that class's probability (the label is the argmax of
the reweighted, renormalised probabilities; for two classes, a threshold on ``p(class)``),
chosen out of fold by cross-fitting: the weight applied to held-out fold f is the one that
maximises F1 on the OOF predictions of the other folds; the weight applied to test and to the
corpus is the one that maximises F1 on all OOF predictions. The chosen candidate's
probabilities in ``labels.parquet`` carry its weight, so its label is their argmax.

>>> import numpy as np
>>> metric = parse_metric("f1:spam", ["ham", "spam"])
>>> s = score(np.array([0, 1, 1, 0]), np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]), metric, 2, n_boot=0)
>>> round(s["value"], 3), s["n"]
(0.667, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from wslab.core.artifacts import ABSTAIN
from wslab.core.errors import ConfigError
from wslab.labeling.candidates import (Candidate, Inputs, Predict, end_model_on, gold_model, llm_candidates,
                                     vote_candidates)
from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.metrics import confusion_matrices, scores_from_confusion
from wslab.core.stats.ties import probs_to_preds

KIND_ORDER = ("votes", "gold", "gold+votes", "votes+end_model", "end_model", "end_model+gold",
              "llm", "votes+llm", "gold+llm")
"""Simplest and cheapest first: the tie-break order of :func:`choose`. Candidates on LLM labels
come last: labelling new documents with them means paying the LLM again, so one is chosen only
when it beats every candidate without it by more than a paired standard error."""

LLM_SOURCES = {"votes": ("lfs",), "gold+votes": ("lfs",), "votes+end_model": ("lfs",), "end_model": ("lfs",),
               "end_model+gold": ("lfs",), "llm": ("llm",), "votes+llm": ("lfs", "llm"), "gold+llm": ("llm",)}
"""Which paid sources a candidate of each kind reads: ``lfs`` (prompt LFs among the LFs),
``llm`` (the LLM labels); gold only reads neither."""

LEARNING_CURVE = (0.25, 0.5)
"""Fractions of gold dev the "gold only" learning curve adds beside the full set."""

DECISION_WEIGHTS = tuple(float(a) for a in np.geomspace(1 / 32, 32, 41))
"""Weights on the F1 class's probability the decision rule chooses among (1 = argmax)."""

MetricFn = Callable[[np.ndarray], np.ndarray]


def parse_metric(metric: str, labels: Sequence[str]) -> MetricFn:
    """``accuracy``, ``macro_f1`` or ``f1:<class>`` -> a function of (B, K, K) confusion matrices."""
    if metric in ("accuracy", "macro_f1"):
        return lambda cm: scores_from_confusion(cm)[metric]
    if metric.startswith("f1:") and metric[3:] in labels:
        k = list(labels).index(metric[3:])
        return lambda cm: scores_from_confusion(cm)["f1"][:, k]
    raise ConfigError(f"key 'selection.metric': got {metric!r}; expected accuracy, macro_f1 or "
                      f"f1:<class> with a class among {list(labels)}")


def metric_score(metric: MetricFn, n_classes: int):
    """``score(y, probs) -> float``: ``metric`` of the argmax (the one tie rule) of ``probs``;
    how a label model's restarts are compared on gold dev items."""
    def score_fn(y: np.ndarray, probs: np.ndarray) -> float:
        return float(metric(confusion_matrices(y, probs_to_preds(probs), n_classes))[0])
    return score_fn


def decision_class(metric: str, labels: Sequence[str]) -> int | None:
    """The class whose probability the decision rule weighs: the class of ``f1:<class>``, else None."""
    return list(labels).index(metric[3:]) if metric.startswith("f1:") and metric[3:] in labels else None


def reweight(probs: np.ndarray, k: int, weight: float) -> np.ndarray:
    """``probs`` with class ``k``'s column times ``weight``, rows renormalised (``weight`` 1: as is).

    >>> reweight(np.array([[0.8, 0.2]]), 1, 4.0).round(3).tolist()  # threshold 1 / (1 + 4) = 0.2
    [[0.5, 0.5]]
    """
    if weight == 1.0:
        return probs
    out = np.array(probs, dtype=np.float64)
    out[:, k] *= weight
    return out / out.sum(axis=1, keepdims=True)


def decision_weight(y: np.ndarray, probs: np.ndarray, k: int, metric: MetricFn, n_classes: int) -> float:
    """The weight in :data:`DECISION_WEIGHTS` whose reweighted argmax scores best on (y, probs);
    among equal scores the one closest to 1 (on a log scale)."""
    if not len(y):
        return 1.0
    weights = np.array(DECISION_WEIGHTS)
    preds = np.stack([probs_to_preds(reweight(probs, k, a)) for a in weights])
    n = len(y)  # every weight's confusion matrix in one call: weight w reads items w*n .. w*n + n-1
    values = metric(confusion_matrices(np.tile(y, len(weights)), preds.ravel(), n_classes,
                                       np.arange(len(weights) * n).reshape(len(weights), n)))
    best = np.flatnonzero(values >= values.max() - 1e-12)
    return float(weights[best[np.argmin(np.abs(np.log(weights[best])))]])


def cross_fitted(y: np.ndarray, oof: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]], k: int,
                 metric: MetricFn, n_classes: int) -> tuple[np.ndarray, float]:
    """(OOF probabilities reweighted fold by fold, the final weight): held-out fold f gets the
    weight chosen on the other folds' OOF predictions; the final weight is chosen on all of them."""
    out = np.empty_like(oof, dtype=np.float64)
    for tr, ho in folds:
        out[ho] = reweight(oof[ho], k, decision_weight(y[tr], oof[tr], k, metric, n_classes))
    return out, decision_weight(y, oof, k, metric, n_classes)


def score(y: np.ndarray, probs: np.ndarray, metric: MetricFn, n_classes: int, *, n_boot: int = 1000,
          rng: np.random.Generator | None = None) -> dict:
    """``{"value", "ci": [lo, hi], "se", "n"}`` of ``metric`` on (y, argmax of probs); percentile
    bootstrap CI and bootstrap standard error (``n_boot=0``: no CI, se 0)."""
    y = np.asarray(y, dtype=np.int64)
    pred = probs_to_preds(probs)
    out = {"value": float(metric(confusion_matrices(y, pred, n_classes))[0]), "n": int(len(y))}
    if n_boot and len(y):
        rng = rng if rng is not None else np.random.default_rng(0)
        reps = np.concatenate([metric(confusion_matrices(y, pred, n_classes, rng.integers(0, len(y), (b, len(y)))))
                               for b in [200] * (n_boot // 200) + [n_boot % 200] if b])
        out["ci"] = [float(x) for x in np.percentile(reps, [2.5, 97.5])]
        out["se"] = float(reps.std(ddof=1))
    else:
        out["ci"], out["se"] = None, 0.0
    return out


def dev_folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K (train, held-out) index pairs over dev, stratified when every class has K items."""
    counts = np.bincount(y)
    splitter = (StratifiedKFold(k, shuffle=True, random_state=seed) if counts[counts > 0].min() >= k
                else KFold(k, shuffle=True, random_state=seed))
    return [(tr, ho) for tr, ho in splitter.split(np.zeros(len(y)), y)]


@dataclass
class Selection:
    """What selection found: a row per candidate, the chosen one fitted on all of gold dev."""

    chosen: str
    pinned: bool
    metric: str
    folds: int
    rows: list[dict]
    learning_curve: list[dict]
    oof: dict[str, np.ndarray] = field(repr=False)
    test: dict[str, np.ndarray] = field(repr=False)
    predict: Predict = field(repr=False)
    kinds: dict[str, str] = field(default_factory=dict)
    n_classes: int = 0
    rule: dict = field(default_factory=dict)
    """:func:`choice_reason`: the raw best by dev OOF score, the chosen one and why."""
    covered: np.ndarray | None = field(default=None, repr=False)
    """(n,) where the chosen candidate's votes (LFs and LLM labels) cover a document, when it
    reads LLM labels (``llm``, ``votes+llm``); None: the LFs' coverage."""


def candidate_names(label_model_tags: Sequence[str], *, gold_shares: Sequence[float] = (0.5,),
                    text_models: bool = True, llm: str | None = None,
                    llm_label_model_tags: Sequence[str] = (), spans: bool = False) -> list[str]:
    """Every candidate name :func:`select_pipeline` may list (end models on every vote source:
    it fits them on majority vote, on the best learned source, and on a pinned one). ``llm``:
    where LLM labels come from (:func:`~wslab.labeling.candidates.llm_candidates`): ``file``
    (the ``+llm`` vote candidates too, label models for ``llm_label_model_tags``), ``lfs``
    (prompt LFs), or None. ``spans``: the corpus names entity spans (the ``+spans`` candidates).

    >>> candidate_names([""], text_models=False)
    ['majority_vote', 'weighted_vote', 'label_model(dev)', 'label_model(uniform)']
    >>> candidate_names([], text_models=False, llm="file")[2:]
    ['llm', 'majority_vote+llm', 'weighted_vote+llm']
    """
    def vote_names(tags: Sequence[str]) -> list[str]:
        return ["majority_vote", "weighted_vote",
                *(f"label_model({balance}{tag})" for tag in tags for balance in ("dev", "uniform"))]

    votes = vote_names(label_model_tags)
    llm_names = ([] if llm is None else ["llm", *(["llm+gold"] if text_models else []),
                                         *(["llm+gold+votes"] if text_models and llm == "file" else []),
                                         *([f"{n}+llm" for n in vote_names(llm_label_model_tags)] if llm == "file"
                                           else [])])
    if not text_models:
        return [*votes, *llm_names]
    ends = [name for src in votes for name in (f"end_model({src})", f"{src}+end_model",
                                               *(f"end_model({src})+gold@{s:g}" for s in gold_shares),
                                               *(f"end_model({src})+gold@{s:g}+spans" for s in gold_shares if spans))]
    span_names = ["gold_only+spans", "gold+votes+spans"] if spans else []
    return [*votes, "gold_only", "gold+votes", *span_names, *ends, *llm_names]


def check_selection(metric: str, pin: str | None, labels: Sequence[str], names: Sequence[str]) -> None:
    """ConfigError unless ``metric`` names a known metric (and class) and ``pin`` one of ``names``."""
    parse_metric(metric, labels)
    if pin is not None and pin not in names:
        raise ConfigError(f"key 'selection.candidate': no candidate {pin!r}; expected one of {list(names)}")


def pinned_source(pin: str | None) -> str | None:
    """The vote source of a pinned end-model candidate (``end_model(weighted_vote)+gold@0.5`` ->
    ``weighted_vote``), else None.

    >>> pinned_source("end_model(label_model(dev))+gold@0.5"), pinned_source("label_model(dev)+end_model")
    ('label_model(dev)', 'label_model(dev)')
    """
    if pin is None:
        return None
    if pin.startswith("end_model("):
        return pin[len("end_model("):pin.rindex(")")]
    return pin[:-len("+end_model")] if pin.endswith("+end_model") else None


def paired_replicates(y: np.ndarray, probs: Sequence[np.ndarray], metric: MetricFn, n_classes: int, *,
                      n_boot: int = 1000, rng: np.random.Generator | None = None) -> np.ndarray:
    """(n_boot, C) bootstrap replicates of ``metric`` for C candidates' dev OOF ``probs``, every
    candidate scored on the *same* resamples of dev, so column differences are paired differences."""
    y = np.asarray(y, dtype=np.int64)
    if not n_boot or not len(y):
        return np.zeros((0, len(probs)))
    rng = rng if rng is not None else np.random.default_rng(0)
    preds = [probs_to_preds(p) for p in probs]
    out = []
    for b in [200] * (n_boot // 200) + [n_boot % 200]:
        if b:
            idx = rng.integers(0, len(y), (b, len(y)))
            out.append(np.stack([metric(confusion_matrices(y, p, n_classes, idx)) for p in preds], axis=1))
    return np.concatenate(out)


def compare_to_best(rows: Sequence[dict], reps: np.ndarray | None) -> dict | None:
    """Set each row's ``vs_best``: ``{"best", "gap", "se"}``, the raw best eligible candidate by
    OOF score, how far below it the row is, and the bootstrap standard error of that paired
    difference (columns of ``reps`` follow ``rows``; None or no replicates: se 0). Return the
    best row (None when no row is eligible)."""
    eligible = [i for i, r in enumerate(rows) if r["eligible"] and not r.get("over_budget")]
    if not eligible:
        return None
    b = max(eligible, key=lambda i: rows[i]["oof"]["value"])
    has = reps is not None and len(reps) > 1
    for i, r in enumerate(rows):
        se = float(np.std(reps[:, b] - reps[:, i], ddof=1)) if has else 0.0
        r["vs_best"] = {"best": rows[b]["name"], "gap": float(rows[b]["oof"]["value"] - r["oof"]["value"]), "se": se}
    return rows[b]


def choose(rows: Sequence[dict], *, pin: str | None = None, reps: np.ndarray | None = None) -> str:
    """The best eligible OOF score, or the first in :data:`KIND_ORDER` within one paired standard
    error of it (module doc; ``reps``: :func:`paired_replicates` of the rows, in order). Each row
    gets its ``vs_best`` (:func:`compare_to_best`).

    A row ``over_budget`` (its text model would label more documents than allowed) is not
    chosen, but may be pinned."""
    best = compare_to_best(rows, reps)
    if pin is not None:
        names = [r["name"] for r in rows if r["eligible"]]
        if pin not in names:
            raise ConfigError(f"key 'selection.candidate': no candidate {pin!r}; expected one of {names}")
        return pin
    if best is None:
        raise ConfigError("key 'selection.max_text_rows': every candidate is over the budget; expected a larger "
                          "budget or a pinned candidate")
    eligible = [r for r in rows if r["eligible"] and not r.get("over_budget")]
    ranked = sorted(eligible, key=lambda r: KIND_ORDER.index(r["kind"]))  # stable: listing order within a kind
    return next(r["name"] for r in ranked if r["vs_best"]["gap"] <= r["vs_best"]["se"])


def choice_reason(rows: Sequence[dict], chosen: str, *, pinned: bool) -> dict:
    """``{"best", "chosen", "reason"}``: the raw best by OOF score and why ``chosen`` labels."""
    best = next((r["vs_best"]["best"] for r in rows if "vs_best" in r), chosen)
    row = next(r for r in rows if r["name"] == chosen)
    if pinned:
        reason = "pinned by selection.candidate"
    elif chosen == best:
        reason = "best dev OOF score"
    else:
        v = row["vs_best"]
        reason = (f"simpler ({row['kind']}) and within one paired standard error of {best}: "
                  f"{v['gap']:.3f} below, paired SE {v['se']:.3f}")
    return {"best": best, "chosen": chosen, "reason": reason}


TEXT_MODEL_KINDS = frozenset({"gold", "gold+votes", "end_model", "end_model+gold", "gold+llm"})
"""Kinds whose fits train a text classifier: their fits run on the thread pool of
:func:`select_pipeline` (the sparse products of the solver release Python's global lock; vote
fits are too cheap to gain, and Snorkel seeds numpy's global generator inside its fit)."""


class _Runner:
    """Fits candidates (all of dev, then each fold) and keeps their OOF and test probabilities;
    a text model's fits (all of dev and each fold) are tasks of ``pool`` when one is given."""

    def __init__(self, inp: Inputs, covered: np.ndarray, test_pos: np.ndarray, folds: list, advance, *,
                 k: int | None, metric: MetricFn, pool: ThreadPoolExecutor | None = None) -> None:
        self.inp, self.covered, self.test_pos, self.folds, self.advance = inp, covered, test_pos, folds, advance
        self.k, self.metric, self.pool = k, metric, pool
        self.oof: dict[str, np.ndarray] = {}  # argmax-ready probabilities, before the decision rule
        self.test: dict[str, np.ndarray] = {}
        self.final: dict[str, Predict] = {}
        self.decided: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}  # (OOF, test, weight) after it

    def decide(self, name: str) -> None:
        """The decision rule (module doc) on ``name``'s probabilities: cross-fitted on dev OOF."""
        oof, test = self.oof[name], self.test[name]
        if self.k is None:
            self.decided[name] = (oof, test, 1.0)
            return
        d_oof, w = cross_fitted(self.inp.y_dev, oof, self.folds, self.k, self.metric, self.inp.n_classes)
        self.decided[name] = (d_oof, reweight(test, self.k, w), w)

    def predict(self, name: str) -> Predict:
        """``name`` fitted on all of dev, with its final decision weight."""
        final, w = self.final[name], self.decided[name][2]
        return final if w == 1.0 else (lambda rows: reweight(final(rows), self.k, w))

    def run(self, cand: Candidate) -> None:
        inp = self.inp
        if cand.parts is not None:
            src, end = cand.parts
            on_dev, on_test = self.covered[inp.dev_pos][:, None], self.covered[self.test_pos][:, None]
            self.oof[cand.name] = np.where(on_dev, self.oof[src], self.oof[end])
            self.test[cand.name] = np.where(on_test, self.test[src], self.test[end])
            fs, fe = self.final[src], self.final[end]
            self.final[cand.name] = lambda rows: _votes_then_end_model(rows, self.covered, fs, fe)
        else:
            def fold(tr_ho):  # a fold's fit, scored on its held-out items
                return cand.fit(tr_ho[0])(inp.dev_pos[tr_ho[1]])
            # every fit a task of the pool (a text model's) or run at once: the all-of-dev fit first, then the folds
            parallel = self.pool is not None and cand.kind in TEXT_MODEL_KINDS and cand.uses_dev
            submit = self.pool.submit if parallel else _now
            final_task = submit(cand.fit, np.arange(len(inp.y_dev)))
            pending = [submit(fold, f) for f in self.folds] if cand.uses_dev else []
            final = final_task.result()
            self.final[cand.name], self.test[cand.name] = final, final(self.test_pos)
            if not cand.uses_dev:
                self.oof[cand.name] = final(inp.dev_pos)
            else:
                oof = np.zeros((len(inp.y_dev), inp.n_classes))
                for (_, ho), task in zip(self.folds, pending):
                    oof[ho] = task.result()
                self.oof[cand.name] = oof
        self.decide(cand.name)
        self.advance(1, candidate=cand.name)


def _now(fn, *args) -> Future:
    """``fn(*args)`` run at once, as a finished Future (a pool's ``submit`` without a pool)."""
    done = Future()
    done.set_result(fn(*args))
    return done


def _votes_then_end_model(rows: np.ndarray, covered: np.ndarray, votes: Predict, end: Predict) -> np.ndarray:
    """The vote source's probabilities where an LF voted; the end model (texts read) only elsewhere."""
    out = votes(rows)
    gap = ~covered[rows]
    if gap.any():
        out[gap] = end(rows[gap])
    return out


def text_rows(kind: str, covered: np.ndarray) -> int:
    """How many corpus documents a candidate of ``kind`` labels with a text model: none for vote
    sources (LFs or LLM labels), the uncovered ones for ``votes+end_model``, every one for the others."""
    return (0 if kind in ("votes", "llm", "votes+llm") else int((~covered).sum()) if kind == "votes+end_model"
            else len(covered))


def llm_cost(kind: str, costs: dict[str, dict | None]) -> dict | None:
    """The LLM cost of a candidate of ``kind``: the sum of the ``costs`` (``{"usd": float or None,
    "basis": str}`` per paid source, :data:`LLM_SOURCES`) of the sources it reads; None when it
    reads none; ``usd`` None (unknown) when any of them is unknown.

    >>> llm_cost("votes+llm", {"lfs": {"usd": 0.5, "basis": "prompt LFs"}, "llm": {"usd": 1.0, "basis": "file"}})
    {'usd': 1.5, 'basis': 'prompt LFs + file'}
    >>> llm_cost("gold", {"llm": {"usd": 1.0, "basis": "file"}}) is None
    True
    """
    used = [costs[s] for s in LLM_SOURCES.get(kind, ()) if costs.get(s) is not None]
    if not used:
        return None
    usd = None if any(c["usd"] is None for c in used) else round(sum(c["usd"] for c in used), 6)
    return {"usd": usd, "basis": " + ".join(c["basis"] for c in used)}


def select_pipeline(inp: Inputs, *, covered: np.ndarray, test_pos: np.ndarray, y_test: np.ndarray | None,
                    labels: Sequence[str], metric: str = "macro_f1", folds: int = 5, n_boot: int = 1000,
                    label_model_grid: Sequence[tuple[str, dict]] = (), gold_shares: Sequence[float] = (0.5,),
                    text_models: bool = True, pin: str | None = None, max_text_rows: int | None = None,
                    llm_costs: dict[str, dict | None] | None = None, n_jobs: int = 2,
                    reporter: Reporter | None = None) -> Selection:
    """Score every candidate out of fold on gold dev (and on gold test, for the report); choose one.

    ``max_text_rows``: a candidate whose text model would label more corpus documents than this
    (:func:`text_rows`) is scored and reported (``over_budget``) but not chosen unless pinned.

    With LLM labels (:attr:`Inputs.llm`) their candidates join (:func:`llm_candidates`).
    ``llm_costs``: the LLM cost of each paid source (:func:`llm_cost`), set on every row as
    ``llm_cost`` (None for a candidate that reads no paid source).

    End models are trained on majority vote and on the best (by dev OOF score only) of the
    weighted vote and the label models: the sources worth an end model, at a third of the fits. ``text_models=False``
    leaves out every candidate that trains a text classifier. ``y_test`` is used for nothing
    but the test scores. ``n_jobs``: threads for the text models' fold fits (1: none); the
    results do not depend on it.
    """
    fn, K, k = parse_metric(metric, labels), inp.n_classes, decision_class(metric, labels)
    first = vote_candidates(inp, label_model_grid=label_model_grid, score=metric_score(fn, K))
    if text_models:
        first += [Candidate("gold_only", "gold", True, gold_model(inp, votes=False)),
                  Candidate("gold+votes", "gold+votes", True, gold_model(inp, votes=True))]
        if inp.spans is not None:  # listed after their whole-text twins: a tie goes to whole text
            first += [Candidate("gold_only+spans", "gold", True, gold_model(inp, votes=False, spans=True)),
                      Candidate("gold+votes+spans", "gold+votes", True, gold_model(inp, votes=True, spans=True))]
        first += [Candidate(f"gold_only({int(f * 100)}%)", "gold", True, gold_model(inp, votes=False, fraction=f),
                            eligible=False) for f in LEARNING_CURVE]
    first += llm_candidates(inp, label_model_grid=label_model_grid, score=metric_score(fn, K), text_models=text_models)
    weak = text_models and len(inp.sample) > 0
    per_source = 2 + len(gold_shares) * (2 if inp.spans is not None else 1)
    n_end = (2 + (pinned_source(pin) not in (None, "majority_vote"))) * per_source if weak else 0
    with get_reporter(reporter).task("pipeline candidates (out of fold on gold dev)", total=len(first) + n_end) as adv:
        with ThreadPoolExecutor(n_jobs) if n_jobs > 1 and text_models else nullcontext() as pool:
            runner = _Runner(inp, covered, test_pos, dev_folds(inp.y_dev, folds, inp.seed), adv, k=k, metric=fn,
                             pool=pool)
            for cand in first:
                runner.run(cand)
            second = _end_model_candidates(inp, first, runner, gold_shares, fn, pin=pin) if weak else []
            for cand in second:
                runner.run(cand)
    cands = first + second
    rows = []
    for i, c in enumerate(cands):
        oof, test, w = runner.decided[c.name]
        cost = text_rows(c.kind, covered)
        rows.append({"name": c.name, "kind": c.kind, "uses_dev": c.uses_dev, "eligible": c.eligible,
                     "text_rows": cost, "over_budget": max_text_rows is not None and cost > max_text_rows,
                     "llm_cost": llm_cost(c.kind, llm_costs or {}),
                     "oof": score(inp.y_dev, oof, fn, K, n_boot=n_boot, rng=np.random.default_rng([inp.seed, i])),
                     "test": (score(y_test, test, fn, K, n_boot=n_boot, rng=np.random.default_rng([inp.seed, i, 1]))
                              if y_test is not None else None),
                     "decision": None if k is None else {"class": labels[k], "weight": w,
                                                         "threshold": 1 / (1 + w) if K == 2 else None}})
    reps = paired_replicates(inp.y_dev, [runner.decided[c.name][0] for c in cands], fn, K, n_boot=n_boot,
                             rng=np.random.default_rng([inp.seed, len(cands), 2]))
    chosen = choose(rows, pin=pin, reps=reps)
    for r in rows:
        r["chosen"] = r["name"] == chosen
    by_name = {r["name"]: r for r in rows}
    curve = [{"fraction": f, "n_train": int(round(f * len(inp.y_dev))),
              **{key: by_name[name][key] for key in ("oof", "test")}}
             for f, name in [(f, f"gold_only({int(f * 100)}%)") for f in LEARNING_CURVE] + [(1.0, "gold_only")]
             if name in by_name]
    return Selection(chosen=chosen, pinned=pin is not None, metric=metric, folds=folds, rows=rows,
                     rule=choice_reason(rows, chosen, pinned=pin is not None),
                     learning_curve=curve, oof={n: d[0] for n, d in runner.decided.items()},
                     test={n: d[1] for n, d in runner.decided.items()}, predict=runner.predict(chosen),
                     kinds={c.name: c.kind for c in cands}, n_classes=K,
                     covered=_llm_covered(inp, covered, next(c.kind for c in cands if c.name == chosen)))


def _llm_covered(inp: Inputs, covered: np.ndarray, kind: str) -> np.ndarray | None:
    """Where a vote candidate of ``kind`` on LLM labels has a vote (None for other kinds)."""
    if kind not in ("llm", "votes+llm") or inp.llm is None:
        return None
    answered = (inp.llm != ABSTAIN).any(axis=1)
    return answered if kind == "llm" else answered | covered


def _end_model_candidates(inp: Inputs, first: list[Candidate], runner: _Runner, gold_shares: Sequence[float],
                          fn: MetricFn, *, pin: str | None = None) -> list[Candidate]:
    """End models on two sources: majority vote (needs no dev label, so it is fitted once) and the
    better, by dev OOF score after the decision rule, of the sources that learn from dev; and on
    the source of a pinned end-model candidate."""
    learned = [c.name for c in first if c.kind == "votes" and c.name != "majority_vote"]
    best = (max(learned, key=lambda n: score(inp.y_dev, runner.decided[n][0], fn, inp.n_classes, n_boot=0)["value"])
            if learned else None)
    second = []
    fits = {c.name: c.fit for c in first}
    pinned = pinned_source(pin)
    sources = ["majority_vote"] + ([best] if best else []) + ([pinned] if pinned in learned and pinned != best else [])
    for src in sources:
        src_uses_dev = next(c.uses_dev for c in first if c.name == src)
        second.append(Candidate(f"end_model({src})", "end_model", src_uses_dev,
                                end_model_on(inp, fits[src], gold_share=None, dev_free=not src_uses_dev)))
        second.append(Candidate(f"{src}+end_model", "votes+end_model", src_uses_dev, parts=(src, f"end_model({src})")))
        second += [Candidate(f"end_model({src})+gold@{s:g}", "end_model+gold", True,
                             end_model_on(inp, fits[src], gold_share=s)) for s in gold_shares]
        if inp.spans is not None:
            second += [Candidate(f"end_model({src})+gold@{s:g}+spans", "end_model+gold", True,
                                 end_model_on(inp, fits[src], gold_share=s, spans=True)) for s in gold_shares]
    return second
