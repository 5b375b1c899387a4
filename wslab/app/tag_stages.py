"""The stages of a multi-label run after the tags are decided: what a single-label ``apply`` does
after its labels, on tags (:func:`wslab.app.tags.run_tags` calls them in this order).

- :func:`expert_override`: the review loop's answers replace the answered documents' tags in
  labels.parquet (source ``expert``), as a single-label run's ``expert`` rows;
- :func:`suspicious_tags`: cleanlab's multi-label search + cartography per tag on the final tags
  (on gold dev each tag's out-of-fold value, :func:`checked_tags`) of the documents some LF voted
  on (:func:`wslab.app.suspicious_tags.find_suspicious_tags`), LF conflicts and annotator
  disagreement as signals, reviewed documents out of the queue, the flag calibrated on gold dev
  (never test);
- :func:`tag_round` and :func:`tag_rounds`: this run's final tags on gold test as the current review
  round, every round scored per tag on the frozen test;
- :func:`tag_agreement`: the annotations per tag and on tag sets (MASI), each LF a rater of its
  tag, against gold (:func:`wslab.quality.agreement_tags.tag_agreement_report`).

The OOF probabilities of the suspicious-label stage are fitted here (``folds``-fold, on the run's
shared hashed text features): a tag's binary run has out-of-fold probabilities for gold dev only
(used there as the checked tags, :func:`checked_tags`), and its probabilities elsewhere are what the
final tags were read from (not out of sample).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from wslab.app.project import Project
from wslab.app.review_loop import drop_reviewed, record_round, round_table
from wslab.app.suspicion_result import SuspicionResult
from wslab.core import artifacts as A
from wslab.core import io
from wslab.core.config import Config
from wslab.core.data import TAG_SEPARATOR, TagGold, tag_matrix
from wslab.core.progress import Reporter

__all__ = ["expert_override", "checked_tags", "suspicious_tags", "tag_round", "tag_rounds", "tag_agreement",
           "lf_conflict_counts"]

LFVotes = dict[str, tuple[list[str], np.ndarray]]
"""Per tag: (its LF names, (n, m) votes: 1 = the tag applies, 0 = it does not, -1 = abstain)."""


def _cells(matrix: np.ndarray, tags: list[str]) -> list[str]:
    names = np.asarray(tags, dtype=object)
    return [TAG_SEPARATOR.join(names[np.asarray(row, dtype=bool)]) for row in matrix]


def expert_override(project: Project, applies: np.ndarray, p: np.ndarray,
                    source: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(applies, p, source) (each (n, tags)) with the expert's tags at the answered documents
    (probability 1 or 0, source ``expert``); unchanged without answers."""
    ex = project.expert_positions()
    if ex is None:
        return applies, p, source
    pos, y = ex
    applies, p, source = applies.copy(), p.copy(), source.copy()
    applies[pos] = y.astype(bool)
    p[pos] = y.astype(np.float64)
    source[pos] = "expert"
    return applies, p, source


def lf_conflict_counts(applies: np.ndarray, votes: LFVotes, tags: list[str]) -> np.ndarray:
    """Per document, how many LF votes disagree with its final tags (abstains do not count): an
    LF for a tag the document lacks, an LF against a tag it has.

    >>> lf_conflict_counts(np.array([[1], [0]], bool), {"a": (["x", "y"], np.array([[1, 0], [1, -1]]))}, ["a"]).tolist()
    [1, 1]
    """
    out = np.zeros(len(applies), dtype=np.int64)
    for j, tag in enumerate(tags):
        _, v = votes[tag]
        if v.shape[1]:
            out += ((v != A.ABSTAIN) & (v != applies[:, j, None].astype(v.dtype))).sum(axis=1)
    return out


def _annotator_disagreement(project: Project) -> pl.DataFrame | None:
    """1 - share of the most common tag set among each document's annotators (tag cells compared
    as sets: ``a;b`` and ``b;a`` agree)."""
    from wslab.quality.signals import annotator_disagreement

    ann = project.annotations
    if ann is None:
        return None
    listed = isinstance(ann.schema["label"], pl.List)
    cells = ann["label"].cast(pl.List(pl.String) if listed else pl.String)
    matrix = tag_matrix(cells.to_list(), project.labels, where=str(project.cfg.resolve(project.cfg.annotations)))
    return annotator_disagreement(pl.DataFrame({"id": ann["id"].cast(pl.String),
                                                "label": _cells(matrix, project.labels)}))


