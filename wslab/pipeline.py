"""``wslab apply``: LFs -> label matrix -> label models -> end model -> evaluation on gold.

Every artefact goes into the run folder (``output.dir``), each written atomically:

    label_matrix.parquet   id + one Int8 column per LF (-1 = abstain)
    labels.parquet         id, label, confidence, p_<class>..., source
    lf_analysis.csv        per LF: polarity, coverage, overlaps, conflicts, dev accuracy + CI, flags
    metrics.json           {"test": {"majority_vote": .., "label_model": .., "end_model": .., "final": ..}, "dev": ..}
    manifest.json          config hash, versions, timings, row counts, LLM usage

Evaluation convention: majority vote and the label model are scored on *every* gold test item;
an item no LF covers gets the class prior's most frequent class (as WRENCH scores label models),
and ``coverage`` says how many items had a vote. ``final`` is what labels.parquet holds: the
chosen label model where covered, the end model elsewhere.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab import io, rundir
from wslab.config import Config
from wslab.data import Gold, load_gold, scan_corpus
from wslab.errors import ConfigError, InputError
from wslab.labeling.aggregate import (Aggregation, class_prior, majority_vote, probs_to_preds,
                                      snorkel_label_model)
from wslab.labeling.analysis import lf_summary
from wslab.labeling.apply import apply_python_lfs, check_columns, declarative_frame, load_precomputed
from wslab.labeling.baseline import BASELINE_ROW, check_llm_baseline, llm_baseline_predictions
from wslab.labeling.compile import is_declarative
from wslab.labeling.end_model import train_end_model
from wslab.labeling.spec import ABSTAIN, LFSpec, check_lf_set, load_lf_specs
from wslab.progress import Reporter, get_reporter
from wslab.stages import agreement_stage, suspicious_labels_stage
from wslab.quality.metrics import classification_report
from wslab.report import build_report

MIN_LFS_FOR_LABEL_MODEL = 3  # Snorkel's LabelModel refuses fewer
END_MODEL_BATCH = 500_000  # documents whose texts are fetched and predicted at once

PACKAGES = ["wslab", "snorkel", "cleanlab", "scikit-learn", "polars", "numpy", "torch", "openai"]


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict[str, Any]
    lf_table: pl.DataFrame
    manifest: dict[str, Any]
    chosen_label_model: str
    files: dict[str, Path] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Record the wall time of the block under ``name`` (also when it raises)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def load_lfs(cfg: Config) -> list[LFSpec]:
    specs: list[LFSpec] = []
    for f in cfg.lfs.files:
        specs.extend(load_lf_specs(cfg.resolve(f)))
    check_lf_set(specs, cfg.label_names)
    if not specs and cfg.lfs.precomputed is None:
        where = cfg.config_path or "config"
        raise ConfigError(f"{where}: key 'lfs': no labeling functions; expected lfs.files or lfs.precomputed")
    return specs


def open_corpus(cfg: Config, specs: list[LFSpec]) -> pl.LazyFrame:
    """Scan and check the corpus, and check every LF against it (columns exist, regexes compile)."""
    corpus_path = cfg.resolve(cfg.corpus.path)
    id_col, text_col = cfg.corpus.id_column, cfg.corpus.text_column
    corpus = scan_corpus(corpus_path, id_column=id_col, text_column=text_col)
    check_columns(specs, corpus.collect_schema().names(), text_column=text_col, corpus_path=str(corpus_path))
    declarative_frame(corpus, specs, cfg.label_names, id_column=id_col, text_column=text_col)  # compiles = validates
    if cfg.lfs.executor == "spark":
        from wslab.labeling.spark import check_portable

        check_portable(specs, cfg.label_names, text_column=text_col)  # before Spark starts
    return corpus


def build_label_matrix(cfg: Config, specs: list[LFSpec], *, corpus: pl.LazyFrame | None = None,
                       reporter: Reporter | None = None, llm_usage: dict[str, Any] | None = None) -> pl.DataFrame:
    """Apply every LF to the corpus; return ``id`` + one Int8 column per LF (spec order, then precomputed).

    ``llm_usage``, when given, is updated with the prompt LFs' tokens, cost and cache hits.
    """
    rep = get_reporter(reporter)
    id_col, text_col = cfg.corpus.id_column, cfg.corpus.text_column
    if corpus is None:
        corpus = open_corpus(cfg, specs)
    with rep.task("declarative LFs", total=None):
        if cfg.lfs.executor == "spark":
            from wslab.labeling.spark import spark_label_matrix

            order = corpus.select(pl.col(id_col).alias("id")).collect().to_series()
            frame = spark_label_matrix(cfg.resolve(cfg.corpus.path), specs, cfg.label_names, order=order,
                                       id_column=id_col, text_column=text_col, master=cfg.lfs.spark_master,
                                       output=cfg.lfs.spark_output)
        else:
            frame = declarative_frame(corpus, specs, cfg.label_names, id_column=id_col,
                                      text_column=text_col).collect(engine="streaming")
    python_specs = [s for s in specs if s.kind == "python"]
    if python_specs:
        df = corpus.collect()
        votes = apply_python_lfs(df, python_specs, cfg.label_names, id_column=id_col,
                                 paths=[cfg.base_dir, *(cfg.resolve(p) for p in cfg.lfs.python_paths)],
                                 workers=cfg.lfs.workers, reporter=reporter)
        frame = frame.with_columns([pl.Series(s.name, votes[:, j], dtype=pl.Int8) for j, s in enumerate(python_specs)])
    prompt_specs = [s for s in specs if s.kind == "prompt"]
    if prompt_specs:
        frame, usage = _apply_prompt_lfs(cfg, corpus, frame, prompt_specs, reporter=reporter)
        if llm_usage is not None:
            llm_usage.update(usage)
    frame = frame.select(["id", *[s.name for s in specs]])
    if cfg.lfs.precomputed is not None:
        pre = load_precomputed(cfg.resolve(cfg.lfs.precomputed), frame["id"], n_labels=len(cfg.label_names))
        clash = set(pre.columns[1:]) & {s.name for s in specs}
        if clash:
            raise ConfigError(f"{cfg.resolve(cfg.lfs.precomputed)}: column {sorted(clash)[0]!r} has the name of an LF in the spec; expected distinct names")
        frame = frame.hstack(pre.drop("id"))
    return frame


def _apply_prompt_lfs(cfg: Config, corpus: pl.LazyFrame, frame: pl.DataFrame, specs: list[LFSpec], *,
                      reporter: Reporter | None) -> tuple[pl.DataFrame, dict[str, Any]]:
    from wslab.labeling.prompt_lf import run_prompt_lfs

    docs = corpus.select([pl.col(cfg.corpus.id_column).alias("id"),
                          pl.col(cfg.corpus.text_column).alias("text")]).collect()
    votes, usage = run_prompt_lfs(cfg, docs, specs, reporter=reporter)
    frame = frame.with_columns([pl.Series(s.name, votes[:, j], dtype=pl.Int8) for j, s in enumerate(specs)])
    return frame, usage


def validate_prompt_lfs(cfg: Config, specs: list[LFSpec]) -> None:
    """Check prompt-LF parameters and the LLM settings before any work is done."""
    prompt_specs = [s for s in specs if s.kind == "prompt"]
    if not prompt_specs:
        return
    from wslab.labeling.prompt_lf import llm_settings_from_config, parse_prompt_spec

    for spec in prompt_specs:
        parse_prompt_spec(spec.name, spec.prompt or {}, where=spec.source_file or "LF spec")
    if cfg.llm is None:
        raise ConfigError(f"{cfg.config_path}: key 'llm': required by prompt LF {prompt_specs[0].name!r}; "
                          "expected llm settings (base_url, model, ...)")
    llm_settings_from_config(cfg)


def _corpus_texts(cfg: Config, ids: pl.Series) -> list[str]:
    """The texts of ``ids`` in that order (missing text = ""), streaming over the corpus and
    keeping only the wanted rows, so a sample of a large corpus never loads all of it."""
    corpus = io.scan_table(cfg.resolve(cfg.corpus.path), required=[cfg.corpus.id_column, cfg.corpus.text_column],
                           what="corpus")
    wanted = pl.DataFrame({"id": ids})
    # a streaming filter against a hash set of the wanted ids (a semi join held 8x more memory at 10M)
    found = (corpus.select([pl.col(cfg.corpus.id_column).alias("id"),
                            pl.col(cfg.corpus.text_column).cast(pl.String).fill_null("").alias("text")])
             .filter(pl.col("id").is_in(ids.implode())).collect(engine="streaming"))
    return wanted.join(found, on="id", how="left", maintain_order="left")["text"].fill_null("").to_list()


def _positions(ids: pl.Series, wanted: pl.Series) -> np.ndarray:
    """Row positions of ``wanted`` ids inside ``ids`` (all present)."""
    lookup = pl.DataFrame({"id": ids}).with_row_index("_pos")
    return pl.DataFrame({"id": wanted}).join(lookup, on="id", how="left", maintain_order="left")["_pos"].to_numpy()


def _evaluate(probs: dict[str, tuple[np.ndarray, np.ndarray]], y: np.ndarray, pos: np.ndarray,
              labels: list[str], *, n_boot: int, seed: int) -> dict[str, Any]:
    """Score each model's probabilities on the gold rows ``pos`` (ties broken among those rows)."""
    out = {}
    for name, (p, covered) in probs.items():
        out[name] = classification_report(y, probs_to_preds(p[pos]), labels, covered=covered[pos], n_boot=n_boot,
                                          rng=np.random.default_rng([seed, len(out)]))
    return out


