"""Suspicious labels: cleanlab (:mod:`wslab.quality`) + dataset cartography
(:mod:`wslab.cartography`) (+ optional annotator and LF signals) into one ranked queue.

It joins two stage packages, so it lives here, above them. :func:`find_suspicious_labels` is
one library call on any labelled table (``wslab issues``); :func:`check_aggregated_labels` runs
it on ``apply``'s aggregated labels; :func:`write_review` writes the same files for both.

    result = find_suspicious_labels(df, id_col="id", text_col="text", label_col="label", seed=0)
    result.queue        # every labelled item, ranked; see wslab.quality.queue
    result.cartography  # id, confidence, variability, correctness, region
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from wslab.cartography.dynamics import cross_fitted_dynamics, data_map_metrics, record_training_dynamics
from wslab.cartography.regions import assign_regions
from wslab.core import artifacts, io
from wslab.core.errors import InputError
from wslab.core.frames import as_polars, returns_like
from wslab.core.progress import Reporter, get_reporter
from wslab.core.stats.features import build_features
from wslab.core.stats.hashing import HashedTfidf
from wslab.quality.label_issues import (check_class_counts, find_label_issues, majority_vote,
                                        multiannotator_consensus, out_of_sample_pred_probs)
from wslab.quality.queue import build_queue

from wslab.app.suspicion_result import SuspicionResult

if TYPE_CHECKING:
    from wslab.core.data import Corpus

__all__ = ["SuspicionResult", "find_suspicious_labels", "check_aggregated_labels", "write_review", "review_file"]


def _clean_labels(df: pl.DataFrame, label_col: str) -> pl.DataFrame:
    lab = pl.col(label_col).cast(pl.String).str.strip_chars()
    return df.with_columns(pl.when(lab == "").then(None).otherwise(lab).alias(label_col))


def _class_list(given: pl.Series, labels: Sequence[str] | None, *, label_col: str, source: str,
                row_of: pl.Series) -> list[str]:
    found = given.unique().sort().to_list()
    if labels is None:
        return found
    labels = [str(x) for x in labels]
    if len(set(labels)) != len(labels):
        raise InputError(f"{source}: the class list {labels} repeats a class; expected each class once")
    unknown = ~given.is_in(labels)
    if unknown.any():
        i = int(unknown.arg_true()[0])
        raise InputError(f"{source}: row {int(row_of[i]) + 2}: {label_col} {given[i]!r} is not one of the "
                         f"classes {labels}")
    return labels


@returns_like("df")
def find_suspicious_labels(
    df: pl.DataFrame,
    *,
    id_col: str = "id",
    text_col: str | None = "text",
    label_col: str = "label",
    labels: Sequence[str] | None = None,
    annotator_col: str | None = None,
    feature_cols: Sequence[str] | None = None,
    seed: int = 0,
    folds: int = 5,
    epochs: int = 5,
    model=None,
    dynamics_model=None,
    featurizer=None,
    extra_signals: pl.DataFrame | None = None,
    source: str = "data",
    reporter: Reporter | None = None,
) -> SuspicionResult:
    """Rank the labelled rows of ``df`` by how likely their label is wrong. The result's frames
    are of ``df``'s type: pandas in, pandas out (polars in, polars out).

    - Rows whose label is missing or blank are left out (documented fallback; counted in
      ``summary["skipped_missing_label"]``); if none is left, InputError.
    - With ``annotator_col`` the table is long (one row per item and annotator): the given label
      is the majority vote, CROWDLAB (cleanlab.multiannotator) gives the suggested consensus
      label, per-annotator quality, and the disagreement signal.
    - A class with fewer examples than ``folds`` lowers the fold count to its size (fallback,
      ``summary["folds"]``); a single class or a class with one example is an InputError.
    - ``labels`` fixes the class names and their order; a label outside it is an InputError.
    - Features: hashed TF-IDF of ``text_col`` (or ``feature_cols`` as given numbers/embeddings).
      By default one set of fits gives both signals
      (:func:`~wslab.cartography.dynamics.cross_fitted_dynamics`): per fold, ``dynamics_model``
      (default SGD logistic regression, one ``partial_fit`` per epoch) trains ``epochs`` epochs
      on the other folds, each epoch recording the data map of its training rows (every row is
      recorded ``(folds - 1) * epochs`` times), the last one predicting the held-out fold
      (cleanlab's out-of-sample probabilities). Two epochs per fold cost 40% of five but found
      fewer flips on WRENCH sms and youtube (precision@k 0.872 against 0.919 on sms, uniform noise). With ``model`` (any
      scikit-learn classifier) the earlier way runs instead: ``model`` cross-validated for
      cleanlab, and a separate ``epochs``-epoch cartography run.
    - The queue's ``priority`` is the mean percentile rank of the signals
      (:func:`wslab.quality.queue.build_queue`).
    """
    df = as_polars(df, name=source)
    df, n_rows, skipped, classes = _labelled_rows(df, id_col=id_col, text_col=text_col, label_col=label_col,
                                                  annotator_col=annotator_col, feature_cols=feature_cols,
                                                  labels=labels, source=source, reporter=reporter)
    if text_col and text_col not in df.columns:
        text_col = None
    if annotator_col:
        crowd = _crowd_items(df, id_col=id_col, label_col=label_col, annotator_col=annotator_col, classes=classes,
                             source=source)
        items, given = crowd.items, crowd.given
    else:
        items, given, crowd = _single_items(df, id_col=id_col, label_col=label_col, classes=classes, source=source)

    present, remap, y, model_classes = _present_classes(given, classes)
    folds_used = check_class_counts(y, model_classes, folds=folds, source=source)
    if folds_used < folds:
        get_reporter(reporter).info(f"{source}: smallest class has {folds_used} examples; using {folds_used}-fold "
                                    f"cross-validation instead of {folds}")

    X = build_features(items, text_col=text_col, feature_cols=feature_cols,
                       featurizer=featurizer if featurizer is not None else _HashedFeatures(), source=source)
    if model is None:  # one set of fits: out-of-fold probabilities and the data map together
        dyn, pred_probs = cross_fitted_dynamics(X, y, n_classes=len(present), folds=folds_used, epochs=epochs,
                                                model=dynamics_model, seed=seed, reporter=reporter)
    else:
        pred_probs = out_of_sample_pred_probs(X, y, n_classes=len(present), model=model, folds=folds_used,
                                              seed=seed, reporter=reporter)
        dyn = record_training_dynamics(X, y, n_classes=len(present), epochs=epochs, model=dynamics_model,
                                       seed=seed, reporter=reporter)
    cl = find_label_issues(y, pred_probs)
    suggested = cl["cleanlab_suggested"].to_numpy()
    consensus = annotator_frame = None
    if crowd is not None:
        suggested, consensus, annotator_frame = crowd.consensus(remap, pred_probs, model_classes)
    metrics = data_map_metrics(dyn)
    metrics = metrics.with_columns(assign_regions(metrics))

    base = pl.DataFrame({
        "id": items[id_col].cast(pl.String),
        "text": items[text_col].cast(pl.String).fill_null("") if text_col else pl.Series([""] * items.height),
        "given_label": [model_classes[k] for k in y],
        "suggested_label": [model_classes[k] for k in suggested],
    })
    signal_cols = [cl.select("label_quality", "is_label_issue", "p_suggested"), metrics]
    if consensus is not None:
        signal_cols.append(pl.DataFrame({"disagreement": 1.0 - consensus["annotator_agreement"].to_numpy(),
                                         "consensus_quality": consensus["consensus_quality"]}))
    item_frame = pl.concat([base, *signal_cols], how="horizontal")
    queue = build_queue(item_frame.drop("consensus_quality", strict=False), extra_signals=extra_signals)
    cart = pl.concat([base.select("id", "text", "given_label"), metrics], how="horizontal")
    probs = pl.concat([base.select("id"), pl.DataFrame(
        {f"p_{c}": pred_probs[:, j] for j, c in enumerate(model_classes)})], how="horizontal")
    if consensus is not None:
        probs = probs.with_columns(consensus_quality=consensus["consensus_quality"])
    summary = {
        "items": int(items.height), "rows": int(n_rows), "skipped_missing_label": int(skipped),
        "classes": classes, "classes_absent": [c for c in classes if c not in model_classes],
        "folds": folds_used, "epochs": epochs, "seed": seed, "cleanlab_issues": int(cl["is_label_issue"].sum()),
        "regions": {r: int((metrics["region"] == r).sum()) for r in ("easy-to-learn", "ambiguous", "hard-to-learn")},
        "flagged": int(queue["flagged"].sum()),
        "annotators": len(annotator_frame) if annotator_frame is not None else None,
    }
    return SuspicionResult(queue=queue, cartography=cart, pred_probs=probs, labels=classes,
                           annotators=annotator_frame, summary=summary)


class _HashedFeatures:
    """Hashed word 1-2 + char_wb 3-5 n-gram TF-IDF (:class:`~wslab.core.stats.hashing.HashedTfidf`, no
    vocabulary to fit). Character bigrams are left out: the SGD fits cost one step per non-zero,
    and the bigrams add a fifth of them (100,000 synthetic documents: 2.1 of 13 CPU-s) without
    changing the flags (precision 0.512 either way, benchmarks/results/issues.md). The matrix keeps
    the full hashed width; :func:`~wslab.cartography.dynamics.cross_fitted_dynamics` fits on its
    used columns (the same fits, smaller stacked weights per epoch). One thread: two cost
    more CPU for the same matrix (100,000 documents, before ``fit_transform`` was chunked: 3.9
    against 2.9 CPU-s; now ~1 CPU-s either way, within the machine's noise)."""

    def fit_transform(self, texts: list[str]):
        return HashedTfidf(char_ngrams=(3, 5), n_jobs=1).fit_transform(texts)


def _present_classes(given: np.ndarray, classes: list[str]) -> tuple[list[int], np.ndarray, np.ndarray, list[str]]:
    """Model only the classes that occur; absent ones cannot be predicted anyway. Returns the
    present class indices, the remap from class index to model index (-1 when absent), the given
    labels as model indices, and the model's class names."""
    present = [k for k in range(len(classes)) if (given == k).any()]
    remap = np.full(len(classes), -1)
    remap[present] = np.arange(len(present))
    return present, remap, remap[given], [classes[k] for k in present]


def _labelled_rows(df: pl.DataFrame, *, id_col: str, text_col: str | None, label_col: str,
                   annotator_col: str | None, feature_cols: Sequence[str] | None, labels: Sequence[str] | None,
                   source: str, reporter: Reporter | None) -> tuple[pl.DataFrame, int, int, list[str]]:
    """Check columns and ids; drop rows without a label; return (rows, n_rows, skipped, classes)."""
    needed = [id_col, label_col] + ([text_col] if text_col and not feature_cols else []) \
        + ([annotator_col] if annotator_col else [])
    for name in needed:
        if name not in df.columns:
            raise InputError(f"{source}: missing column {name!r}; found columns {df.columns}")
    df = _clean_labels(df.with_row_index("_row"), label_col)
    null_ids = df[id_col].is_null()
    if null_ids.any():
        raise InputError(f"{source}: row {int(df['_row'][int(null_ids.arg_true()[0])]) + 2}: missing value in "
                         f"column {id_col!r}; expected an id for every row")
    n_rows = df.height
    df = df.filter(pl.col(label_col).is_not_null())
    skipped = n_rows - df.height
    if df.height == 0:
        raise InputError(f"{source}: column {label_col!r} is empty in every row; expected labels")
    if skipped:
        get_reporter(reporter).info(f"{source}: skipped {skipped} rows without a {label_col!r} value")
    classes = _class_list(df[label_col], labels, label_col=label_col, source=source, row_of=df["_row"])
    return df, n_rows, skipped, classes


def _single_items(df: pl.DataFrame, *, id_col: str, label_col: str, classes: list[str],
                  source: str) -> tuple[pl.DataFrame, np.ndarray, None]:
    """One row per item: the given label is the row's label."""
    dup = ~df[id_col].is_first_distinct()
    if dup.any():
        i = int(dup.arg_true()[0])
        raise InputError(f"{source}: row {int(df['_row'][i]) + 2}: duplicate {id_col} {df[id_col][i]!r}; "
                         f"expected each {id_col} once (pass an annotator column for one row per annotator)")
    code = {c: i for i, c in enumerate(classes)}
    return df, df[label_col].replace_strict(code, return_dtype=pl.Int64).to_numpy(), None


@dataclass
class _Crowd:
    """Items rated by several annotators: the majority vote is the given label, CROWDLAB the consensus."""

    items: pl.DataFrame
    given: np.ndarray
    L: np.ndarray
    annotators: list[str]

    def consensus(self, remap: np.ndarray, pred_probs: np.ndarray,
                  model_classes: list[str]) -> tuple[np.ndarray, pl.DataFrame, pl.DataFrame]:
        """(suggested labels, per-item consensus frame, per-annotator quality) from CROWDLAB.

        Votes for a class that never wins the majority vote cannot be scored by the model; they
        are dropped (each item keeps at least the votes for its majority class).
        """
        L_model = remap[np.nan_to_num(self.L, nan=0).astype(int)].astype(np.float64)
        L_model[np.isnan(self.L) | (L_model < 0)] = np.nan
        rated = ~np.isnan(L_model).all(axis=0)
        crowd = multiannotator_consensus(L_model[:, rated], pred_probs,
                                         annotator_names=[a for a, r in zip(self.annotators, rated) if r])
        annotators = crowd.annotators.with_columns(
            pl.col("worst_class").map_elements(lambda k: model_classes[k], return_dtype=pl.String))
        return crowd.items["consensus"].to_numpy(), crowd.items, annotators


def _crowd_items(df: pl.DataFrame, *, id_col: str, label_col: str, annotator_col: str, classes: list[str],
                 source: str) -> _Crowd:
    df = df.with_columns(pl.col(annotator_col).cast(pl.String))
    dup = df.group_by([id_col, annotator_col]).agg(pl.col(label_col).n_unique().alias("n"),
                                                   pl.col("_row").min()).filter(pl.col("n") > 1)
    if dup.height:
        r = dup.sort("_row").row(0, named=True)
        raise InputError(f"{source}: row {r['_row'] + 2}: duplicate ({id_col}, {annotator_col}) "
                         f"({r[id_col]!r}, {r[annotator_col]!r}) with different labels; expected one label "
                         "per annotator and item")
    df = df.unique([id_col, annotator_col], keep="first", maintain_order=True)
    annotators = df[annotator_col].unique().sort().to_list()
    if len(annotators) < 2:
        raise InputError(f"{source}: column {annotator_col!r} names one annotator ({annotators[0]!r}); expected "
                         "at least two for a multi-annotator table (without --annotator-col one label per item "
                         "is checked)")
    code = {c: i for i, c in enumerate(classes)}
    wide = df.with_columns(pl.col(label_col).replace_strict(code, return_dtype=pl.Float64)).pivot(
        on=annotator_col, index=id_col, values=label_col, aggregate_function="first").select(id_col, *annotators)
    firsts = df.group_by(id_col, maintain_order=True).agg(pl.all().exclude(annotator_col, label_col).first())
    items = wide.select(id_col).join(firsts, on=id_col, how="left", maintain_order="left")
    L = wide.select(annotators).to_numpy().astype(np.float64)
    given = majority_vote(L)
    items = items.with_columns(pl.Series(label_col, [classes[g] for g in given]))
    return _Crowd(items=items, given=given, L=L, annotators=annotators)


def check_aggregated_labels(ids: pl.Series, fetch_texts: Callable[[pl.Series], list[str]], labels: list[str],
                            given: np.ndarray, covered: np.ndarray, L: np.ndarray, *, folds: int = 5,
                            epochs: int = 5, max_items: int = 100_000, seed: int = 0,
                            annotations: pl.DataFrame | None = None,
                            reporter: Reporter | None = None) -> SuspicionResult:
    """cleanlab + cartography on the aggregated labels ``given`` (n,) of covered documents.

    Only documents an LF voted on are checked: the end model's own labels on uncovered
    documents would be judged by a model of the same kind. At most ``max_items`` (sampled);
    ``fetch_texts(ids)`` returns the texts of the checked ids only, in that order. LF votes
    against the label (``L``) and annotator disagreement join the queue as signals.
    """
    from wslab.quality.signals import annotator_disagreement, lf_conflicts

    rows = np.flatnonzero(covered)
    if len(rows) > max_items:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_items, replace=False))
    names = np.asarray(labels, dtype=object)
    checked_ids = ids.gather(rows)
    df = pl.DataFrame({"id": checked_ids, "text": fetch_texts(checked_ids), "label": names[given[rows]].tolist()})
    extra = pl.DataFrame({"id": df["id"], "lf_conflicts": lf_conflicts(L[rows], given[rows])})
    if annotations is not None:
        extra = extra.join(annotator_disagreement(annotations.with_columns(pl.col("id").cast(pl.String))),
                           on="id", how="left")
    result = find_suspicious_labels(df, id_col="id", text_col="text", label_col="label", labels=labels,
                                    seed=seed, folds=folds, epochs=epochs, extra_signals=extra,
                                    source="aggregated labels", reporter=reporter)
    result.summary.update(checked=int(df.height))
    return result


