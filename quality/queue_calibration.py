"""The queue's flag and its suggestion, calibrated on gold dev.

:func:`wslab.quality.queue.build_queue` flags a row when any signal's own threshold fires; on
TREC that flagged 52% of the checked documents (99.7% of one class), too many for an expert and
no more precise than one signal alone. With gold dev labels for some queued items, two choices
are made on them (never on gold test), and the ranking (``priority``) stays as it was:

* **the flag**: ``flagged`` = ``priority >= threshold``; among the thresholds whose flagged
  precision on gold dev (share of the flagged dev items whose label is wrong) is at least that of
  the better single signal's own flag (cleanlab's label issues, cartography's hard-to-learn,
  LF conflicts, annotator disagreement), over at least :data:`MIN_FLAGGED` flagged dev items, and
  above chance (the Wilson 95% lower bound of the precision over the share of wrong dev labels),
  the one with the best F1 at finding the wrong labels (selective: it flags about as many items as
  are wrong, not every item some signal doubts); without such a threshold, the most precise of
  those above chance; when none is above chance (the ranking finds the wrong dev labels no
  better than a random draw would: WRENCH sms, whose 2 wrong of 196 rank 60th and 65th), the
  threshold of the top :data:`MIN_FLAGGED` dev items, the least the queue can flag. When a
  single signal's own flag (over at least :data:`MIN_FLAGGED` dev items, above chance) is more
  precise on gold dev than the threshold chosen, the flag is that signal's flag (the merged
  ranking can put a few right labels above the items that signal alone is sure of);
* **the suggestion**: ``show_suggestion`` is true where the suggestion's probability
  (``p_suggested``) is at least the lowest level at which, on the flagged gold dev items with a
  suggestion other than the given label, the suggestion was right more often than the given
  label. Below it (or everywhere, when no level qualifies) the task shows no suggestion.

Each choice is reported with its n and a Wilson 95% interval.

The dev items' ``given_label`` must be labels the pipeline made without learning from those
items, or "wrong" means nothing: ``wslab apply`` checks each gold dev item with the chosen
candidate's out-of-fold label (:func:`wslab.app.pipeline.checked_labels`). With a gold-trained
pipeline's own labels, WRENCH youtube and sms had no wrong dev label among 105 and 196 checked
(benchmarks/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from wslab.core.stats.intervals import wilson_interval
from wslab.quality.queue import SIGNAL_FLAGS, _SIGNAL_COLUMNS

__all__ = ["MIN_FLAGGED", "calibrate_queue", "flag_threshold", "suggestion_threshold"]

MIN_FLAGGED = 5
"""A threshold must flag at least this many gold dev items (a precision of 1/1 decides nothing)."""


def _rate(hits: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(hits, n)
    return {"n": int(n), "hits": int(hits), "precision": hits / n if n else None,
            "ci": [float(lo), float(hi)] if n else None}


def flag_threshold(priority: np.ndarray, wrong: np.ndarray, best_single: float) -> float | None:
    """The threshold ``t`` on ``priority`` (items ``>= t`` flagged) with the highest F1 at finding
    the ``wrong`` items, among those over at least :data:`MIN_FLAGGED` items whose precision is at
    least ``best_single`` and above chance (Wilson 95% lower bound over ``wrong.mean()``); without
    one, the most precise above chance; with none above chance, the ``t`` that flags the fewest
    (at least :data:`MIN_FLAGGED`); None without enough items.

    >>> p = np.array([.9, .8, .7, .6, .5, .4, .3, .2, .1, .05, .04, .03])
    >>> flag_threshold(p, np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]), 0.5)  # F1 .91 at .5, .67 at .03
    0.5
    >>> flag_threshold(p, np.array([1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0]), 0.9)  # none reaches .9: most precise
    0.4
    >>> flag_threshold(p, np.array([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), 0.0)  # no better than chance: the top 5
    0.5
    """
    order = np.argsort(-priority, kind="stable")
    p, w = priority[order], wrong[order].astype(float)
    if len(p) < MIN_FLAGGED:
        return None
    hits = np.cumsum(w)
    flagged = np.arange(1, len(p) + 1)
    precision = hits / flagged
    f1 = 2 * hits / (flagged + max(w.sum(), 1.0))
    last_of_tie = np.r_[p[1:] != p[:-1], True]  # a threshold takes every tied item
    ok = [k for k in range(MIN_FLAGGED - 1, len(p)) if last_of_tie[k]]
    if not ok:
        return None
    lower = wilson_interval(hits, flagged)[0]
    above = [k for k in ok if lower[k] > w.mean()]
    good = [k for k in above if precision[k] >= best_single]
    k = (max(good, key=lambda j: (f1[j], -j)) if good else max(above, key=lambda j: (precision[j], -j)) if above
         else ok[0])
    return float(p[k])


def suggestion_threshold(p_suggested: np.ndarray, suggestion_right: np.ndarray, given_right: np.ndarray) -> float | None:
    """The lowest level ``s`` at which, over the items with ``p_suggested >= s`` (at least
    :data:`MIN_FLAGGED`), the suggestion is right more often than the given label; None if none.

    >>> suggestion_threshold(np.array([.9, .8, .7, .6, .5, .4]), np.array([1, 1, 1, 1, 0, 0]), np.array([0, 0, 0, 0, 1, 1]))
    0.4
    >>> suggestion_threshold(np.array([.9, .8, .7, .6, .5]), np.array([0, 0, 1, 0, 0]), np.array([1, 1, 0, 1, 1])) is None
    True
    """
    order = np.argsort(-p_suggested, kind="stable")
    p, s, g = p_suggested[order], np.cumsum(suggestion_right[order]), np.cumsum(given_right[order])
    last_of_tie = np.r_[p[1:] != p[:-1], True]
    good = [k for k in range(MIN_FLAGGED - 1, len(p)) if last_of_tie[k] and s[k] > g[k]]
    return float(p[good[-1]]) if good else None


def calibrate_queue(queue: pl.DataFrame, truth: pl.DataFrame, labels: Sequence[str]) -> tuple[pl.DataFrame, dict]:
    """``queue`` (every checked item, :func:`build_queue`) with ``flagged`` and ``show_suggestion``
    chosen on ``truth`` (``id``, ``label``: gold dev), and what was measured (see the module doc)."""
    dev = queue.join(truth.select(pl.col("id").cast(pl.String), pl.col("label").alias("_gold")), on="id", how="inner")
    wrong = (dev["given_label"] != dev["_gold"]).to_numpy()
    signals = {}
    for name, expr in SIGNAL_FLAGS.items():
        if _SIGNAL_COLUMNS[name] in dev.columns:
            hit = dev.select(expr.fill_null(False)).to_series().to_numpy()
            signals[name] = _rate(int(wrong[hit].sum()), int(hit.sum()))
    usable = [s["precision"] for s in signals.values() if s["n"] >= MIN_FLAGGED]
    best = max(usable) if usable else 0.0
    t = flag_threshold(dev["priority"].to_numpy(), wrong, best)
    flag, rule = (pl.col("flagged"), "the signals' own thresholds") if t is None \
        else (pl.col("priority") >= t, "priority threshold")
    flagged_dev = dev.select(flag).to_series().to_numpy()
    single = _better_signal(signals, wrong, int(wrong[flagged_dev].sum()), int(flagged_dev.sum()))
    if single is not None:  # no threshold on the merged priority is as precise as this signal's own flag
        flag, rule, t = SIGNAL_FLAGS[single].fill_null(False), f"{single}'s own flag", None
        flagged_dev = dev.select(flag).to_series().to_numpy()
    out = queue.with_columns(flag.alias("flagged"))
    summary: dict[str, Any] = {
        "dev_items": int(dev.height), "dev_wrong": int(wrong.sum()), "threshold": t, "rule": rule,
        "flagged": _rate(int(wrong[flagged_dev].sum()), int(flagged_dev.sum())),
        "signals": signals, "best_signal_precision": best if usable else None,
        "flagged_share": float(out["flagged"].mean()) if out.height else 0.0,
    }
    summary["suggestion"] = _suggestion(dev.filter(pl.Series(flagged_dev)))
    s = summary["suggestion"]["threshold"]
    show = (pl.col("p_suggested") >= s).fill_null(False) if s is not None and "p_suggested" in out.columns \
        else pl.lit(False)
    out = out.with_columns((show & (pl.col("suggested_label") != pl.col("given_label"))).alias("show_suggestion"))
    return out, summary


def _better_signal(signals: dict[str, dict], wrong: np.ndarray, hits: int, n: int) -> str | None:
    """The signal whose own flag, over at least :data:`MIN_FLAGGED` gold dev items and above chance,
    is more precise on gold dev than the chosen flag (``hits`` wrong of ``n`` flagged); None if none.
    On the demo the merged priority's most precise threshold had 4 of 5 wrong, cleanlab's flag 11 of 11."""
    base, precision = wrong.mean() if len(wrong) else 0.0, hits / n if n else 0.0
    better = {name: r for name, r in signals.items() if r["n"] >= MIN_FLAGGED and r["precision"] > precision
              and r["ci"][0] > base}
    return max(better, key=lambda name: (better[name]["precision"], better[name]["n"])) if better else None


def _suggestion(flagged: pl.DataFrame) -> dict[str, Any]:
    """How often the suggestion and the given label were right on flagged gold dev items that
    carry a different suggestion, and the level above which the suggestion is shown."""
    other = flagged.filter(pl.col("suggested_label") != pl.col("given_label"))
    if "p_suggested" not in other.columns or other.height == 0:
        return {"threshold": None, "n": int(other.height), "suggestion_right": None, "given_right": None}
    s_right = (other["suggested_label"] == other["_gold"]).to_numpy()
    g_right = (other["given_label"] == other["_gold"]).to_numpy()
    p = other["p_suggested"].fill_null(0.0).to_numpy()
    t = suggestion_threshold(p, s_right.astype(int), g_right.astype(int))
    shown = p >= t if t is not None else np.zeros(len(p), dtype=bool)
    return {"threshold": t, "n": int(other.height),
            "suggestion_right": _rate(int(s_right.sum()), len(s_right)),
            "given_right": _rate(int(g_right.sum()), len(g_right)),
            "shown": {"suggestion_right": _rate(int(s_right[shown].sum()), int(shown.sum())),
                      "given_right": _rate(int(g_right[shown].sum()), int(shown.sum()))}}
