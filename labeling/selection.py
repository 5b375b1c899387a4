"""Choosing the pipeline that labels the corpus: every candidate (:mod:`wslab.labeling.candidates`)
scored out of fold on gold dev; gold test is scored for the report and never read by a choice.

Out of fold: gold dev is split into K stratified folds; a candidate that learns from dev labels
(dev-trained models, dev-weighted votes, a class balance from dev) is refitted on K-1 folds and
predicts the held-out fold, so every dev item is predicted by a fit that never saw its label. A
candidate that ignores dev labels is fitted once. Each score carries a bootstrap 95% CI and a
standard error; the best OOF score wins, and a candidate within one standard error of it that
comes earlier in :data:`KIND_ORDER` (simpler, cheaper) wins instead.

>>> import numpy as np
>>> metric = parse_metric("f1:spam", ["ham", "spam"])
>>> s = score(np.array([0, 1, 1, 0]), np.array([[.9, .1], [.2, .8], [.6, .4], [.7, .3]]), metric, 2, n_boot=0)
>>> round(s["value"], 3), s["n"]
(0.667, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from wslab.errors import ConfigError
from wslab.labeling.candidates import (Candidate, Inputs, Predict, end_model_on, gold_model, vote_candidates)
from wslab.progress import Reporter, get_reporter
from wslab.stats.metrics import confusion_matrices, scores_from_confusion
from wslab.stats.ties import probs_to_preds

KIND_ORDER = ("votes", "gold", "gold+votes", "votes+end_model", "end_model", "end_model+gold")
"""Simplest and cheapest first: the tie-break order of :func:`choose`."""

LEARNING_CURVE = (0.25, 0.5)
"""Fractions of gold dev the "gold only" learning curve adds beside the full set."""

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


def choose(rows: Sequence[dict], *, pin: str | None = None) -> str:
    """The best eligible OOF score, or the first in :data:`KIND_ORDER` within one standard error.

    A row ``over_budget`` (its text model would label more documents than allowed) is not
    chosen, but may be pinned."""
    if pin is not None:
        names = [r["name"] for r in rows if r["eligible"]]
        if pin not in names:
            raise ConfigError(f"key 'selection.candidate': no candidate {pin!r}; expected one of {names}")
        return pin
    eligible = [r for r in rows if r["eligible"] and not r.get("over_budget")]
    if not eligible:
        raise ConfigError("key 'selection.max_text_rows': every candidate is over the budget; expected a larger "
                          "budget or a pinned candidate")
    best = max(eligible, key=lambda r: r["oof"]["value"])
    bar = best["oof"]["value"] - best["oof"]["se"]
    ranked = sorted(eligible, key=lambda r: KIND_ORDER.index(r["kind"]))  # stable: listing order within a kind
    return next(r["name"] for r in ranked if r["oof"]["value"] >= bar)


class _Runner:
    """Fits candidates (all of dev, then each fold) and keeps their OOF and test probabilities."""

    def __init__(self, inp: Inputs, covered: np.ndarray, test_pos: np.ndarray, folds: list, advance) -> None:
        self.inp, self.covered, self.test_pos, self.folds, self.advance = inp, covered, test_pos, folds, advance
        self.oof: dict[str, np.ndarray] = {}
        self.test: dict[str, np.ndarray] = {}
        self.final: dict[str, Predict] = {}

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
            final = cand.fit(np.arange(len(inp.y_dev)))
            self.final[cand.name], self.test[cand.name] = final, final(self.test_pos)
            if not cand.uses_dev:
                self.oof[cand.name] = final(inp.dev_pos)
            else:
                oof = np.zeros((len(inp.y_dev), inp.n_classes))
                for tr, ho in self.folds:
                    oof[ho] = cand.fit(tr)(inp.dev_pos[ho])
                self.oof[cand.name] = oof
        self.advance(1, candidate=cand.name)


def _votes_then_end_model(rows: np.ndarray, covered: np.ndarray, votes: Predict, end: Predict) -> np.ndarray:
    """The vote source's probabilities where an LF voted; the end model (texts read) only elsewhere."""
    out = votes(rows)
    gap = ~covered[rows]
    if gap.any():
        out[gap] = end(rows[gap])
    return out


def text_rows(kind: str, covered: np.ndarray) -> int:
    """How many corpus documents a candidate of ``kind`` labels with a text model: none for vote
    sources, the uncovered ones for ``votes+end_model``, every one for the others."""
    return 0 if kind == "votes" else int((~covered).sum()) if kind == "votes+end_model" else len(covered)


