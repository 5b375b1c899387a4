"""``wslab apply``: LFs -> label matrix -> label models -> end model -> evaluation on gold.

The orchestrator, :func:`run_apply`, is a short list of named steps. Each step is a library
function of a stage package (``wslab.labeling``, ``wslab.quality``, ``wslab.app.suspicious``) that takes
frames, arrays and keyword options; this module is the only place that maps the config to
those arguments. Every file goes into the run folder under its name in
:mod:`wslab.core.artifacts`, staged and moved in only when every step succeeded.

Evaluation convention: majority vote and the label model are scored on *every* gold test item;
an item no LF covers gets the class prior's most frequent class (as WRENCH scores label models),
and ``coverage`` says how many items had a vote. ``final`` is what labels.parquet holds: the
chosen pipeline (one name, ``chosen``, in metrics.json, the manifest, the report and
labels.parquet's ``source``): the one pipeline selection chose on gold dev, or without gold dev
(or with selection off) the default pipeline of :func:`wslab.labeling.aggregate.default_pipeline`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from wslab.core import artifacts as A
from wslab.core import io, rundir
from wslab.core.config import Config
from wslab.core.errors import ConfigError
from wslab.labeling.aggregate import (LabelModels, class_prior, default_pipeline,
                                      final_probs, fit_label_models, source_names)
from wslab.labeling.analysis import compare_precomputed, explain_lfs, lf_summary
from wslab.labeling.apply import label_matrix, precomputed_descriptions, votes_array
from wslab.labeling.candidates import Inputs, TextFeatures
from wslab.labeling.span_features import SpanFeatures
from wslab.labeling.end_model import end_model_probs
from wslab.labeling.label_model import LabelModelFits
from wslab.labeling.patterns import vote_patterns
from wslab.app.review_loop import (ProjectStores, drop_reviewed, freeze_split, record_round, round_table,
                                   write_project_stores)
from wslab.labeling.selection import Selection, metric_score, parse_metric, select_pipeline
from wslab.app.llm_source import llm_source_costs, llm_votes
from wslab.core.progress import Reporter, get_reporter, stage_done
from wslab.app.project import Project, label_model_grid, open_project
from wslab.quality.evaluate import evaluate
from wslab.app.shared_ci import share_candidate_cis, share_round_ci
from wslab.core.stats.ties import probs_to_preds

if TYPE_CHECKING:
    from wslab.app.suspicious import SuspicionResult


PACKAGES = ["wslab", "snorkel", "cleanlab", "scikit-learn", "polars", "numpy", "torch", "openai"]


@dataclass
class RunResult:
    """What ``run_apply`` returns: the values the run wrote, so a caller (the gates, a notebook)
    reads no file back."""

    run_dir: Path
    metrics: A.Metrics
    lf_table: pl.DataFrame
    manifest: A.Manifest
    chosen: str | dict[str, str]
    """The pipeline that wrote labels.parquet (a candidate name, as in metrics.json and the manifest;
    in a multi-label run, ``{tag: candidate}``)."""
    files: dict[str, Path] = field(default_factory=dict)
    agreement: dict[str, Any] | None = None
    """agreement.json's report (annotations given), else None."""
    stores: ProjectStores = field(default_factory=ProjectStores)
    """What the run added to the project's split and rounds files (written after it succeeded)."""


@dataclass
class _Run:
    """What one run accumulates: where files go, the timings, the LLM spend."""

    dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    llm: dict[str, Any] = field(default_factory=lambda: {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0})
    llm_answers: dict[str, pl.DataFrame] = field(default_factory=dict)  # the LLM baseline's labels, per row
    final_test: np.ndarray | None = None  # the final labels' classes on gold test, as the evaluation scored them
    reporter: Reporter | None = None

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Record the wall time of the block under ``name`` (also when it raises); tell the
        reporter when it ended (off a terminal, ``apply_lfs done in 3.2 s``)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)
        stage_done(self.reporter, name, self.timings[name])

    def write(self, key: str, name: str, obj: Any) -> None:
        path = self.dir / name
        if isinstance(obj, pl.DataFrame):
            self.files[key] = io.write_table(path, obj)
        elif isinstance(obj, bytes):
            self.files[key] = io.write_bytes(path, obj)
        elif isinstance(obj, str):
            self.files[key] = io.write_text(path, obj)
        else:
            self.files[key] = io.write_json(path, obj)

    def write_review(self, result: SuspicionResult, labels: list[str]) -> None:
        """The suspicious-label files (queue, scores, data map, ...) of ``result``."""
        from wslab.app.suspicious import write_review

        self.files.update(write_review(result, self.dir, labels=labels, title="Data map of the aggregated labels"))


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def run_apply(cfg: Config, *, reporter: Reporter | None = None) -> RunResult:
    """Run the whole pipeline for a validated config; return metrics and where files went.

    Artefacts are staged; the staging folder replaces the run folder only when every step
    succeeded (see :mod:`wslab.core.rundir`: checks, one run per folder, paid work kept).
    """
    run_dir = cfg.resolve(cfg.output.dir)
    rundir.check_run_folder(cfg)  # the output folder first, then the review stores outside it
    with rundir.run_folder(run_dir, inputs=rundir.project_inputs(cfg)) as staging:
        result = _run_apply(cfg, _Run(staging, reporter=reporter), reporter=reporter)
        write_project_stores(cfg, result.stores)  # every stage succeeded; the run folder's lock is held
    result.files = {k: run_dir / v.name for k, v in result.files.items()}
    result.run_dir = run_dir
    return result