def run_apply(cfg: Config, *, reporter: Reporter | None = None) -> RunResult:
    """Run the whole pipeline for a validated config; return metrics and where files went.

    Artefacts are staged; the staging folder replaces the run folder only when every stage
    succeeded (see :mod:`wslab.rundir`: checks, one run per folder, paid work kept).
    """
    run_dir = cfg.resolve(cfg.output.dir)
    with rundir.run_folder(run_dir, inputs=rundir.project_inputs(cfg)) as staging:
        result = _run_apply(cfg, staging, reporter=reporter)
    result.files = {k: run_dir / v.name for k, v in result.files.items()}
    result.run_dir = run_dir
    return result


def _run_apply(cfg: Config, run_dir: Path, *, reporter: Reporter | None = None) -> RunResult:
    rep = get_reporter(reporter)
    timer = _Timer()
    labels = cfg.label_names
    K = len(labels)
    files: dict[str, Path] = {}

    # validate every input before any expensive (or paid) work
    with timer.stage("validate"):
        specs = load_lfs(cfg)
        validate_prompt_lfs(cfg, specs)
        check_llm_baseline(cfg)
        corpus = open_corpus(cfg, specs)
        corpus_ids = corpus.select(pl.col(cfg.corpus.id_column)).collect().to_series()
        gold: Gold | None = None
        if cfg.gold is not None:
            gold = load_gold(cfg.resolve(cfg.gold.path), labels=labels, id_column=cfg.gold.id_column,
                             label_column=cfg.gold.label_column, split_column=cfg.gold.split_column,
                             dev_fraction=cfg.gold.dev_fraction, seed=cfg.seed, corpus_ids=corpus_ids,
                             corpus_path=cfg.resolve(cfg.corpus.path))
        annotations = None
        if cfg.annotations is not None:
            annotations = io.read_table(cfg.resolve(cfg.annotations), required=["id", "annotator", "label"],
                                        what="annotations")
    llm_usage: dict[str, Any] = {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0}
    with timer.stage("apply_lfs"):
        matrix = build_label_matrix(cfg, specs, corpus=corpus, reporter=reporter, llm_usage=llm_usage)
    lf_names = matrix.columns[1:]
    ids = matrix["id"]
    # int8 votes: 30 LFs x 10M documents is 300 MB (int64 would be 2.4 GB)
    L = matrix.drop("id").to_numpy().astype(np.int8) if lf_names else np.empty((matrix.height, 0), np.int8)
    files["label_matrix"] = io.write_table(run_dir / "label_matrix.parquet", matrix)
    del matrix  # L and ids hold what the later stages need

    dev_pos = _positions(ids, gold.dev_ids) if gold is not None else None
    test_pos = _positions(ids, gold.test_ids) if gold is not None else None
    y_dev = gold.y_dev if gold is not None else None
    # LF analysis before the label models: its temporaries are (n, K) arrays, so on a large
    # corpus it runs while no (n, K) probability matrix is alive yet
    lf_table = lf_summary(L, lf_names, labels,
                          L_dev=L[dev_pos] if dev_pos is not None else None, y_dev=y_dev)
    files["lf_analysis"] = io.write_table(run_dir / "lf_analysis.csv", lf_table)
    prior = class_prior(y_dev, K) if cfg.label_model.class_balance == "gold_dev" else class_prior(None, K)

    notes: list[str] = []
    with timer.stage("label_models"):
        with rep.task("label models (majority vote, Snorkel restarts)", total=1 + cfg.label_model.restarts) as advance:
            mv = majority_vote(L, K, prior=prior)
            advance(1)
            lm: Aggregation | None = None
            if L.shape[1] >= MIN_LFS_FOR_LABEL_MODEL:
                lm = snorkel_label_model(L, K, prior=prior, n_epochs=cfg.label_model.n_epochs,
                                         lr=cfg.label_model.lr, l2=cfg.label_model.l2, seed=cfg.seed,
                                         restarts=cfg.label_model.restarts,
                                         on_fit=lambda loss: advance(1, loss=f"{loss:.4g}"))
            elif cfg.label_model.kind == "snorkel":
                raise ConfigError(f"{cfg.config_path}: key 'label_model.kind': snorkel needs at least "
                                  f"{MIN_LFS_FOR_LABEL_MODEL} LFs; got {L.shape[1]}; expected more LFs or kind: majority")
            else:
                notes.append(f"Snorkel's LabelModel needs at least {MIN_LFS_FOR_LABEL_MODEL} LFs; got {L.shape[1]}, "
                             "so majority vote labels the data")
    chosen = _choose_label_model(cfg, mv, lm, dev_pos, y_dev, labels)

    em_probs = None
    if cfg.end_model.enabled:
        with timer.stage("end_model"), rep.task("end model", total=2) as advance:
            train = np.flatnonzero(chosen.covered & (chosen.confidence >= cfg.end_model.min_confidence))
            if len(train) > cfg.end_model.max_train:
                train = np.sort(np.random.default_rng(cfg.seed).choice(train, cfg.end_model.max_train, replace=False))
            model = train_end_model(_corpus_texts(cfg, ids.gather(train)), chosen.labels[train], n_classes=K,
                                    sample_weight=chosen.confidence[train], C=cfg.end_model.C,
                                    max_features=cfg.end_model.max_features, seed=cfg.seed)
            advance(1)
            # the end model's probabilities are used where no LF voted and scored on gold items:
            # predict those rows only, fetching their texts in batches; other rows keep the prior
            needed = ~chosen.covered
            for pos in (dev_pos, test_pos):
                if pos is not None:
                    needed[pos] = True
            em_probs = np.tile(prior, (len(ids), 1))
            rows = np.flatnonzero(needed)
            for start in range(0, len(rows), END_MODEL_BATCH):
                batch = rows[start:start + END_MODEL_BATCH]
                em_probs[batch] = model.predict_proba(_corpus_texts(cfg, ids.gather(batch)))
            advance(1)

    # final labels: the chosen label model where covered, the end model elsewhere
    final_probs = chosen.probs.copy()
    fallback = "prior"
    if em_probs is not None:
        final_probs[~chosen.covered] = em_probs[~chosen.covered]
        fallback = "end_model"
    source = pl.Series([chosen.name, fallback], dtype=pl.String).gather(np.where(chosen.covered, 0, 1))
    label_frame = pl.DataFrame({
        "id": ids,
        "label": pl.Series(labels, dtype=pl.String).gather(probs_to_preds(final_probs)),
        "confidence": final_probs.max(axis=1),
        **{f"p_{lab}": final_probs[:, k] for k, lab in enumerate(labels)},
        "source": source,
    })
    files["labels"] = io.write_table(run_dir / "labels.parquet", label_frame)
    del label_frame

    quality_summary: dict[str, Any] | None = None
    if cfg.quality.enabled:
        with timer.stage("quality"):
            q = suspicious_labels_stage(ids, lambda wanted: _corpus_texts(cfg, wanted), labels,
                                        chosen.labels, chosen.covered, L,
                                        folds=cfg.quality.folds, epochs=cfg.quality.epochs,
                                        max_items=cfg.quality.max_items, seed=cfg.seed,
                                        annotations=annotations, reporter=reporter)
            files["queue"] = io.write_table(run_dir / "queue.csv", q.queue)
            files["queue_label_studio"] = io.write_json(run_dir / "queue_label_studio.json", q.label_studio)
            files["cartography"] = io.write_table(run_dir / "cartography.parquet", q.cartography)
            files["data_map_png"] = io.write_bytes(run_dir / "data_map.png", q.data_map_png)
            files["data_map_html"] = io.write_text(run_dir / "data_map.html", q.data_map_html)
            quality_summary = q.summary
    if annotations is not None:
        with timer.stage("agreement"):
            gold_frame = None
            if gold is not None:
                gold_frame = pl.DataFrame({"id": gold.ids.cast(pl.String),
                                           "label": np.asarray(labels, dtype=object)[gold.y].tolist()})
                rated = set(annotations["id"].cast(pl.String).to_list())
                gold_frame = gold_frame.filter(pl.col("id").is_in(rated))
            report = agreement_stage(annotations.with_columns(pl.col("id").cast(pl.String)), gold_frame,
                                     labels=labels, seed=cfg.seed, annotations_name=str(cfg.resolve(cfg.annotations)),
                                     gold_name=str(cfg.resolve(cfg.gold.path)) if cfg.gold else "gold")
            files["agreement"] = io.write_json(run_dir / "agreement.json", report)

    metrics: dict[str, Any] = {"labels": labels, "chosen_label_model": chosen.name, "notes": notes}
    if gold is not None:
        with timer.stage("evaluation"):
            preds = {"majority_vote": (mv.probs, mv.covered)}
            if lm is not None:
                preds["label_model"] = (lm.probs, lm.covered)
            if em_probs is not None:
                preds["end_model"] = (em_probs, np.ones(len(ids), dtype=bool))
            preds["final"] = (final_probs, np.ones(len(ids), dtype=bool) if em_probs is not None else chosen.covered)
            if cfg.llm_baseline.enabled:  # the LLM zero-shot on the gold items, a baseline row
                preds[BASELINE_ROW] = llm_baseline_predictions(cfg, ids, gold.ids, prior, llm_usage, reporter=reporter)
            metrics["test"] = _evaluate(preds, gold.y_test, test_pos, labels, n_boot=cfg.evaluation.bootstrap, seed=cfg.seed)
            metrics["dev"] = _evaluate(preds, gold.y_dev, dev_pos, labels, n_boot=cfg.evaluation.bootstrap, seed=cfg.seed + 1)
            metrics["gold"] = {"n_dev": int(gold.is_dev.sum()), "n_test": int((~gold.is_dev).sum())}
    files["metrics"] = io.write_json(run_dir / "metrics.json", metrics)

    manifest = {
        "config_hash": cfg.hash(),
        "config_path": str(cfg.config_path) if cfg.config_path else None,
        "seed": cfg.seed,
        "versions": package_versions(),
        "timings_s": timer.timings,
        "rows": {"corpus": int(len(ids)), "lfs": len(lf_names),
                 "covered": int(chosen.covered.sum()),
                 "gold_dev": int(gold.is_dev.sum()) if gold is not None else 0,
                 "gold_test": int((~gold.is_dev).sum()) if gold is not None else 0},
        "label_model": chosen.name,
        "llm": llm_usage,
        "quality": quality_summary,
        "files": {k: str(v.name) for k, v in files.items()},
    }
    files["manifest"] = io.write_json(run_dir / "manifest.json", manifest)
    files["report"] = io.write_text(run_dir / "report.html", build_report(run_dir))
    return RunResult(run_dir=run_dir, metrics=metrics, lf_table=lf_table, manifest=manifest,
                     chosen_label_model=chosen.name, files=files)


