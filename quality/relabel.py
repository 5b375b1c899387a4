"""Expert answers back into a gold or label file: parse, check, apply, audit.

The original file is never changed: :func:`apply_answers` returns a new table and an audit log
(``id``, ``old_label``, ``new_label``, ``changed``, ``expert``, ``time``), and
:func:`next_version_path` names the new file (``gold.csv`` -> ``gold.v2.csv`` -> ``gold.v3.csv``).

Answers come as a table (the CSV form of ``wslab relabel export --out answers.csv``, filled in: columns
``id`` and ``new_label``, or ``label``; optional ``expert``/``annotator`` and ``time``) or as a
Label Studio JSON export (a list of tasks; the item id is ``data.id``, the answer the
``choices`` of the task's latest annotation that was not cancelled).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from wslab.errors import InputError

__all__ = ["ANSWER_COLUMNS", "parse_answer_table", "parse_label_studio_export", "apply_answers",
           "next_version_path"]

ANSWER_COLUMNS = ["id", "new_label", "expert", "time"]
_SCHEMA = {"id": pl.String, "new_label": pl.String, "expert": pl.String, "time": pl.String}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_answer_table(df: pl.DataFrame, *, source: str, expert: str = "expert",
                       time: str | None = None) -> pl.DataFrame:
    """Answers from a table. Rows whose answer is blank are not answers and are dropped."""
    if "id" not in df.columns:
        raise InputError(f"{source}: missing column 'id' in answers; found columns {df.columns}")
    label_col = next((c for c in ("new_label", "expert_label", "label") if c in df.columns), None)
    if label_col is None:
        raise InputError(f"{source}: missing column 'new_label' (or 'label') in answers; found columns {df.columns}")
    expert_col = next((c for c in ("expert", "annotator") if c in df.columns), None)
    time_col = next((c for c in ("time", "created_at", "updated_at") if c in df.columns), None)
    now = time or _now()
    out = df.select(
        pl.col("id").cast(pl.String),
        pl.col(label_col).cast(pl.String).str.strip_chars().alias("new_label"),
        (pl.col(expert_col).cast(pl.String).fill_null(expert) if expert_col else pl.lit(expert)).alias("expert"),
        (pl.col(time_col).cast(pl.String).fill_null(now) if time_col else pl.lit(now)).alias("time"),
    )
    missing_id = out["id"].is_null()
    if missing_id.any():
        raise InputError(f"{source}: row {int(missing_id.arg_true()[0]) + 2}: missing value in column 'id' of answers")
    return out.filter(pl.col("new_label").is_not_null() & (pl.col("new_label") != ""))


def _who(completed_by: object, default: str) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id") or default)
    return default if completed_by is None else str(completed_by)


def parse_label_studio_export(tasks: object, *, source: str, expert: str = "expert",
                              from_name: str | None = None) -> pl.DataFrame:
    """Answers from a Label Studio JSON export (a list of tasks).

    Per task, the latest annotation (by ``updated_at``/``created_at``) that is not cancelled and
    has a ``choices`` result (from ``from_name`` if given) is the answer; tasks without one are
    skipped.
    """
    if not isinstance(tasks, list):
        raise InputError(f"{source}: expected a Label Studio JSON export (a list of tasks), found "
                         f"{type(tasks).__name__}")
    rows = []
    for n, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputError(f"{source}: task {n}: no 'data' object; expected a Label Studio JSON export "
                             "(not JSON_MIN or CSV)")
        item = task["data"].get("id")
        if item is None:
            raise InputError(f"{source}: task {n}: no 'data.id'; expected tasks created by wslab relabel export")
        best = None
        for ann in task.get("annotations") or []:
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            choices = [r for r in ann.get("result") or []
                       if isinstance(r, dict) and r.get("type") == "choices"
                       and (from_name is None or r.get("from_name") == from_name)]
            if not choices:
                continue
            picked = (choices[0].get("value") or {}).get("choices") or []
            if len(picked) != 1:
                raise InputError(f"{source}: task {n} (id {item!r}): {len(picked)} choices in an annotation; "
                                 "expected exactly one label")
            when = str(ann.get("updated_at") or ann.get("created_at") or "")
            if best is None or when >= best[2]:
                best = (str(picked[0]), _who(ann.get("completed_by"), expert), when)
        if best is not None:
            rows.append({"id": str(item), "new_label": best[0], "expert": best[1], "time": best[2] or _now()})
    return pl.DataFrame(rows, schema=_SCHEMA)


def apply_answers(
    table: pl.DataFrame,
    answers: pl.DataFrame,
    *,
    id_col: str = "id",
    label_col: str = "label",
    labels: Iterable[str] | None = None,
    queue_ids: Iterable[object] | None = None,
    source: str = "table",
    answers_source: str = "answers",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(new_table, audit)``; ``table`` itself is not modified.

    Every answered id must be in ``queue_ids`` (when given) and in ``table``; every new label
    must be one of ``labels`` (default: the labels already in ``table``). When one id has
    several answers, the latest ``time`` wins. A labels file with ``confidence``, ``p_<class>``
    and ``source`` columns gets confidence 1, a one-hot probability row and source ``expert``
    on the changed rows.
    """
    for name in (id_col, label_col):
        if name not in table.columns:
            raise InputError(f"{source}: missing column {name!r}; found columns {table.columns}")
    key = table[id_col].cast(pl.String)
    if queue_ids is not None:
        allowed = {str(x) for x in queue_ids}
        outside = ~answers["id"].is_in(list(allowed))
        if outside.any():
            bad = answers["id"][int(outside.arg_true()[0])]
            raise InputError(f"{answers_source}: id {bad!r} is not in the queue; expected ids of exported queue "
                             f"items ({int(outside.sum())} of {answers.height} answers are not)")
    unknown = ~answers["id"].is_in(key.implode())
    if unknown.any():
        bad = answers["id"][int(unknown.arg_true()[0])]
        raise InputError(f"{answers_source}: id {bad!r} is not in {source}; expected ids of {source}")
    allowed_labels = sorted({str(x) for x in (labels if labels is not None else
                                               table[label_col].drop_nulls().cast(pl.String).unique())})
    wrong = ~answers["new_label"].is_in(allowed_labels)
    if wrong.any():
        i = int(wrong.arg_true()[0])
        raise InputError(f"{answers_source}: id {answers['id'][i]!r}: label {answers['new_label'][i]!r} is not one "
                         f"of {allowed_labels}")
    latest = answers.sort("time").unique("id", keep="last", maintain_order=True)
    with_key = table.with_columns(key.alias("__key"))
    joined = with_key.join(latest.rename({"id": "__key"}), on="__key", how="left", maintain_order="left")
    old = joined[label_col].cast(pl.String)
    answered = joined["new_label"].is_not_null()
    audit = pl.DataFrame({
        "id": joined[id_col].filter(answered).cast(pl.String),
        "old_label": old.filter(answered),
        "new_label": joined["new_label"].filter(answered),
        "changed": (old != joined["new_label"]).fill_null(True).filter(answered),
        "expert": joined["expert"].filter(answered),
        "time": joined["time"].filter(answered),
    })
    changed = (answered & (old != joined["new_label"]).fill_null(True)).alias("__changed")
    new = joined.with_columns(changed).with_columns(
        pl.when(pl.col("__changed")).then(pl.col("new_label")).otherwise(pl.col(label_col).cast(pl.String))
        .alias(label_col))
    updates = []
    if "confidence" in table.columns:
        updates.append(pl.when(pl.col("__changed")).then(1.0).otherwise(pl.col("confidence")).alias("confidence"))
    if "source" in table.columns:
        updates.append(pl.when(pl.col("__changed")).then(pl.lit("expert")).otherwise(pl.col("source"))
                       .alias("source"))
    for col in table.columns:
        if col.startswith("p_") and table.schema[col].is_numeric():
            cls = col[2:]
            updates.append(pl.when(pl.col("__changed")).then((pl.col(label_col) == cls).cast(table.schema[col]))
                           .otherwise(pl.col(col)).alias(col))
    if updates:
        new = new.with_columns(updates)
    new = new.select(table.columns)
    if table.schema[label_col] != pl.String:
        new = new.with_columns(pl.col(label_col).cast(table.schema[label_col], strict=False))
    return new, audit


def next_version_path(path: str | Path) -> Path:
    """``gold.csv`` -> ``gold.v2.csv`` (or the next free ``.vN``); ``gold.v2.csv`` -> ``gold.v3.csv``."""
    p = Path(path)
    m = re.fullmatch(r"(.*)\.v(\d+)", p.stem)
    base, n = (m.group(1), int(m.group(2)) + 1) if m else (p.stem, 2)
    while (p.parent / f"{base}.v{n}{p.suffix}").exists():
        n += 1
    return p.parent / f"{base}.v{n}{p.suffix}"