def _run_apply(cfg: Config, run: _Run, *, reporter: Reporter | None) -> RunResult:
    with run.stage("validate"):  # every input, before any expensive (or paid) work
        project = open_project(cfg)
        split = freeze_split(project.gold_file)  # the gold test split is fixed at the first run
    if cfg.multilabel:  # one binary run (binary_run) per tag, each stored by a key of its inputs
        from wslab.app.tags import run_tags

        out = run_tags(project, run, binary_run=binary_run, shared_features=shared_features,
                       versions=package_versions(), reporter=reporter)
        return RunResult(run_dir=run.dir, metrics=out.metrics, lf_table=out.lf_table, manifest=out.manifest,
                         chosen=out.chosen, files=run.files, agreement=out.agreement,
                         stores=ProjectStores(split=split, round=out.round))
    with run.stage("apply_lfs"):
        lf_names, L = label_votes(project, run, reporter=reporter)
    lf_table = analyze(project, lf_names, L)
    with run.stage("label_models"):  # the vote patterns of L grouped once; every label-model fit shared
        fits = LabelModelFits(vote_patterns(L), len(project.labels), seed=cfg.seed)
        models = aggregate(project, fits, reporter=reporter)
    lf_table = explain_lfs(lf_table, L, learned_accuracy=_learned(models),
                           accuracy_floor=cfg.lfs.accuracy_floor)
    run.write("lf_analysis", A.LF_ANALYSIS, lf_table)
    with run.stage("selection"):
        selection = choose_pipeline(project, L, models.covered, fits, lf_names=lf_names, llm_usage=run.llm,
                                    reporter=reporter)
    with run.stage("end_model"):
        chosen, fill, probs, source = final_labels(project, models, selection, reporter=reporter)
    run.write("labels", A.LABELS, labels_frame(project.corpus.ids, probs, source, project.labels,
                                               expert=project.expert_positions(), gold_label=gold_labels(project)))
    with run.stage("quality"):
        suspicious = find_suspicious(project, probs, models.covered, L, selection=selection, reporter=reporter)
    if suspicious is not None:
        run.write_review(suspicious, project.labels)
    quality = suspicious.summary if suspicious is not None else None
    with run.stage("evaluation"):
        metrics = evaluation(project, models, fill, probs, run, chosen=chosen, selection=selection, reporter=reporter)
        this_round = review_round(project, probs)
        metrics["rounds"] = review_rounds(project, this_round)
        if this_round is not None:  # one CI per number: the current round's scores are the evaluation's
            share_round_ci(metrics, int(this_round["round"][0]) if this_round.height else None,
                           this_round["label"].replace_strict({lab: k for k, lab in enumerate(project.labels)},
                                                              return_dtype=pl.Int64).to_numpy(), run.final_test)
    with run.stage("agreement"):  # after the evaluation: the LLM baseline's answers join as raters
        agreement_report = agreement(project, run)
    if agreement_report is not None:
        run.write("agreement", A.AGREEMENT, agreement_report)
    run.write("metrics", A.METRICS, metrics)
    manifest = build_manifest(project, run, L, models, quality, chosen=chosen)
    run.write("manifest", A.MANIFEST, manifest)
    from wslab.app.report import build_report

    run.write("report", A.REPORT, build_report(run.dir))
    return RunResult(run_dir=run.dir, metrics=metrics, lf_table=lf_table, manifest=manifest,
                     chosen=chosen, files=run.files, agreement=agreement_report,
                     stores=ProjectStores(split=split, round=this_round))


# ------------------------------------------------------------------ the steps (config -> arguments)