def write_review(result: SuspicionResult, out: Path, *, labels: Sequence[str] | None = None, top: int | None = None,
                 title: str = "Data map") -> dict[str, Path]:
    """Write :data:`wslab.core.artifacts.REVIEW_FILES` (and annotators.csv with several annotators) into ``out``.

    ``queue.csv`` holds the flagged items ranked (at most ``top``), ``scores.parquet`` every
    checked item; the Label Studio config lists every class of ``labels`` (default: the result's).
    """
    from wslab.cartography.plots import data_map_html, data_map_png
    from wslab.quality.health import class_health
    from wslab.quality.queue import flagged_queue, label_studio_config, to_label_studio_tasks

    a = artifacts
    queue = flagged_queue(result.queue, top=top)
    multilabel = bool(result.summary.get("multilabel"))
    carto = result.cartography
    if "suggested_label" not in carto.columns:  # the tooltip shows it; reviewed items left the queue: null
        carto = carto.join(result.queue.select("id", "suggested_label"), on="id", how="left", maintain_order="left")
        carto = carto.select("id", "text", "given_label", "suggested_label", pl.exclude("id", "text", "given_label",
                                                                                         "suggested_label"))
    paths = {
        "queue": io.write_table(out / a.QUEUE, queue),
        "scores": io.write_table(out / a.SCORES, result.queue),
        "cartography": io.write_table(out / a.CARTOGRAPHY, carto),
        "pred_probs": io.write_table(out / a.PRED_PROBS, result.pred_probs),
        "label_studio": io.write_text(out / a.LABEL_STUDIO_TASKS, _tasks_json(to_label_studio_tasks(queue, multilabel=multilabel))),
        "label_studio_config": io.write_text(out / a.LABEL_STUDIO_CONFIG,
                                             label_studio_config(list(labels or result.labels), multilabel=multilabel)),
        "data_map_png": io.write_bytes(out / a.DATA_MAP_PNG, data_map_png(carto, title=title)),
        "data_map_html": io.write_text(out / a.DATA_MAP_HTML, data_map_html(carto, title=title)),
    }
    if not multilabel:  # per class: which class an item is confused with; tags have no such single class
        paths["class_health"] = io.write_table(out / a.CLASS_HEALTH, class_health(
            result.queue, result.pred_probs, list(labels or result.labels)))
    if result.annotators is not None:
        paths["annotators"] = io.write_table(out / a.ANNOTATORS, result.annotators)
    return paths