def checked_tags(project: Project, applies: np.ndarray,
                 dev_oof: dict[str, list[int] | None]) -> tuple[np.ndarray, str]:
    """The tags each document's suspicion is scored on, and what gold dev was checked with: the
    delivered tags ``applies`` (n, tags), except on gold dev, where a tag whose run chose on dev
    gives its chosen candidate's out-of-fold value (``dev_oof[tag]``, gold.dev_ids order), as a
    single-label run (:func:`wslab.app.pipeline.checked_labels`: a candidate trained on gold dev
    labels its own training items nearly right, and the queue's calibration would see almost no
    wrong tag). Gold test is not touched."""
    dev_pos = project.gold_positions("dev")
    oof = {t: v for t, v in dev_oof.items() if v is not None}
    if dev_pos is None or not oof:
        return applies, "delivered"
    given = applies.copy()
    for j, tag in enumerate(project.labels):
        if tag in oof:
            given[dev_pos, j] = np.asarray(oof[tag], dtype=bool)
    return given, "out of fold (each tag's chosen candidate)"


def suspicious_tags(project: Project, applies: np.ndarray, votes: LFVotes, features: Any, *,
                    given_on_dev: str = "delivered", reporter: Reporter | None = None) -> SuspicionResult | None:
    """The suspicious-label stage on the tags ``applies`` (n, tags; :func:`checked_tags`) of the
    documents some LF voted on (at most ``suspicious.max_items``, sampled); None with
    ``suspicious.enabled: false``. ``features``: the run's shared text features (a callable of
    corpus positions), or None (then TF-IDF of the checked texts); ``given_on_dev``: what gold dev
    was checked with, for the calibration's summary."""
    from wslab.app.suspicious_tags import find_suspicious_tags

    cfg, corpus, tags = project.cfg, project.corpus, project.labels
    q = cfg.suspicious
    if not q.enabled:
        return None
    covered = np.zeros(len(corpus), dtype=bool)
    for _, v in votes.values():
        covered |= (v != A.ABSTAIN).any(axis=1)
    rows = np.flatnonzero(covered)
    if len(rows) > q.max_items:
        rows = np.sort(np.random.default_rng(cfg.seed).choice(rows, q.max_items, replace=False))
    ids = corpus.ids.cast(pl.String).gather(rows)
    extra = pl.DataFrame({"id": ids, "lf_conflicts": lf_conflict_counts(applies[rows], {
        t: (n, v[rows]) for t, (n, v) in votes.items()}, tags)})
    disagreement = _annotator_disagreement(project)
    if disagreement is not None:
        extra = extra.join(disagreement, on="id", how="left")
    result = find_suspicious_tags(ids, corpus.texts_at(rows), applies[rows].astype(np.uint8), None, tags,
                                  X=features(rows) if features is not None else None, folds=q.folds,
                                  epochs=q.epochs, seed=cfg.seed, extra_signals=extra, source="aggregated tags",
                                  reporter=reporter)
    result.summary.update(checked=len(rows))
    result = replace(result, queue=drop_reviewed(result.queue, project.expert))  # reviewed: out of the queue
    return _calibrated(result, project, given_on_dev)


def _calibrated(result: SuspicionResult, project: Project, given_on_dev: str) -> SuspicionResult:
    """The queue's flag chosen on gold dev's tag sets (never test; an item is wrong when its
    given tag set differs from gold's), as :func:`wslab.app.pipeline.calibrated`."""
    from wslab.quality.queue_calibration import calibrate_queue

    gold = project.gold
    if not isinstance(gold, TagGold) or not gold.is_dev.any():
        return result
    truth = pl.DataFrame({"id": gold.dev_ids.cast(pl.String), "label": _cells(gold.y_dev, project.labels)})
    queue, summary = calibrate_queue(result.queue, truth, project.labels)
    summary = {"given_on_dev": given_on_dev, **summary}
    return replace(result, queue=queue, summary={**result.summary, "flagged": int(queue["flagged"].sum()),
                                                 "queue_calibration": summary})