def build_label_matrix(project: Project, run: _Run | None = None, *, reporter: Reporter | None = None) -> pl.DataFrame:
    """The label matrix of the project's LFs (prompt LFs' tokens and cost added to ``run.llm``)."""
    cfg = project.cfg

    def prompt_votes(docs: pl.DataFrame, specs: list) -> np.ndarray:
        from wslab.labeling.prompt_lf import run_prompt_lfs

        votes, usage = run_prompt_lfs(cfg, docs, specs, reporter=reporter)
        if run is not None:
            run.llm.update(usage)
        return votes

    matrix = label_matrix(project.corpus, project.plan, python_paths=[cfg.base_dir, *map(cfg.resolve, cfg.lfs.python_paths)],
                          workers=cfg.lfs.workers, spark_master=cfg.lfs.spark_master, spark_output=cfg.lfs.spark_output,
                          prompt_votes=prompt_votes, precomputed=project.precomputed, reporter=reporter)
    if project.plan.executor == "spark" and run is not None:  # the JVM's log (WARN and above) beside the run
        from wslab.labeling.spark_session import spark_log_file

        log = spark_log_file()
        if log is not None and log.is_file():
            run.write("spark_log", A.SPARK_LOG, log.read_text(encoding="utf-8", errors="replace"))
    return matrix


def label_votes(project: Project, run: _Run, *, reporter: Reporter | None = None) -> tuple[list[str], np.ndarray]:
    """(LF names, (n, m) int8 votes); label_matrix.parquet written. The frame (ids and votes) is
    not kept: at 10M documents it is half a gigabyte that no later step reads."""
    matrix = build_label_matrix(project, run, reporter=reporter)
    run.write("label_matrix", A.LABEL_MATRIX, matrix)
    return matrix.columns[1:], votes_array(matrix)


def _learned(models: LabelModels) -> np.ndarray | None:
    """The label model's learned LF accuracies, when it was fitted."""
    return models.label_model.lf_accuracies if models.label_model is not None else None


def analyze(project: Project, lf_names: list[str], L: np.ndarray) -> pl.DataFrame:
    """Per-LF coverage, overlaps, conflicts and gold-dev accuracy (lf_analysis.csv); with stored
    votes for LFs the specs define, their agreement with the specs' votes."""
    dev_pos = project.gold_positions("dev")
    table = lf_summary(L, lf_names, project.labels, L_dev=L[dev_pos] if dev_pos is not None else None,
                       y_dev=project.gold.y_dev if project.gold is not None else None)
    table = table.with_columns(description=pl.Series([lf_descriptions(project).get(n) for n in lf_names],
                                                     dtype=pl.String))
    if project.stored_votes is None:
        return table
    gold_rows = None if dev_pos is None else np.concatenate([dev_pos, project.gold_positions("test")])
    return compare_precomputed(table, L, project.stored_votes, gold_rows=gold_rows)


def lf_descriptions(project: Project) -> dict[str, str]:
    """What each LF is, in words: its spec's ``description``, else the precomputed label matrix's
    description of it (:func:`wslab.labeling.apply.precomputed_descriptions`)."""
    pre = project.cfg.lfs.precomputed
    out = precomputed_descriptions(project.cfg.resolve(pre)) if pre is not None else {}
    return {**out, **{s.name: s.description for s in project.specs if s.description}}


def _balance(project: Project) -> str:
    """The label model's class balance: ``dev`` (gold dev's class frequencies) or ``uniform``."""
    return "dev" if project.gold is not None and project.cfg.label_model.class_balance == "gold_dev" else "uniform"


def _prior(project: Project) -> np.ndarray:
    y_dev = project.gold.y_dev if _balance(project) == "dev" else None
    return class_prior(y_dev, len(project.labels))


def _label_model_settings(project: Project) -> dict[str, Any]:
    lm = project.cfg.label_model
    return dict(n_epochs=lm.n_epochs, lr=lm.lr, l2=lm.l2, restarts=lm.restarts)


def aggregate(project: Project, fits: LabelModelFits, *, reporter: Reporter | None = None) -> LabelModels:
    """Majority vote and the label model (its restart chosen on gold dev by the selection metric)."""
    try:
        score = metric_score(parse_metric(project.cfg.selection.metric, project.labels), len(project.labels))
        return fit_label_models(fits, len(project.labels), prior=_prior(project), dev_pos=project.gold_positions("dev"),
                                y_dev=project.gold.y_dev if project.gold is not None else None, score=score,
                                **_label_model_settings(project), seed=project.cfg.seed, reporter=reporter)
    except ConfigError as exc:  # the stage names the key; the pipeline adds the file
        raise ConfigError(f"{project.cfg.config_path}: {exc}") from None


