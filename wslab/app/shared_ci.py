"""One bootstrap per number: a score that appears in several places of ``metrics.json`` (the
evaluation rows, the pipeline candidates, the review rounds) carries the evaluation's CI everywhere.

The evaluation (:func:`wslab.quality.evaluate.evaluate`) bootstraps each label source on gold test
and dev once. The candidate table and the round table score the same predictions again with
their own bootstrap streams, which gave the same number three different CIs in the report and on
the console. Here a candidate (or the current round) whose predictions on a gold split are the
very predictions of an evaluation source takes that source's value and CI; every place that
shows the number (report, console) reads it from ``metrics.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["metric_of", "share_candidate_cis", "share_round_ci"]


def metric_of(report: Mapping[str, Any], metric: str) -> tuple[float, list[float] | None] | None:
    """(value, CI) of the selection ``metric`` (``accuracy``, ``macro_f1``, ``weighted_f1`` or
    ``f1:<class>``) in one evaluation row (:func:`wslab.core.stats.metrics.classification_report`)."""
    ci = report.get("ci") or {}
    if metric in ("accuracy", "macro_f1", "weighted_f1"):
        return report[metric], ci.get(metric)
    if metric.startswith("f1:") and metric[3:] in (report.get("per_class") or {}):
        lab = metric[3:]
        return report["per_class"][lab]["f1"], ((ci.get("per_class") or {}).get(lab) or {}).get("f1")
    return None


def _same_source(preds: np.ndarray, sources: Mapping[str, np.ndarray]) -> str | None:
    """The first evaluation source whose predicted classes are exactly ``preds``."""
    return next((name for name, p in sources.items() if p.shape == preds.shape and np.array_equal(p, preds)), None)


def share_candidate_cis(metrics: dict[str, Any], *, test: Mapping[str, np.ndarray], dev: Mapping[str, np.ndarray],
                        candidates_test: Mapping[str, np.ndarray], candidates_oof: Mapping[str, np.ndarray]) -> None:
    """In place: each candidate row's ``test`` and ``oof`` score takes the value and CI of the
    evaluation source (``metrics["test"|"dev"][source]``) with the same predicted classes.
    ``test``/``dev``: predicted classes of each evaluation source; ``candidates_*``: of each candidate."""
    block = metrics.get("candidates")
    if not block:
        return
    for row in block["rows"]:
        for key, split, sources, mine in (("test", "test", test, candidates_test), ("oof", "dev", dev, candidates_oof)):
            score, preds = row.get(key), mine.get(row["name"])
            if not score or preds is None:
                continue
            source = _same_source(preds, sources)
            found = metric_of(metrics[split][source], block["metric"]) if source else None
            if found is not None:
                score["value"], score["ci"] = found[0], found[1]
                score["source"] = f"{split}.{source}"


def share_round_ci(metrics: dict[str, Any], round_no: int | None, preds: np.ndarray | None,
                   final_preds: np.ndarray | None) -> None:
    """In place: the current review round's test scores take the evaluation's ``final`` row
    (value and CI) when the round's labels of gold test are the final labels' predictions."""
    final = (metrics.get("test") or {}).get("final")
    if round_no is None or preds is None or final_preds is None or not final or not np.array_equal(preds, final_preds):
        return
    for row in metrics.get("rounds") or []:
        if row.get("round") == round_no and row.get("test") and row["test"].get("n") == final["n"]:
            ci = final.get("ci") or {}
            row["test"] = {"n": final["n"], "accuracy": final["accuracy"], "macro_f1": final["macro_f1"],
                           "ci": {k: ci[k] for k in ("accuracy", "macro_f1")} if ci else None, "source": "test.final"}
