"""Optional stages of ``wslab apply`` that hang on the spine: suspicious labels and agreement.

Each returns data (frames, dicts, bytes) and leaves writing to the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from wslab.labeling.spec import ABSTAIN
from wslab.progress import Reporter


@dataclass
class QualityOutputs:
    queue: pl.DataFrame
    cartography: pl.DataFrame
    label_studio: list[dict]
    data_map_png: bytes
    data_map_html: str
    summary: dict[str, Any]


def lf_conflicts(L: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Per row, how many LF votes disagree with the given label (abstains do not count)."""
    return ((L != ABSTAIN) & (L != given[:, None])).sum(axis=1)


def annotator_disagreement(annotations: pl.DataFrame) -> pl.DataFrame:
    """Per id: 1 - share of the most common label among its annotators (ids with >= 2 ratings)."""
    counts = annotations.group_by(["id", "label"]).len()
    per_id = counts.group_by("id").agg(pl.col("len").sum().alias("n"), pl.col("len").max().alias("top"))
    return per_id.filter(pl.col("n") >= 2).select(
        pl.col("id"), (1 - pl.col("top") / pl.col("n")).alias("disagreement"))


def suspicious_labels_stage(ids: pl.Series, fetch_texts: Callable[[pl.Series], list[str]], labels: list[str],
                            given: np.ndarray,
                            covered: np.ndarray, L: np.ndarray, *, folds: int, epochs: int, max_items: int,
                            seed: int, annotations: pl.DataFrame | None = None,
                            reporter: Reporter | None = None) -> QualityOutputs:
    """cleanlab + cartography on the aggregated labels of covered documents, one ranked queue.

    Only documents an LF voted on are checked: the end model's own labels on uncovered
    documents would be judged by a model of the same kind. At most ``max_items`` (sampled);
    ``fetch_texts(ids)`` returns the texts of the checked ids only, in that order.
    """
    from wslab.cartography.plots import data_map_html, data_map_png
    from wslab.quality.queue import to_label_studio_tasks
    from wslab.quality.suspicious import find_suspicious_labels

    rows = np.flatnonzero(covered)
    if len(rows) > max_items:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_items, replace=False))
    names = np.asarray(labels, dtype=object)
    checked_ids = ids.gather(rows)
    df = pl.DataFrame({"id": checked_ids, "text": fetch_texts(checked_ids),
                       "label": names[given[rows]].tolist()})
    extra = pl.DataFrame({"id": df["id"], "lf_conflicts": lf_conflicts(L[rows], given[rows])})
    if annotations is not None:
        dis = annotator_disagreement(annotations.with_columns(pl.col("id").cast(ids.dtype)))
        extra = extra.join(dis, on="id", how="left")
    result = find_suspicious_labels(df, id_col="id", text_col="text", label_col="label", labels=labels,
                                    seed=seed, folds=folds, epochs=epochs, extra_signals=extra,
                                    source="aggregated labels", reporter=reporter)
    summary = {**result.summary, "checked": int(df.height), "flagged": int(result.queue["flagged"].sum())}
    return QualityOutputs(
        queue=result.queue,
        cartography=result.cartography,
        label_studio=to_label_studio_tasks(result.queue.filter(pl.col("flagged"))),
        data_map_png=data_map_png(result.cartography, title="Data map of the aggregated labels"),
        data_map_html=data_map_html(result.cartography, title="Data map of the aggregated labels"),
        summary=summary,
    )


def agreement_stage(annotations: pl.DataFrame, gold: pl.DataFrame | None, *, labels: list[str], seed: int,
                    annotations_name: str, gold_name: str) -> dict[str, Any]:
    """The agreement report (see :func:`wslab.quality.agreement_report.agreement_report`)."""
    from wslab.quality.agreement_report import agreement_report

    return agreement_report(annotations, gold, categories=labels, seed=seed,
                            names={"ratings": annotations_name, "gold": gold_name})