def _choose_label_model(cfg: Config, mv: Aggregation, lm: Aggregation | None, dev_pos: np.ndarray | None,
                        y_dev: np.ndarray | None, labels: list[str]) -> Aggregation:
    kind = cfg.label_model.kind
    if kind == "majority" or lm is None:
        return mv
    if kind == "snorkel":
        return lm
    if dev_pos is None or y_dev is None or len(y_dev) == 0:
        return lm
    score = {a.name: classification_report(y_dev, probs_to_preds(a.probs[dev_pos]), labels, n_boot=0)["macro_f1"]
             for a in (mv, lm)}
    return lm if score["label_model"] >= score["majority_vote"] else mv


@dataclass
class LFAnalysis:
    table: pl.DataFrame  # lf_summary: one row per LF
    n_docs: int
    n_dev: int
    llm: dict[str, Any]


def analyze_lfs(cfg: Config, *, reporter: Reporter | None = None, prompt_lfs: bool = True) -> LFAnalysis:
    """``wslab lfs analyze``: apply the LFs and summarise them (the lf_analysis.csv of ``apply``),
    without label model or end model. ``prompt_lfs=False`` leaves prompt LFs out."""
    specs = [s for s in load_lfs(cfg) if prompt_lfs or s.kind != "prompt"]
    validate_prompt_lfs(cfg, specs)
    corpus = open_corpus(cfg, specs)
    gold: Gold | None = None
    if cfg.gold is not None:
        corpus_ids = corpus.select(pl.col(cfg.corpus.id_column)).collect().to_series()
        gold = load_gold(cfg.resolve(cfg.gold.path), labels=cfg.label_names, id_column=cfg.gold.id_column,
                         label_column=cfg.gold.label_column, split_column=cfg.gold.split_column,
                         dev_fraction=cfg.gold.dev_fraction, seed=cfg.seed, corpus_ids=corpus_ids,
                         corpus_path=cfg.resolve(cfg.corpus.path))
    llm_usage: dict[str, Any] = {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0}
    matrix = build_label_matrix(cfg, specs, corpus=corpus, reporter=reporter, llm_usage=llm_usage)
    names = matrix.columns[1:]
    L = matrix.drop("id").to_numpy().astype(np.int64) if names else np.empty((matrix.height, 0), np.int64)
    dev_pos = _positions(matrix["id"], gold.dev_ids) if gold is not None else None
    table = lf_summary(L, names, cfg.label_names, L_dev=L[dev_pos] if dev_pos is not None else None,
                       y_dev=gold.y_dev if gold is not None else None)
    return LFAnalysis(table=table, n_docs=matrix.height, n_dev=len(dev_pos) if dev_pos is not None else 0,
                      llm=llm_usage)