def select_pipeline(inp: Inputs, *, covered: np.ndarray, test_pos: np.ndarray, y_test: np.ndarray | None,
                    labels: Sequence[str], metric: str = "macro_f1", folds: int = 5, n_boot: int = 1000,
                    label_model_grid: Sequence[tuple[str, dict]] = (), gold_shares: Sequence[float] = (0.5,),
                    text_models: bool = True, pin: str | None = None, max_text_rows: int | None = None,
                    reporter: Reporter | None = None) -> Selection:
    """Score every candidate out of fold on gold dev (and on gold test, for the report); choose one.

    ``max_text_rows``: a candidate whose text model would label more corpus documents than this
    (:func:`text_rows`) is scored and reported (``over_budget``) but not chosen unless pinned.

    End models are trained on majority vote and on the best (by dev OOF score only) of the
    weighted vote and the label models: the sources worth an end model, at a third of the fits. ``text_models=False``
    leaves out every candidate that trains a text classifier. ``y_test`` is used for nothing
    but the test scores.
    """
    fn, K = parse_metric(metric, labels), inp.n_classes
    first = vote_candidates(inp, label_model_grid=label_model_grid)
    if text_models:
        first += [Candidate("gold_only", "gold", True, gold_model(inp, votes=False)),
                  Candidate("gold+votes", "gold+votes", True, gold_model(inp, votes=True))]
        first += [Candidate(f"gold_only({int(f * 100)}%)", "gold", True, gold_model(inp, votes=False, fraction=f),
                            eligible=False) for f in LEARNING_CURVE]
    weak = text_models and len(inp.sample) > 0
    n_end = 2 * (2 + len(gold_shares)) if weak else 0
    with get_reporter(reporter).task("pipeline candidates (out of fold on gold dev)", total=len(first) + n_end) as adv:
        runner = _Runner(inp, covered, test_pos, dev_folds(inp.y_dev, folds, inp.seed), adv)
        for cand in first:
            runner.run(cand)
        # end models learn from two sources: majority vote (needs no dev label, so it is fitted
        # once) and the better, by dev OOF score, of the sources that learn from dev
        learned = [c.name for c in first if c.kind == "votes" and c.name != "majority_vote"]
        best = max(learned, key=lambda n: score(inp.y_dev, runner.oof[n], fn, K, n_boot=0)["value"]) if learned else None
        second = []
        fits = {c.name: c.fit for c in first}
        sources = ["majority_vote"] + ([best] if best else []) if weak else []
        for src in sources:
            src_uses_dev = next(c.uses_dev for c in first if c.name == src)
            second.append(Candidate(f"end_model({src})", "end_model", src_uses_dev,
                                    end_model_on(inp, fits[src], gold_share=None, dev_free=not src_uses_dev)))
            second.append(Candidate(f"{src}+end_model", "votes+end_model", src_uses_dev, parts=(src, f"end_model({src})")))
            second += [Candidate(f"end_model({src})+gold@{s:g}", "end_model+gold", True,
                                 end_model_on(inp, fits[src], gold_share=s)) for s in gold_shares]
        for cand in second:
            runner.run(cand)
    cands = first + second
    rows = []
    for i, c in enumerate(cands):
        cost = text_rows(c.kind, covered)
        rows.append({"name": c.name, "kind": c.kind, "uses_dev": c.uses_dev, "eligible": c.eligible,
                     "text_rows": cost, "over_budget": max_text_rows is not None and cost > max_text_rows,
                     "oof": score(inp.y_dev, runner.oof[c.name], fn, K, n_boot=n_boot,
                                  rng=np.random.default_rng([inp.seed, i])),
                     "test": (score(y_test, runner.test[c.name], fn, K, n_boot=n_boot,
                                    rng=np.random.default_rng([inp.seed, i, 1])) if y_test is not None else None)})
    chosen = choose(rows, pin=pin)
    for r in rows:
        r["chosen"] = r["name"] == chosen
    by_name = {r["name"]: r for r in rows}
    curve = [{"fraction": f, "n_train": int(round(f * len(inp.y_dev))),
              **{k: by_name[name][k] for k in ("oof", "test")}}
             for f, name in [(f, f"gold_only({int(f * 100)}%)") for f in LEARNING_CURVE] + [(1.0, "gold_only")]
             if name in by_name]
    return Selection(chosen=chosen, pinned=pin is not None, metric=metric, folds=folds, rows=rows,
                     learning_curve=curve, oof=runner.oof, test=runner.test, predict=runner.final[chosen],
                     kinds={c.name: c.kind for c in cands}, n_classes=K)