def _tasks_json(tasks: list[dict]) -> str:
    """Label Studio tasks as a JSON list, one task per line: each line by the json module's C encoder
    (an indented dump goes through its pure-Python encoder, ~6 CPU-s for 15,000 tasks)."""
    return "[\n" + ",\n".join(io.to_json(t, indent=None) for t in tasks) + "\n]\n"


def review_file(data: Path, out: Path, *, id_col: str = "id", text_col: str = "text", label_col: str = "label",
                annotator_col: str | None = None, feature_cols: Sequence[str] | None = None,
                labels: Sequence[str] | None = None, folds: int = 5, epochs: int = 5, seed: int = 0,
                top: int | None = None, corpus: Corpus | None = None, multilabel: bool = False,
                reporter: Reporter | None = None) -> tuple[SuspicionResult, dict]:
    """``wslab issues``: read a labelled table (texts joined from ``corpus`` by id when given), rank its labels, write the review files into ``out``
    (:func:`write_review`, plus summary.json); return the result and the summary."""
    io.check_outputs_spare_inputs(_review_outputs(out), {"labelled table": data,
                                                         "corpus": corpus.path if corpus is not None else None})
    tag_col = _tag_column(data, label_col, multilabel)
    if tag_col is not None:
        return review_tag_file(data, out, id_col=id_col, text_col=text_col, tag_col=tag_col, feature_cols=feature_cols,
                               tags=labels, folds=folds, epochs=epochs, seed=seed, top=top, corpus=corpus,
                               reporter=reporter)
    required = [id_col, label_col] + ([] if feature_cols or corpus else [text_col]) + ([annotator_col] if annotator_col else [])
    df = io.read_table(data, required=required, what="labelled table", id_columns=[id_col])
    if corpus is not None:
        df = with_corpus_texts(df, corpus, id_col=id_col, text_col=text_col, source=str(data))
    result = find_suspicious_labels(
        df, id_col=id_col, text_col=text_col if text_col in df.columns else None, label_col=label_col,
        labels=labels, annotator_col=annotator_col, feature_cols=feature_cols, seed=seed, folds=folds,
        epochs=epochs, source=str(data), reporter=reporter)
    paths = write_review(result, out, top=top, title=f"Data map: {Path(data).name}")
    queue_rows = int(min(result.summary["flagged"], top or result.summary["flagged"]))
    summary = {**result.summary, "queue_rows": queue_rows, "out": str(out), "queue": str(paths["queue"]),
               "files": {k: str(v) for k, v in paths.items()}}
    io.write_json(out / artifacts.REVIEW_SUMMARY, summary)
    return result, summary