def final_labels(project: Project, models: LabelModels, selection: Selection | None, *,
                 reporter: Reporter | None = None) -> tuple[str, np.ndarray | None, np.ndarray, np.ndarray]:
    """(chosen pipeline, end-model fill or None, probs, source) of every document: the candidate
    selection chose, or without selection the default pipeline (:func:`default_pipeline`)."""
    if selection is not None:
        covered = models.covered if selection.covered is None else selection.covered
        probs, source = selected_labels(selection, covered, reporter=reporter)
        if selection.kinds[selection.chosen] == "llm":  # the LLM's label where it answered, the prior elsewhere
            source = source_names(covered, selection.chosen, "prior")
        return selection.chosen, None, probs, source
    chosen = default_pipeline(models, balance=_balance(project), end_model=project.cfg.end_model.enabled)
    fill = fill_uncovered(project, models, reporter=reporter)
    return (chosen, fill, *final_probs(models.default, fill, name=chosen.removesuffix("+end_model")))


def fill_uncovered(project: Project, models: LabelModels, *, reporter: Reporter | None = None) -> np.ndarray | None:
    """The end model's probabilities for uncovered and gold rows (None when it is off)."""
    em, corpus, chosen = project.cfg.end_model, project.corpus, models.default
    if not em.enabled:
        return None
    needed = ~chosen.covered
    for pos in (project.gold_positions("dev"), project.gold_positions("test")):
        if pos is not None:
            needed[pos] = True
    y, confidence, covered = _with_expert(project, chosen.predict(fill_uncovered=True), chosen.confidence, chosen.covered)
    return end_model_probs(corpus.texts_at, y, confidence, covered, needed=needed,
                           prior=_prior(project), min_confidence=em.min_confidence, max_train=em.max_train, C=em.C,
                           max_features=em.max_features, seed=project.cfg.seed, predict=text_predictor(project),
                           reporter=reporter)


def text_predictor(project: Project):
    """How fitted text models score documents: with ``executor: spark`` on Spark, the model
    broadcast (:class:`wslab.labeling.spark_predict.SparkPredictor`), else None (this machine's cores)."""
    if project.plan.executor != "spark":
        return None
    from wslab.labeling.spark_predict import SparkPredictor

    return SparkPredictor(project.cfg.lfs.spark_master)


