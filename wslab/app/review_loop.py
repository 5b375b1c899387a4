"""The review loop: expert answers come back, the next run uses them, every round is measured.

Three project files (paths: :meth:`wslab.core.config.Config.review_path`), none of them an input the
user wrote, and no input file is ever modified:

- the **answers store** (``wslab_answers.csv``), append-only: one audit row per answer
  (:data:`ANSWERS_SCHEMA`); ``wslab relabel import`` appends a round to it
  (:func:`import_answers`);
- the **frozen split** (``wslab_split.csv``: ``id``, ``split``), written at the first run; a gold
  test item never moves, gold rows added later go to dev (:func:`frozen_gold`);
- the **rounds** file (``wslab_rounds.csv``: ``round``, ``id``, ``label``): each round's final
  labels on gold test, so every round is scored on the same frozen test with today's gold
  labels (:func:`record_round`).

A run never writes the split or the rounds file from inside a step: :func:`freeze_split` and
:func:`record_round` return what to store (:class:`ProjectStores`) and the orchestrator writes it
(:func:`write_project_stores`) only after every stage of the run succeeded, so a failed run
leaves no new split and no new round behind.

What the next ``apply`` does with the answers (:func:`frozen_gold`, :func:`expert_labels`): an
answer for a gold id replaces the gold label; an answer for any other document joins gold dev
(``review_loop.expert_labels: dev``); every answered document gets the expert's label in
labels.parquet (source ``expert``) and leaves the queue.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core import io
from wslab.core.config import Config
from wslab.core.data import Corpus, Gold
from wslab.core.errors import InputError
from wslab.core.project_lock import project_lock
from wslab.core.rundir import check_project_stores

__all__ = ["ANSWERS_SCHEMA", "SIGNALS", "ExpertLabels", "read_answers", "latest_answers", "import_answers",
           "frozen_gold", "expert_labels", "freeze_split", "drop_reviewed", "record_round", "round_table",
           "ProjectStores", "write_project_stores", "read_rounds"]

ANSWERS_SCHEMA = {"id": pl.String, "label": pl.String, "round": pl.Int64, "expert": pl.String, "at": pl.String,
                  "label_before": pl.String, "suggested": pl.String, "accepted": pl.Boolean, "source": pl.String,
                  "signals": pl.String}
"""The answers store: the answer ``label`` for document ``id`` in review ``round`` by ``expert`` at
``at``; ``label_before`` is the label the expert was shown (the queue's given label), ``suggested``
wslab's suggestion, ``accepted`` whether the answer is the suggestion, ``source`` where it came
from (Label Studio task and annotation ids), ``signals`` which queue signals flagged the item."""

SIGNALS = ("cleanlab", "cartography", "lf_conflict", "disagreement")


def read_answers(path: Path) -> pl.DataFrame:
    """The answers store (empty when there is none yet), ids as text."""
    if not path.exists():
        return pl.DataFrame(schema=ANSWERS_SCHEMA)
    try:
        df = pl.read_csv(path, infer_schema=False)
    except Exception as exc:
        raise InputError(f"{path}: cannot read the answers store: {str(exc).splitlines()[0]}") from None
    missing = [c for c in ANSWERS_SCHEMA if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r} in the answers store; expected {list(ANSWERS_SCHEMA)}")
    bad = df.with_row_index("_row").filter(~pl.col("round").str.contains(r"^\d+$").fill_null(False)).head(1)
    if bad.height:
        raise InputError(f"{path}: row {bad['_row'][0] + 2}: round {bad['round'][0]!r}; expected a whole number")
    return df.select(pl.col(c).cast(t) if t != pl.Boolean else (pl.col(c).str.to_lowercase() == "true").alias(c)
                     for c, t in ANSWERS_SCHEMA.items())


def latest_answers(store: pl.DataFrame) -> pl.DataFrame:
    """One row per document: its latest answer (highest round, then latest time)."""
    return store.with_row_index("_n").sort(["round", "at", "_n"]).unique("id", keep="last").sort("_n").drop("_n")


def _check_answers(answers: pl.DataFrame, labels: Sequence[str], corpus_ids: pl.Series, *, source: str,
                   multilabel: bool = False) -> None:
    if multilabel:  # every cell parses as tags of the project
        from wslab.core.data import parse_tag_cell

        for item, cell in answers.select("id", "label").rows():  # one parse per answer
            parse_tag_cell(cell, labels, f"{source}: id {item!r}")
    wrong = answers.with_row_index("_row").filter(~pl.col("label").is_in(list(labels))).head(1)
    if wrong.height and not multilabel:
        raise InputError(f"{source}: id {wrong['id'][0]!r}: label {wrong['label'][0]!r} is not one of the project's "
                         f"classes {list(labels)}")
    unknown = answers.filter(~pl.col("id").is_in(corpus_ids.implode())).head(1)
    if unknown.height:
        raise InputError(f"{source}: id {unknown['id'][0]!r} is not in the corpus; expected ids of corpus documents")


def _current_labels(cfg: Config, store: pl.DataFrame) -> dict[str, str]:
    """What a document is labelled now: the last run's label, the gold label, the latest answer."""
    current: dict[str, str] = {}
    labels_file = cfg.resolve(cfg.output.dir) / "labels.parquet"
    multi = cfg.multilabel
    if labels_file.exists():
        col = "tags" if multi else "label"
        current.update(_cells(pl.read_parquet(labels_file, columns=["id", col]), col, multi).iter_rows())
    if cfg.gold is not None:
        gold = io.read_table(cfg.resolve(cfg.gold.path), required=[cfg.gold.id_column, cfg.gold.label_column],
                             what="gold", id_columns=[cfg.gold.id_column])
        current.update(_cells(gold.select(pl.col(cfg.gold.id_column).alias("id"), cfg.gold.label_column),
                              cfg.gold.label_column, multi).iter_rows())
    current.update(latest_answers(store).select("id", "label").iter_rows())
    return current


def _cells(df: pl.DataFrame, col: str, multilabel: bool) -> pl.DataFrame:
    """``id`` and the label as text; a multi-label list cell as one ``;`` cell (in the list's order)."""
    if multilabel and isinstance(df.schema[col], pl.List):
        return df.select(pl.col("id").cast(pl.String), pl.col(col).list.join(";"))
    return df.select(pl.col("id").cast(pl.String), pl.col(col).cast(pl.String))


def import_answers(cfg: Config, answers: Path, *, expert: str | None = None) -> dict[str, Any]:
    """``wslab relabel import --config``: append the answers in ``answers`` (a Label Studio JSON,
    JSON_MIN or CSV export, or the CSV form) to the store as the next round; return a summary."""
    from wslab.quality.relabel import parse_expert_answers

    parsed = parse_expert_answers(answers, expert=expert, tags=cfg.label_names if cfg.multilabel else None)
    if parsed.height == 0:
        raise InputError(f"{answers}: no answered items (skipped tasks are not answers); expected at least one label")
    corpus = Corpus.open(cfg.resolve(cfg.corpus.path), id_column=cfg.corpus.id_column, text_column=cfg.corpus.text_column)
    _check_answers(parsed, cfg.label_names, corpus.ids, source=str(answers), multilabel=cfg.multilabel)
    check_project_stores(cfg)
    path = cfg.review_path("answers")
    if _real(answers) == _real(path):
        raise InputError(f"{answers}: is the project's answers store; expected an export of the expert's answers "
                         "(the store is appended to, never read as an import)")
    with project_lock(path):  # read, append a round, rewrite: one import at a time
        return _append_round(cfg, parsed, path)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _append_round(cfg: Config, parsed: pl.DataFrame, path: Path) -> dict[str, Any]:
    store = read_answers(path)
    current = _current_labels(cfg, store)
    rnd = int(store["round"].max() or 0) + 1
    new = parsed.with_columns(
        pl.col("given_label").fill_null(pl.col("id").replace_strict(current, default=None, return_dtype=pl.String))
        .alias("label_before"),
        pl.lit(rnd, pl.Int64).alias("round"),
        (pl.col("label") == pl.col("suggested")).fill_null(False).alias("accepted"),
        pl.col("signals").fill_null(""),
    ).select(list(ANSWERS_SCHEMA))
    io.write_table(path, pl.concat([store, new]))
    changed = int((new["label"] != new["label_before"]).fill_null(True).sum())
    return {"round": rnd, "answers": new.height, "changed": changed, "accepted": int(new["accepted"].sum()),
            "experts": sorted(set(new["expert"].to_list())), "store": str(path), "rows_in_store": store.height + new.height}


# ------------------------------------------------------------------ what the next run uses


@dataclass(frozen=True)
class ExpertLabels:
    """The latest expert label of every answered document (class indices; in a multi-label
    project the (n, tags) 0/1 matrix of the answered tags), and how many rounds."""

    ids: pl.Series
    y: np.ndarray
    rounds: int


def expert_labels(cfg: Config, corpus: Corpus) -> ExpertLabels | None:
    """The answers store's latest label per document, checked against the project (None if empty)."""
    path = cfg.review_path("answers")
    store = read_answers(path)
    if store.height == 0:
        return None
    latest = latest_answers(store)
    _check_answers(latest, cfg.label_names, corpus.ids, source=str(path), multilabel=cfg.multilabel)
    if cfg.multilabel:  # y: the (n, tags) 0/1 matrix of the answers
        from wslab.core.data import tag_matrix

        return ExpertLabels(ids=latest["id"], y=tag_matrix(latest["label"].to_list(), cfg.label_names, where=str(path)),
                            rounds=int(store["round"].max()))
    index = {lab: i for i, lab in enumerate(cfg.label_names)}
    return ExpertLabels(ids=latest["id"], y=np.array([index[v] for v in latest["label"]], dtype=np.int64),
                        rounds=int(store["round"].max()))


def read_split(path: Path) -> pl.DataFrame | None:
    if not path.exists():
        return None
    df = io.read_table(path, required=["id", "split"], what="frozen split")
    io.check_unique(df, "id", path=path, what="the frozen split")
    bad = df.with_row_index("_row").filter(~pl.col("split").is_in(["dev", "test"])).head(1)
    if bad.height:
        raise InputError(f"{path}: row {bad['_row'][0] + 2}: split {bad['split'][0]!r}; expected 'dev' or 'test'")
    return df.select(pl.col("id").cast(pl.String), "split")


def _check_test_kept(cfg: Config, ids: pl.Series, split: pl.Series, path: Path) -> None:
    """A gold id that an earlier round scored as test (``wslab_rounds.csv``) is test in the split
    still: a row deleted from the split (or turned into dev) would otherwise move it to dev."""
    rounds = cfg.review_path("rounds")
    if not rounds.exists():
        return
    history = pl.read_csv(rounds, schema={"round": pl.Int64, "id": pl.String, "label": pl.String})
    moved = ids.filter((split != "test").fill_null(True) & ids.is_in(history["id"].implode()))
    if len(moved):
        raise InputError(f"{path}: gold test id {moved[0]!r} (scored as test in {rounds.name}) is "
                         f"{'missing' if split.filter(ids == moved[0]).is_null().all() else 'dev'} here; expected "
                         "the frozen split unchanged: test never moves (restore the row, or delete the split, rounds "
                         "and answers files to start over)")


def frozen_gold(cfg: Config, gold: Gold | None, expert: ExpertLabels | None) -> Gold | None:
    """Gold as the next run sees it: the stored split (a test item never moves; gold rows the
    split file does not know go to dev), expert corrections of gold labels, and, with
    ``review_loop.expert_labels: dev``, the other answered documents added to dev. Of a multi-label
    gold (:class:`wslab.core.data.TagGold`, ``expert.y`` an (n, tags) matrix) a TagGold: an answer
    replaces the item's whole tag row."""
    if gold is None:
        return None
    stored = read_split(cfg.review_path("split"))
    is_dev = gold.is_dev
    if stored is not None:
        split = pl.DataFrame({"id": gold.ids}).join(stored, on="id", how="left", maintain_order="left")["split"]
        _check_test_kept(cfg, gold.ids, split, cfg.review_path("split"))
        is_dev = (split != "test").fill_null(True).to_numpy()
    ids, y = gold.ids, gold.y.copy()
    if expert is not None:
        pos = {v: i for i, v in enumerate(ids.to_list())}
        for item, label in zip(expert.ids.to_list(), expert.y):
            if item in pos:
                y[pos[item]] = label
        if cfg.review_loop.expert_labels == "dev":
            extra = ~expert.ids.is_in(ids.implode())
            ids = pl.concat([ids, expert.ids.filter(extra)])
            y = np.concatenate([y, expert.y[extra.to_numpy()].astype(y.dtype)])
            is_dev = np.concatenate([is_dev, np.ones(int(extra.sum()), dtype=bool)])
    return replace(gold, ids=ids.rename("id"), y=y, is_dev=is_dev)  # a TagGold stays one (its tags kept)


def freeze_split(gold_file: Gold | None) -> pl.DataFrame | None:
    """The split of the gold file's rows (``id``, ``split``) to store at the first run; the
    orchestrator stores it with :func:`write_project_stores` once the run succeeded, where only the
    rows the stored split does not know yet are added, as dev (the rule of :func:`frozen_gold`).
    Expert documents outside gold are not stored: they are dev by that rule."""
    if gold_file is None:
        return None
    return pl.DataFrame({"id": gold_file.ids.cast(pl.String), "split": np.where(gold_file.is_dev, "dev", "test")})


def merged_split(stored: pl.DataFrame | None, frame: pl.DataFrame) -> pl.DataFrame | None:
    """The split file after this run: ``frame`` at the first run; later the stored split plus the
    rows it does not know yet, as dev. None when nothing changes (a test item never moves)."""
    if stored is None:
        return frame
    new = frame.filter(~pl.col("id").is_in(stored["id"].implode())).with_columns(pl.lit("dev").alias("split"))
    return pl.concat([stored, new]) if new.height else None


def drop_reviewed(queue: pl.DataFrame, expert: ExpertLabels | None) -> pl.DataFrame:
    """The queue without the documents an expert already answered, ranks renumbered."""
    if expert is None or queue.height == 0:
        return queue
    out = queue.filter(~pl.col("id").cast(pl.String).is_in(expert.ids.implode()))
    return out.with_columns(pl.int_range(1, out.height + 1, dtype=pl.Int64).alias("rank")) if "rank" in out.columns else out


# ------------------------------------------------------------------ every round measured


ROUNDS_SCHEMA = {"round": pl.Int64, "id": pl.String, "label": pl.String}
"""The rounds file: the final label of each gold test item in each review round."""


def record_round(test_ids: pl.Series, test_labels: Sequence[str], rnd: int) -> pl.DataFrame:
    """This run's final labels of the gold test items as round ``rnd`` (``round``, ``id``,
    ``label``), to store with :func:`write_project_stores` once the run succeeded."""
    return pl.DataFrame({"round": pl.Series([rnd] * len(test_ids), dtype=pl.Int64), "id": test_ids.cast(pl.String),
                         "label": pl.Series(list(test_labels), dtype=pl.String)})


def read_rounds(path: Path) -> pl.DataFrame:
    """The rounds file (empty when there is none yet)."""
    return pl.read_csv(path, schema=ROUNDS_SCHEMA) if path.exists() else pl.DataFrame(schema=ROUNDS_SCHEMA)


def merged_rounds(stored: pl.DataFrame, now: pl.DataFrame | None) -> pl.DataFrame:
    """The stored rounds with ``now`` in place of an earlier run of the same round."""
    if now is None or now.height == 0:
        return stored
    rnd = now["round"].unique().to_list()
    return pl.concat([stored.filter(~pl.col("round").is_in(rnd)), now]).sort("round", maintain_order=True)


@dataclass(frozen=True)
class ProjectStores:
    """What a run adds to the project files outside its run folder: the gold split
    (:func:`freeze_split`) and this run's round (:func:`record_round`). Steps return it; only the
    orchestrator writes it (:func:`write_project_stores`), after every stage succeeded."""

    split: pl.DataFrame | None = None
    round: pl.DataFrame | None = None


def write_project_stores(cfg: Config, stores: ProjectStores) -> list[Path]:
    """Merge ``stores`` into the split and rounds files (read, merge, one atomic rewrite each);
    return the files written. Under the project lock (the one ``relabel import`` takes), so a
    concurrent writer of the project files never loses a row."""
    written = []
    with project_lock(cfg.review_path("answers")):
        if stores.split is not None:
            path = cfg.review_path("split")
            split = merged_split(read_split(path), stores.split)
            if split is not None:
                written.append(io.write_table(path, split))
        if stores.round is not None:
            path = cfg.review_path("rounds")
            written.append(io.write_table(path, merged_rounds(read_rounds(path), stores.round)))
    return written


def _precision(changed: int, n: int) -> dict[str, Any]:
    from wslab.core.stats.intervals import wilson_interval

    lo, hi = wilson_interval(changed, n)
    return {"n": n, "changed": changed, "precision": changed / n if n else None,
            "ci": [float(lo), float(hi)] if n else None}


def _round_answers(store: pl.DataFrame, rnd: int) -> dict[str, Any]:
    """Answers of round ``rnd``: how many, how many changed the label, the queue's precision overall
    and per signal (share of the reviewed items that signal flagged whose label the expert changed)."""
    # an empty cell reads back as null: in a multi-label store "" is the answer "no tag" (a single-label
    # label is never empty, so an unknown label_before still counts as changed)
    rows = store.filter(pl.col("round") == rnd).with_columns(
        (pl.col("label").fill_null("") != pl.col("label_before").fill_null("")).alias("_changed"))
    out = {"answers": rows.height, "changed": int(rows["_changed"].sum()), "accepted": int(rows["accepted"].sum()),
           "queue_precision": _precision(int(rows["_changed"].sum()), rows.height), "per_signal": {}}
    for sig in SIGNALS:
        hit = rows.filter(pl.col("signals").fill_null("").str.split(",").list.contains(sig))
        out["per_signal"][sig] = _precision(int(hit["_changed"].sum()), hit.height)
    return out


def round_table(cfg: Config, gold: Gold | None, *, current: pl.DataFrame | None = None, n_boot: int = 1000,
                seed: int = 0) -> list[dict[str, Any]]:
    """Per round: its answers (:func:`_round_answers`) and its final labels' scores on the frozen
    gold test, scored against today's gold labels (corrections included) with bootstrap CIs.
    ``current``: this run's round (:func:`record_round`), not stored yet, in place of a stored one.
    A multi-label project's rounds hold tag cells, scored as the evaluation scores tags
    (:func:`~wslab.core.stats.multilabel.multilabel_metrics`)."""
    store = read_answers(cfg.review_path("answers"))
    path = cfg.review_path("rounds")
    history = merged_rounds(read_rounds(path), current) if path.exists() or current is not None else None
    rounds = sorted(set(store["round"].to_list()) | set(history["round"].to_list() if history is not None else []) | {0})
    truth, score = (_tag_round_scorer if cfg.multilabel else _class_round_scorer)(cfg, gold, n_boot=n_boot, seed=seed)
    table = []
    for rnd in rounds:
        row: dict[str, Any] = {"round": rnd, **_round_answers(store, rnd)}
        if history is not None and truth is not None:
            got = truth.join(history.filter(pl.col("round") == rnd), on="id", how="inner")
            if got.height:
                row["test"] = score(got, rnd)
        table.append(row)
    return table


RoundScorer = Callable[[pl.DataFrame, int], dict[str, Any]]
"""A round's gold test items joined with its labels (``label``) -> its test scores."""


def _class_round_scorer(cfg: Config, gold: Gold | None, *, n_boot: int,
                        seed: int) -> tuple[pl.DataFrame | None, RoundScorer]:
    """Gold test (``id``, class index ``y``) and the scorer of a single-label round: accuracy and
    macro F1 with their CIs."""
    from wslab.core.stats.metrics import classification_report

    index = {lab: i for i, lab in enumerate(cfg.label_names)}
    truth = pl.DataFrame({"id": gold.test_ids, "y": gold.y_test}) if gold is not None else None

    def score(got: pl.DataFrame, rnd: int) -> dict[str, Any]:
        rep = classification_report(got["y"].to_numpy(), got["label"].replace_strict(index).to_numpy(),
                                    cfg.label_names, n_boot=n_boot, rng=np.random.default_rng([seed, rnd]))
        return {"n": rep["n"], "accuracy": rep["accuracy"], "macro_f1": rep["macro_f1"],
                "ci": {k: rep["ci"][k] for k in ("accuracy", "macro_f1")} if "ci" in rep else None}

    return truth, score


def _tag_round_scorer(cfg: Config, gold, *, n_boot: int, seed: int) -> tuple[pl.DataFrame | None, RoundScorer]:
    """Gold test (``id``, its ``_row`` in the test tag matrix) and the scorer of a multi-label round:
    the rounds file's tag cells against gold's ``tag_matrix``, scored by
    :func:`~wslab.core.stats.multilabel.multilabel_metrics` as the evaluation is."""
    from wslab.core.data import tag_matrix
    from wslab.core.stats.multilabel import multilabel_metrics

    if gold is None:
        return None, lambda got, rnd: {}
    test = ~np.asarray(gold.is_dev)
    truth = pl.DataFrame({"id": gold.ids.filter(pl.Series(test)), "_row": np.arange(int(test.sum()))})
    truth_matrix = np.asarray(gold.tag_matrix)[test]

    def score(got: pl.DataFrame, rnd: int) -> dict[str, Any]:
        pred = tag_matrix(got["label"].to_list(), cfg.label_names, where=str(cfg.review_path("rounds")))
        return multilabel_metrics(truth_matrix[got["_row"].to_numpy()], pred, cfg.label_names,
                                  n_boot=n_boot, seed=[seed, rnd])

    return truth, score