def _tag_column(data: Path, label_col: str, multilabel: bool) -> str | None:
    """The column of tag sets when ``data`` is a multi-label table: ``label_col`` holding lists (or
    any ``label_col`` with ``multilabel``), or, without ``label_col``, a ``tags`` column (labels.parquet
    of a multi-label run). None for a single-label table."""
    schema = io.scan_table(data, what="labelled table").collect_schema()
    if label_col in schema:
        return label_col if multilabel or isinstance(schema[label_col], pl.List) else None
    if "tags" in schema and (multilabel or isinstance(schema["tags"], pl.List)):
        return "tags"
    return None


def review_tag_file(data: Path, out: Path, *, id_col: str, text_col: str, tag_col: str,
                    feature_cols: Sequence[str] | None, tags: Sequence[str] | None, folds: int, epochs: int,
                    seed: int, top: int | None, corpus: Corpus | None,
                    reporter: Reporter | None) -> tuple[SuspicionResult, dict]:
    """``wslab issues`` on a multi-label table (tag cells ``a;b`` or lists in ``tag_col``):
    :func:`wslab.app.suspicious_tags.find_suspicious_tags`, the same review files."""
    from wslab.app.suspicious_tags import find_suspicious_tags, tag_table_matrix

    required = [id_col, tag_col] + ([] if feature_cols or corpus else [text_col])
    df = io.read_table(data, required=required, what="labelled table", id_columns=[id_col])
    dup = ~df[id_col].is_first_distinct()
    if dup.any():
        i = int(dup.arg_true()[0])
        raise InputError(f"{data}: row {i + 2}: duplicate {id_col} {df[id_col][i]!r}; expected each {id_col} once")
    if corpus is not None:
        df = with_corpus_texts(df, corpus, id_col=id_col, text_col=text_col, source=str(data))
    given, tag_list = tag_table_matrix(df, label_col=tag_col, tags=list(tags) if tags else None, source=str(data))
    has_text = text_col in df.columns
    X = build_features(df, text_col=text_col if has_text else None, feature_cols=feature_cols, source=str(data)) \
        if feature_cols else None
    texts = df[text_col].cast(pl.String).fill_null("").to_list() if has_text else None
    result = find_suspicious_tags(df[id_col].cast(pl.String), texts, given, None, tag_list, X=X, folds=folds,
                                  epochs=epochs, seed=seed, source=str(data), reporter=reporter)
    paths = write_review(result, out, top=top, title=f"Data map: {Path(data).name}")
    queue_rows = int(min(result.summary["flagged"], top or result.summary["flagged"]))
    summary = {**result.summary, "rows": int(df.height), "queue_rows": queue_rows, "out": str(out),
               "queue": str(paths["queue"]), "files": {k: str(v) for k, v in paths.items()}}
    io.write_json(out / artifacts.REVIEW_SUMMARY, summary)
    return result, summary