def _with_expert(project: Project, y: np.ndarray, confidence: np.ndarray,
                 covered: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weak labels with the expert's answers in their place (confidence 1), for training; answers
    for gold test documents are left out (test only reports)."""
    ex = project.expert_positions()
    if ex is None:
        return y, confidence, covered
    pos, ey = ex
    keep = ~np.isin(pos, project.gold_positions("test"))
    y, confidence, covered = y.copy(), confidence.copy(), covered.copy()
    y[pos[keep]], confidence[pos[keep]], covered[pos[keep]] = ey[keep], 1.0, True
    return y, confidence, covered


def training_sample(project: Project, covered: np.ndarray) -> np.ndarray:
    """The covered, non-gold corpus positions the candidate end models train on (seeded sample)."""
    free = covered.copy()
    free[project.gold_positions("dev")], free[project.gold_positions("test")] = False, False
    pool = np.flatnonzero(free)  # covered, not gold (a mask: setdiff1d sorted 10M positions, 30 s)
    return np.sort(np.random.default_rng(project.cfg.seed).choice(pool, min(len(pool), project.cfg.selection.max_train),
                                                                  replace=False))


def shared_features(project: Project, covered: np.ndarray) -> TextFeatures:
    """The text features of the training sample (:func:`training_sample`), gold dev and gold test:
    computed once per run, shared by every candidate (and, multi-label, by every tag)."""
    em, sample = project.cfg.end_model, training_sample(project, covered)
    corpus, where = project.corpus, project.spans
    texts = corpus.texts_at if where is None else (lambda pos: where.plain(corpus.texts_at(pos)))  # marks left out
    return TextFeatures(texts, np.concatenate([sample, project.gold_positions("dev"), project.gold_positions("test")]),
                        max_features=min(em.max_features, project.cfg.selection.max_features),
                        predict=text_predictor(project))


def span_features(project: Project, covered: np.ndarray) -> SpanFeatures | None:
    """The span-aware region features (``corpus.spans``) of the rows :func:`shared_features`
    holds; None without spans."""
    corpus, where = project.corpus, project.spans
    if where is None:
        return None
    rows = np.concatenate([training_sample(project, covered), project.gold_positions("dev"),
                           project.gold_positions("test")])
    return SpanFeatures(lambda pos: where.regions(corpus.texts_at(pos), pos), rows,
                        max_features=min(project.cfg.end_model.max_features, project.cfg.selection.max_features))


@dataclass
class BinaryRun:
    """One tag's run in a multi-label project: the single-label steps on its binary votes."""

    models: LabelModels
    selection: Selection | None
    chosen: str
    probs: np.ndarray
    source: np.ndarray


def binary_run(project: Project, L: np.ndarray, lf_names: list[str], *, features: TextFeatures | None = None,
               reporter: Reporter | None = None) -> BinaryRun:
    """The label-model, selection and final-label steps of ``apply`` on ``project`` (two classes,
    its votes ``L``), with ``features`` shared across runs (:func:`shared_features`)."""
    fits = LabelModelFits(vote_patterns(L), len(project.labels), seed=project.cfg.seed)
    models = aggregate(project, fits, reporter=reporter)
    selection = choose_pipeline(project, L, models.covered, fits, lf_names=lf_names, features=features,
                                reporter=reporter)
    chosen, _fill, probs, source = final_labels(project, models, selection, reporter=reporter)
    return BinaryRun(models=models, selection=selection, chosen=chosen, probs=probs, source=source)


def choose_pipeline(project: Project, L: np.ndarray, covered: np.ndarray, fits: LabelModelFits, *,
                    lf_names: list[str] | None = None, llm_usage: dict[str, Any] | None = None,
                    features: TextFeatures | None = None, reporter: Reporter | None = None) -> Selection | None:
    """Every candidate pipeline scored out of fold on gold dev, one chosen (None without gold
    or with ``selection.enabled: false``). ``covered``: where an LF voted; ``fits``: the run's
    label-model fits, shared with the label-model stage; ``lf_names``: L's columns; ``features``:
    the text features of :func:`shared_features` when the caller has them (else computed here);
    ``llm_usage``: the run's LLM usage so far (prompt LFs), for the cost column. LLM labels (the
    ``llm_labels`` file, else the prompt LFs) add the LLM candidates
    (:func:`wslab.app.llm_source.llm_votes`). See :mod:`wslab.labeling.selection`."""

    cfg, gold = project.cfg, project.gold
    sel, em = cfg.selection, cfg.end_model
    if gold is None or not sel.enabled or len(gold.y_dev) < sel.folds:
        return None
    dev_pos, test_pos = project.gold_positions("dev"), project.gold_positions("test")
    sample = training_sample(project, covered)
    if features is None and em.enabled:
        features = shared_features(project, covered)
    spans = span_features(project, covered) if em.enabled else None
    llm, llm_in_lfs = llm_votes(project, L, lf_names or [], llm_usage or {})
    grid = label_model_grid(cfg, L.shape[1] + (0 if llm is None or llm_in_lfs else llm.shape[1]))  # +llm LFs too
    inp = Inputs(L=L, n_classes=len(project.labels), dev_pos=dev_pos, y_dev=gold.y_dev, sample=sample,
                 features=features, C=em.C, seed=cfg.seed, test_pos=test_pos, label_models=fits,
                 llm=llm, llm_in_lfs=llm_in_lfs, spans=spans)
    try:
        return select_pipeline(inp, covered=covered, test_pos=test_pos, y_test=gold.y_test, labels=project.labels,
                               metric=sel.metric, folds=sel.folds, n_boot=cfg.evaluation.bootstrap,
                               label_model_grid=grid,  # vote_candidates: none below MIN_LFS_FOR_LABEL_MODEL LFs
                               gold_shares=sel.gold_shares, text_models=em.enabled, pin=sel.candidate,
                               max_text_rows=sel.max_text_rows,
                               llm_costs=llm_source_costs(project, llm_usage or {}), reporter=reporter)
    except ConfigError as exc:  # the stage names the key; the pipeline adds the file
        raise ConfigError(f"{cfg.config_path}: {exc}") from None


def selected_labels(selection: Selection, covered: np.ndarray, *, batch_size: int = 500_000,
                    reporter: Reporter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(probs, source) of every document from the chosen candidate, fitted on all of gold dev,
    predicted in batches of consecutive documents (a text model reads a batch's texts as one
    slice of the corpus file). ``covered`` (n,): where an LF voted, for the label source."""
    n = len(covered)
    probs = np.empty((n, selection.n_classes))
    with get_reporter(reporter).task(f"labels from {selection.chosen}", total=n) as advance:
        for s in range(0, n, batch_size):
            rows = np.arange(s, min(s + batch_size, n))
            probs[rows] = selection.predict(rows)
            advance(len(rows))
    name, kind = selection.chosen, selection.kinds[selection.chosen]
    source = np.full(n, name, dtype=object)
    if kind.startswith("votes"):
        src = name.removesuffix("+end_model")
        source = source_names(covered, src, "end_model" if kind == "votes+end_model" else "prior")
    return probs, source


def gold_labels(project: Project) -> pl.Series | None:
    """The gold label of each corpus row where the gold set has one (dev or test), else null;
    set at the gold rows' positions (no join of every corpus id: at 10M rows that cost 0.5 GB)."""
    gold = project.gold
    if gold is None:
        return None
    names = np.asarray(project.labels, dtype=object)
    out = pl.repeat(None, len(project.corpus), dtype=pl.String, eager=True)
    for split, y in (("dev", gold.y_dev), ("test", gold.y_test)):
        out = out.scatter(project.gold_positions(split), pl.Series(names[y].tolist(), dtype=pl.String))
    return out.alias("gold_label")


def labels_frame(ids: pl.Series, probs: np.ndarray, source: np.ndarray, labels: list[str], *,
                 expert: tuple[np.ndarray, np.ndarray] | None = None,
                 gold_label: pl.Series | None = None) -> pl.DataFrame:
    """labels.parquet (:func:`wslab.core.artifacts.labels_schema`). ``expert`` (row positions, class
    indices): expert answers that override the label there (one-hot, confidence 1, source
    ``expert``); ``gold_label``: the gold label of each row where one is known."""
    if expert is not None:
        pos, y = expert
        probs, source = probs.copy(), np.asarray(source, dtype=object).copy()
        probs[pos] = np.eye(len(labels))[y]
        source[pos] = "expert"
    frame = pl.DataFrame({
        "id": ids.cast(pl.String),
        "label": pl.Series(labels, dtype=pl.String).gather(probs_to_preds(probs)),
        "confidence": probs.max(axis=1),
        **{f"p_{lab}": probs[:, k] for k, lab in enumerate(labels)},
        "source": pl.Series(source, dtype=pl.String),
        "gold_label": (gold_label.cast(pl.String) if gold_label is not None
                       else pl.repeat(None, len(ids), dtype=pl.String, eager=True)),
    })
    return A.check_schema(frame, A.labels_schema(labels), name=A.LABELS)


def review_round(project: Project, probs: np.ndarray) -> pl.DataFrame | None:
    """This run's final labels of gold test, as the current review round (None without gold)."""
    gold = project.gold
    if gold is None:
        return None
    preds = probs_to_preds(probs[project.gold_positions("test")])
    return record_round(gold.test_ids, [project.labels[k] for k in preds], project.expert.rounds if project.expert else 0)


def review_rounds(project: Project, current: pl.DataFrame | None) -> list[dict[str, Any]]:
    """Every round's answers and scores on the frozen test, with this run's round ``current`` in
    place (:func:`wslab.app.review_loop.round_table`)."""
    cfg = project.cfg
    if project.gold is None:
        return []
    return round_table(cfg, project.gold, current=current, n_boot=cfg.evaluation.bootstrap, seed=cfg.seed)


def find_suspicious(project: Project, probs: np.ndarray, covered: np.ndarray, L: np.ndarray, *,
                    selection: Selection | None = None, reporter: Reporter | None = None) -> SuspicionResult | None:
    """cleanlab + cartography on the final labels (labels.parquet's ``label``: the argmax of
    ``probs``) of the documents an LF voted on (None with ``suspicious.enabled: false``). The
    queue reviews what the team will train on: with pipeline selection that is the chosen
    candidate's label, not the label model's (an expert answer then counts as a correction of a
    delivered label); documents an expert already answered leave it. A gold dev item is checked
    with the chosen candidate's out-of-fold label (:func:`checked_labels`)."""
    from wslab.app.suspicious import check_aggregated_labels

    q, corpus = project.cfg.suspicious, project.corpus
    if not q.enabled:
        return None
    given = checked_labels(project, probs, selection)
    result = check_aggregated_labels(corpus.ids, corpus.texts, project.labels, given, covered, L,
                                     folds=q.folds, epochs=q.epochs, max_items=q.max_items, seed=project.cfg.seed,
                                     annotations=project.annotations, reporter=reporter)
    result = replace(result, queue=drop_reviewed(result.queue, project.expert))  # reviewed: out of the queue
    return calibrated(result, project, given_on_dev="delivered" if selection is None
                      else f"out of fold ({selection.chosen})")


def checked_labels(project: Project, probs: np.ndarray, selection: Selection | None) -> np.ndarray:
    """The label each document's suspicion is scored on: the delivered one (argmax of ``probs``),
    except on gold dev, where it is the chosen candidate's out-of-fold label. A candidate that
    trains on gold dev (gold_only, gold+votes) labels its own training items nearly right, so with
    the delivered labels the queue's calibration on gold dev would see almost no wrong label; the
    out-of-fold label is what the pipeline gives a document it did not learn from, as it does on
    the rest of the corpus. Gold test is not touched."""
    given = probs_to_preds(probs)
    if selection is not None and project.gold is not None:
        dev_pos = project.gold_positions("dev")
        given[dev_pos] = probs_to_preds(selection.oof[selection.chosen], rows=dev_pos)
    return given


def calibrated(result: SuspicionResult, project: Project, *, given_on_dev: str = "delivered") -> SuspicionResult:
    """The queue's flag and pre-filled suggestion chosen on gold dev (never test), with what they
    measured in the summary (``queue_calibration``; ``given_on_dev`` names the labels the dev items
    were checked with); unchanged without gold. See :mod:`wslab.quality.queue_calibration`."""
    from wslab.quality.queue_calibration import calibrate_queue

    gold = project.gold
    if gold is None or len(gold.y_dev) == 0:
        return result
    truth = pl.DataFrame({"id": gold.dev_ids, "label": [project.labels[k] for k in gold.y_dev]})
    queue, summary = calibrate_queue(result.queue, truth, project.labels)
    summary = {"given_on_dev": given_on_dev, **summary}
    return replace(result, queue=queue, summary={**result.summary, "flagged": int(queue["flagged"].sum()),
                                                 "queue_calibration": summary})


def llm_raters(project: Project, run: _Run) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """The LLM's labels to score as raters: the ``llm_labels`` file (one rater per annotator in
    it, else one named after the file) and the LLM baseline's answers; and their file names."""
    cfg = project.cfg
    raters, names = dict(run.llm_answers), {name: f"LLM baseline {name}" for name in run.llm_answers}
    if cfg.llm_labels is not None:
        path = cfg.resolve(cfg.llm_labels)
        frame = io.read_table(path, required=["id", "label"], what="llm_labels")
        if "annotator" in frame.columns:
            for (who,), part in frame.group_by("annotator", maintain_order=True):
                raters[f"llm:{who}"], names[f"llm:{who}"] = part.select("id", "label"), str(path)
        else:
            raters[f"llm:{path.stem}"], names[f"llm:{path.stem}"] = frame.select("id", "label"), str(path)
    return raters, names


def agreement(project: Project, run: _Run) -> dict[str, Any] | None:
    """The agreement report of the annotations (and each annotator against gold), if given; the
    LLM's labels, where there are some, as raters (kappa with each annotator, against gold)."""
    from wslab.quality.agreement_report import agreement_report

    cfg, ann, gold = project.cfg, project.annotations, project.gold
    if ann is None:
        return None
    gold_frame = None  # a multi-label run's agreement: wslab.app.tag_stages.tag_agreement
    if gold is not None:
        gold_frame = pl.DataFrame({"id": gold.ids, "label": np.asarray(project.labels, dtype=object)[gold.y].tolist()})
        gold_frame = gold_frame.filter(pl.col("id").is_in(ann["id"].implode()))
    raters, rater_names = llm_raters(project, run)
    names = {"ratings": str(cfg.resolve(cfg.annotations)), "gold": str(cfg.resolve(cfg.gold.path)) if cfg.gold else "gold",
             **rater_names}
    return agreement_report(ann, gold_frame, raters=raters, categories=project.labels, seed=cfg.seed, names=names)


def evaluation(project: Project, models: LabelModels, fill: np.ndarray | None, probs: np.ndarray, run: _Run, *,
               chosen: str, selection: Selection | None = None, reporter: Reporter | None = None) -> dict[str, Any]:
    """metrics.json: every label source scored on gold test and dev (:class:`wslab.core.artifacts.Metrics`).

    With pipeline selection, ``final`` is the chosen candidate and ``end_model`` the end model on
    majority-vote labels, both out of fold on dev; ``candidates`` holds every candidate's scores.
    Every source is cut to the gold rows (test, then dev) first: nothing here holds an (n, K) copy."""
    cfg, gold = project.cfg, project.gold
    metrics: A.Metrics = {"labels": project.labels, "chosen": chosen, "notes": models.notes}
    if gold is None:
        return dict(metrics)
    rows = np.concatenate([project.gold_positions("test"), project.gold_positions("dev")])
    everywhere = np.ones(len(rows), dtype=bool)
    preds = {"majority_vote": (models.majority_vote.probs[rows], models.majority_vote.covered[rows])}
    if models.label_model is not None:
        preds["label_model"] = (models.label_model.probs[rows], models.label_model.covered[rows])
    if fill is not None:
        preds["end_model"] = (fill[rows], everywhere)
    preds["final"] = (probs[rows], everywhere if fill is not None else models.covered[rows])
    if selection is not None:
        def on_gold(name: str) -> np.ndarray:  # test rows, then dev rows out of fold
            return np.vstack([selection.test[name], selection.oof[name]])

        if "end_model(majority_vote)" in selection.oof:
            preds["end_model"] = (on_gold("end_model(majority_vote)"), everywhere)
        covers = not selection.kinds[selection.chosen] == "votes"
        preds["final"] = (on_gold(selection.chosen), everywhere if covers else models.covered[rows])
        metrics["candidates"] = {"metric": selection.metric, "folds": selection.folds, "chosen": selection.chosen,
                                 "pinned": selection.pinned, "rows": selection.rows, "rule": selection.rule,
                                 "learning_curve": selection.learning_curve}
    if cfg.llm_baseline.enabled:  # the LLM zero-shot (and few-shot) on the gold items (test, then dev): baseline rows
        from wslab.labeling.baseline import llm_baseline_predictions

        baseline = llm_baseline_predictions(cfg, project.corpus, gold, _prior(project), run.llm, reporter=reporter)
        preds.update(baseline.preds)
        metrics["llm_baseline"] = baseline.info
        run.llm_answers = baseline.answers
    n_boot, n_test = cfg.evaluation.bootstrap, len(gold.y_test)
    metrics["test"] = evaluate(preds, gold.y_test, np.arange(n_test), project.labels, n_boot=n_boot, seed=cfg.seed)
    metrics["dev"] = evaluate(preds, gold.y_dev, np.arange(n_test, len(rows)), project.labels, n_boot=n_boot,
                              seed=cfg.seed + 1)
    metrics["gold"] = {"n_dev": int(gold.is_dev.sum()), "n_test": int((~gold.is_dev).sum())}
    run.final_test = probs_to_preds(preds["final"][0][:n_test])
    if selection is not None:  # one CI per number: a candidate scored again takes the evaluation's CI
        share_candidate_cis(metrics, test={k: probs_to_preds(p[:n_test]) for k, (p, _) in preds.items()},
                            dev={k: probs_to_preds(p[n_test:]) for k, (p, _) in preds.items()},
                            candidates_test={k: probs_to_preds(p) for k, p in selection.test.items()},
                            candidates_oof={k: probs_to_preds(p) for k, p in selection.oof.items()})
    return dict(metrics)


def build_manifest(project: Project, run: _Run, L: np.ndarray, models: LabelModels,
                   quality: dict[str, Any] | None, *, chosen: str) -> A.Manifest:
    cfg, gold = project.cfg, project.gold
    return A.Manifest(
        config_hash=cfg.hash(), config_path=str(cfg.config_path) if cfg.config_path else None, seed=cfg.seed,
        versions=package_versions(), timings_s=run.timings,
        rows={"corpus": len(project.corpus), "lfs": int(L.shape[1]), "covered": int(models.covered.sum()),
              "gold_dev": int(gold.is_dev.sum()) if gold is not None else 0,
              "gold_test": int((~gold.is_dev).sum()) if gold is not None else 0},
        chosen=chosen, llm=run.llm, quality=quality, texts=project.corpus.text_stats(),
        files={k: v.name for k, v in run.files.items()},
    )


# ------------------------------------------------------------------ lfs analyze


@dataclass
class LFAnalysis:
    table: pl.DataFrame  # lf_summary: one row per LF
    n_docs: int
    n_dev: int
    llm: dict[str, Any]
    covered: int = 0  # documents at least one LF votes on

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{n_docs, n_dev, covered, llm, lfs: [...]}`` (NaN, which JSON lacks, as null)."""
        rows = [{k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
                for row in self.table.to_dicts()]
        return {"n_docs": self.n_docs, "n_dev": self.n_dev, "covered": self.covered, "llm": self.llm, "lfs": rows}


def analyze_lfs(cfg: Config, *, reporter: Reporter | None = None, prompt_lfs: bool = True) -> LFAnalysis:
    """``wslab lfs analyze``: apply the LFs and summarise them (the lf_analysis.csv of ``apply``),
    without label model or end model. ``prompt_lfs=False`` leaves prompt LFs out."""
    rundir.check_run_folder(cfg)  # refused as apply would refuse it, though nothing is written
    project = open_project(cfg, prompt_lfs=prompt_lfs)
    if cfg.multilabel:  # each tag's LFs on its binary votes, as apply's lf_analysis.csv
        from wslab.app.tags import analyze_tags

        llm: dict[str, Any] = {}
        table, covered = analyze_tags(project, llm=llm, reporter=reporter)
        dev = project.gold_positions("dev")
        return LFAnalysis(table=table, n_docs=len(project.corpus), n_dev=len(dev) if dev is not None else 0,
                          llm=llm, covered=covered)
    run = _Run(Path("."))
    matrix = build_label_matrix(project, run, reporter=reporter)
    dev_pos, L = project.gold_positions("dev"), votes_array(matrix)
    table = explain_lfs(analyze(project, matrix.columns[1:], L), L, accuracy_floor=cfg.lfs.accuracy_floor)
    return LFAnalysis(table=table, n_docs=matrix.height, n_dev=len(dev_pos) if dev_pos is not None else 0,
                      llm=run.llm, covered=int((L != A.ABSTAIN).any(axis=1).sum()))
