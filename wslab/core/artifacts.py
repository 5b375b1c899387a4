"""The data contracts: every file a run folder (``wslab apply``) or a review folder (``wslab
issues``) holds, and the schema of each. The pipeline writes through these names, the report and
the tests read through them, so a file means the same thing whoever wrote it.

| file | what it holds |
|---|---|
| ``label_matrix.parquet`` | ``id`` + one Int8 column per LF, ``-1`` = abstain (:data:`ABSTAIN`) |
| ``labels.parquet`` | ``id``, ``label``, ``confidence``, ``p_<class>``..., ``source``, ``gold_label`` (:func:`labels_schema`) |
| ``lf_analysis.csv`` | one row per LF: polarity, coverage, overlaps, conflicts, dev accuracy + CI, conflict cost/gain, flags |
| ``metrics.json`` | :class:`Metrics`: scores on gold test and dev per model |
| ``manifest.json`` | :class:`Manifest`: config hash, versions, timings, rows, LLM usage |
| ``queue.csv`` | the *flagged* items, ranked (:data:`QUEUE_COLUMNS`); the same in apply and issues |
| ``scores.parquet`` | every checked item with its signal scores (the queue before the flag filter) |
| ``cartography.parquet`` | ``id``, ``text``, ``given_label``, ``suggested_label``, confidence, variability, correctness, region |
| ``pred_probs.parquet`` | ``id`` + out-of-sample ``p_<class>`` of the cleanlab model |
| ``class_health.csv`` | one row per class: flagged share, most confused class, cleanlab's label noise and overlap (:data:`wslab.quality.health.CLASS_HEALTH_SCHEMA`) |
| ``label_studio.json`` / ``label_studio_config.xml`` | the queue as Label Studio tasks, and its labeling config |
| ``data_map.png`` / ``data_map.html`` | the cartography data map |
| ``agreement.json`` | the agreement report (annotations given) |
| ``report.html`` | the self-contained run report |
| ``spark.log`` | ``executor: spark`` in local mode: what the JVM logged (WARN and above) |

Ids are text everywhere (``pl.String``), exactly as the input wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import polars as pl

ABSTAIN = -1
"""The label-matrix value of an LF that did not vote (as Snorkel's)."""

LABEL_MATRIX = "label_matrix.parquet"
LABELS = "labels.parquet"
LF_ANALYSIS = "lf_analysis.csv"
METRICS = "metrics.json"
MANIFEST = "manifest.json"
REPORT = "report.html"
AGREEMENT = "agreement.json"
QUEUE = "queue.csv"
SCORES = "scores.parquet"
CARTOGRAPHY = "cartography.parquet"
PRED_PROBS = "pred_probs.parquet"
LABEL_STUDIO_TASKS = "label_studio.json"
LABEL_STUDIO_CONFIG = "label_studio_config.xml"
DATA_MAP_PNG = "data_map.png"
DATA_MAP_HTML = "data_map.html"
ANNOTATORS = "annotators.csv"
CLASS_HEALTH = "class_health.csv"
REVIEW_SUMMARY = "summary.json"
LF_DESCRIPTIONS_KEY = "wslab.lf_descriptions"  # parquet metadata of a precomputed label matrix: {LF: text}
SPARK_LOG = "spark.log"  # executor: spark in local mode: what the JVM logged (WARN and above)

REVIEW_FILES = (QUEUE, SCORES, CARTOGRAPHY, PRED_PROBS, LABEL_STUDIO_TASKS, LABEL_STUDIO_CONFIG,
                DATA_MAP_PNG, DATA_MAP_HTML, CLASS_HEALTH)
"""What the suspicious-labels stage writes, in ``apply``'s run folder and ``issues``' output alike."""

SIGNAL_SCORES = ("cleanlab_score", "cartography_score", "disagreement_score", "lf_conflict_score")

QUEUE_COLUMNS = ["rank", "id", "text", "given_label", "suggested_label", "show_suggestion", "priority", "flagged",
                 "reasons",
                 *SIGNAL_SCORES, "label_quality", "is_label_issue", "p_suggested", "confidence",
                 "variability", "correctness", "region", "disagreement", "lf_conflicts"]
"""The queue's columns in order; a queue holds those that apply (signals it had)."""

QUEUE_DTYPES = {"rank": pl.Int64, "id": pl.String, "text": pl.String, "given_label": pl.String,
                "suggested_label": pl.String, "show_suggestion": pl.Boolean, "priority": pl.Float64, "flagged": pl.Boolean, "reasons": pl.String,
                **{s: pl.Float64 for s in SIGNAL_SCORES}, "label_quality": pl.Float64, "is_label_issue": pl.Boolean,
                "p_suggested": pl.Float64, "confidence": pl.Float64, "variability": pl.Float64,
                "correctness": pl.Float64, "region": pl.String, "disagreement": pl.Float64, "lf_conflicts": pl.Int64}
"""The dtype of each queue column, for reading ``queue.csv`` back (an empty CSV carries no types)."""

LABEL_SOURCES = ("majority_vote", "label_model", "end_model", "prior", "expert")
"""Values of ``labels.parquet``'s ``source`` without pipeline selection: the label model that
labelled a covered document, or what filled an uncovered one; ``expert`` where an expert's answer
(a review round) sets the label. With selection, ``source`` is the chosen candidate's name
(``metrics.json`` ``candidates.chosen``), except that a vote-based candidate names its vote source
on covered documents and ``end_model`` or ``prior`` elsewhere."""


def labels_schema(labels: Sequence[str]) -> pl.Schema:
    """The schema of ``labels.parquet`` for the class names ``labels``. ``label`` is the
    pipeline's prediction for every document; ``gold_label`` the expert label where the gold
    set has one (dev or test; null elsewhere), so a user can train on gold where it exists.

    >>> list(labels_schema(["spam", "ham"]))
    ['id', 'label', 'confidence', 'p_spam', 'p_ham', 'source', 'gold_label']
    """
    return pl.Schema({"id": pl.String, "label": pl.String, "confidence": pl.Float64,
                      **{f"p_{lab}": pl.Float64 for lab in labels}, "source": pl.String, "gold_label": pl.String})


def tag_labels_schema(tags: Sequence[str]) -> pl.Schema:
    """The schema of ``labels.parquet`` in a multi-label project: ``tags`` (the tags that apply,
    in ``labels:`` order), then per tag its probability and the candidate that labelled it.

    >>> list(tag_labels_schema(["card", "tariff"]))
    ['id', 'tags', 'p_card', 'p_tariff', 'source_card', 'source_tariff']
    """
    return pl.Schema({"id": pl.String, "tags": pl.List(pl.String), **{f"p_{t}": pl.Float64 for t in tags},
                      **{f"source_{t}": pl.String for t in tags}})


def label_matrix_schema(lf_names: Sequence[str]) -> pl.Schema:
    """The schema of ``label_matrix.parquet``: ``id`` and one Int8 column per LF."""
    return pl.Schema({"id": pl.String, **{name: pl.Int8 for name in lf_names}})


def check_schema(df: pl.DataFrame, schema: pl.Schema, *, name: str) -> pl.DataFrame:
    """Return ``df`` if its columns and dtypes are exactly ``schema``'s, else raise ValueError.

    A contract check on what wslab itself writes: a failure is a bug in wslab, not bad input.
    """
    if df.schema != schema:
        raise ValueError(f"{name}: columns {dict(df.schema)} do not match the contract {dict(schema)}")
    return df


class EvaluationRow(TypedDict, total=False):
    """One model's scores on a gold split (:func:`wslab.core.stats.metrics.classification_report`)."""

    n: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    coverage: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    ci: dict[str, Any]


class Score(TypedDict):
    """One metric on one gold split: value, bootstrap 95% CI (None without bootstrap), standard
    error, number of items."""

    value: float
    ci: list[float] | None
    se: float
    n: int


class CandidateRow(TypedDict):
    """One whole pipeline (:mod:`wslab.labeling.candidates`): its out-of-fold score on gold dev
    (what selection reads) and its score on gold test (reported, never read by a choice)."""

    name: str
    kind: str
    uses_dev: bool
    eligible: bool
    oof: Score
    test: Score | None
    chosen: bool


class Candidates(TypedDict):
    """``metrics.json`` ``candidates``: pipeline selection on gold dev (:mod:`wslab.labeling.selection`)."""

    metric: str
    folds: int
    chosen: str
    pinned: bool
    rows: list[CandidateRow]
    learning_curve: list[dict[str, Any]]
    """gold only at a fraction of dev: ``{fraction, n_train, oof: Score, test: Score}``."""


class Metrics(TypedDict, total=False):
    """``metrics.json``. With pipeline selection, ``final`` is the chosen candidate, and the
    dev rows of ``end_model`` and ``final`` are out of fold."""

    labels: list[str]
    chosen: str | dict[str, str]
    """The pipeline that wrote labels.parquet: a candidate name (``candidates.chosen`` when
    selection ran; else the default pipeline, e.g. ``label_model(dev)+end_model``). In a
    multi-label run, per tag: ``{tag: candidate}``."""
    multilabel: bool
    """True in a multi-label run (``multilabel: true``): ``candidates`` is then ``{tag: table}`` and
    ``test`` holds ``final``, ``majority_vote``, ``gold_only`` as
    :func:`wslab.core.stats.multilabel.multilabel_metrics` rows."""
    notes: list[str]
    test: dict[str, EvaluationRow]
    dev: dict[str, EvaluationRow]
    gold: dict[str, int]
    candidates: Candidates | dict[str, Candidates]
    llm_baseline: dict[str, Any]
    """Per LLM baseline row (llm_zero_shot, llm_few_shot): model, documents, shots, reasoning,
    status and ``per_1k_docs`` (tokens_in, tokens_out, cost_usd, basis: measured | estimate)."""
    rounds: list[dict[str, Any]]
    """Every review round: its answers and its final labels' scores on the frozen gold test."""


class Manifest(TypedDict):
    """``manifest.json``."""

    config_hash: str
    config_path: str | None
    seed: int
    versions: dict[str, str]
    timings_s: dict[str, float]
    rows: dict[str, int]
    chosen: str | dict[str, str]
    """The pipeline that wrote labels.parquet (as ``metrics.json`` ``chosen``)."""
    llm: dict[str, Any]
    quality: dict[str, Any] | None
    texts: dict[str, Any]
    """``max_chars`` (corpus.max_text_chars), ``truncated`` (texts cut to it for features and
    prompts) and ``empty`` (texts with no characters but white space)."""
    files: dict[str, str]
    multilabel: NotRequired[bool]
    """True in a multi-label run."""
    tags: NotRequired[dict[str, dict[str, Any]]]
    """Multi-label runs: per tag its store key and ``computed`` (false: read back from the
    store, :mod:`wslab.app.tags`)."""