def tag_round(project: Project, test_preds: np.ndarray) -> pl.DataFrame | None:
    """This run's final tags of gold test ((n_test, tags) 0/1, gold.test_ids order) as the current
    review round (:func:`wslab.app.review_loop.record_round`); None without gold."""
    gold = project.gold
    if gold is None:
        return None
    return record_round(gold.test_ids, _cells(test_preds, project.labels),
                        project.expert.rounds if project.expert else 0)


def tag_rounds(project: Project, current: pl.DataFrame | None, final: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every round scored per tag on the frozen test (:func:`round_table`), this run's round
    ``current`` in place; the current round's headline CIs are the evaluation's (``final``:
    metrics.json ``test.final``) where it scored the same numbers (one CI per number)."""
    cfg = project.cfg
    if project.gold is None:
        return []
    table = round_table(cfg, project.gold, current=current, n_boot=cfg.evaluation.bootstrap, seed=cfg.seed)
    if current is None or not current.height or not final:
        return table
    rnd = int(current["round"][0])
    for row in table:
        test = row.get("test")
        if row["round"] != rnd or not test or not test.get("ci") or test["n"] != final.get("n"):
            continue
        for key in ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"):
            if key in final.get("ci", {}) and abs(test[key] - final[key]) < 1e-12:
                test["ci"][key] = final["ci"][key]
    return table


def tag_agreement(project: Project, votes: LFVotes) -> dict[str, Any] | None:
    """agreement.json of a multi-label run: the annotations per tag and on tag sets (MASI), each LF
    a rater of its tag (on the annotated and gold documents), annotators and LFs against gold.
    None without annotations (as a single-label run)."""
    from wslab.quality.agreement_tags import lf_tag_raters, tag_agreement_report, tag_frame

    cfg, ann, gold, corpus = project.cfg, project.annotations, project.gold, project.corpus
    if ann is None:
        return None
    ann_ids = ann["id"].cast(pl.String).unique(maintain_order=True)
    rows = np.unique(corpus.positions(ann_ids.filter(ann_ids.is_in(corpus.ids.cast(pl.String).implode()))))
    gold_tags = None
    if isinstance(gold, TagGold):
        gold_tags = tag_frame(gold.ids, gold.tag_matrix, project.labels).filter(pl.col("id").is_in(ann_ids.implode()))
    ids = corpus.ids.cast(pl.String).gather(rows).to_list()
    lf_votes = {name: (tag, v[rows, k]) for tag, (names, v) in votes.items() for k, name in enumerate(names)}
    names = {"ratings": str(cfg.resolve(cfg.annotations)),
             "gold": str(cfg.resolve(cfg.gold.path)) if cfg.gold else "gold"}
    return tag_agreement_report(ann, gold_tags, tags=project.labels, tag_raters=lf_tag_raters(ids, lf_votes),
                                raters=llm_tag_raters(cfg), seed=cfg.seed, n_boot=cfg.evaluation.bootstrap,
                                names=names)


def llm_tag_raters(cfg: Config) -> dict[str, pl.DataFrame] | None:
    """The ``llm_labels`` file's raters ``{"llm:<annotator>": frame(id, label tag cell)}`` (checked
    by :func:`wslab.app.tag_sources.load_tag_llm_labels` when the project opened); None without."""
    if cfg.llm_labels is None:
        return None
    path = cfg.resolve(cfg.llm_labels)
    frame = io.read_table(path, required=["id", "label"], what="llm_labels")
    who = frame["annotator"].cast(pl.String) if "annotator" in frame.columns else pl.Series([path.stem] * frame.height)
    frame = frame.with_columns(who.alias("annotator"))
    return {f"llm:{w}": frame.filter(pl.col("annotator") == w).select("id", "label")
            for w in frame["annotator"].unique(maintain_order=True).to_list()}