def _review_outputs(out: Path) -> list[Path]:
    """Every file :func:`review_file` may write into ``out``."""
    a = artifacts
    return [out / name for name in (*a.REVIEW_FILES, a.REVIEW_SUMMARY, a.ANNOTATORS)]


def with_corpus_texts(df: pl.DataFrame, corpus, *, id_col: str, text_col: str, source: str) -> pl.DataFrame:
    """``df`` with the ``text_col`` of each id taken from ``corpus`` (a :class:`wslab.core.data.Corpus`);
    an id the corpus lacks is an InputError naming the row."""
    ids = df[id_col].cast(pl.String)
    missing = (~ids.is_in(corpus.ids.implode())).arg_true()
    if len(missing):
        i = int(missing[0])
        raise InputError(f"{source}: row {i + 2}: id {ids[i]!r} is not in the corpus {corpus.name}; expected corpus ids")
    return df.drop(text_col, strict=False).with_columns(pl.Series(text_col, corpus.texts(ids)))


def review_project_gold(cfg, out: Path, *, folds: int = 5, epochs: int = 5, top: int | None = None,
                        reporter: Reporter | None = None) -> tuple[SuspicionResult, dict]:
    """``wslab issues --config``: the project's gold file, as the next run sees it (expert corrections
    applied), with the corpus texts joined, checked like any labelled table."""
    from wslab.core.errors import ConfigError
    from wslab.app.project import open_data

    if cfg.gold is None:
        raise ConfigError(f"{cfg.config_path}: key 'gold': required by wslab issues --config; expected a gold file")
    io.check_outputs_spare_inputs([*_review_outputs(out), out / "gold_checked.csv"], {
        "config": cfg.config_path, "corpus": cfg.resolve(cfg.corpus.path), "gold": cfg.resolve(cfg.gold.path),
        "answers store": cfg.review_path("answers"), "frozen split": cfg.review_path("split")})
    corpus, gold = open_data(cfg)
    if cfg.multilabel:  # tag cells from the multi-label Gold's tag_matrix
        from wslab.app.suspicious_tags import tag_cells

        table = pl.DataFrame({"id": gold.ids, "label": tag_cells(gold.tag_matrix, cfg.label_names)})
    else:
        table = pl.DataFrame({"id": gold.ids, "label": [cfg.label_names[k] for k in gold.y]})
    path = out / "gold_checked.csv"
    io.write_table(path, table)
    return review_file(path, out, labels=cfg.label_names, folds=folds, epochs=epochs, seed=cfg.seed, top=top,
                       corpus=corpus, multilabel=cfg.multilabel, reporter=reporter)
