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
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from wslab.core.errors import InputError

__all__ = ["ANSWER_COLUMNS", "parse_answer_table", "parse_label_studio_export", "apply_answers", "parse_expert_answers",
           "next_version_path"]

ANSWER_COLUMNS = ["id", "new_label", "expert", "time"]
_SCHEMA = {"id": pl.String, "new_label": pl.String, "expert": pl.String, "time": pl.String}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def utc_instant(value: object, *, where: str) -> str:
    """An annotation time as one UTC text (``2024-05-01T08:00:00.000000+00:00``), so that texts
    compare as the instants they name: ``10:00+02:00`` is earlier than ``09:00Z``. A time without
    a zone is UTC (what Label Studio writes); ``""`` stays ``""`` (no time given).

    >>> utc_instant("2024-05-01T10:00:00+02:00", where="x") < utc_instant("2024-05-01T09:00:00Z", where="x")
    True
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: time {text!r} is not an ISO 8601 date and time; expected e.g. "
                         "2024-05-01T10:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _checked_time(value: object, *, where: str) -> str:
    """The time as written, once :func:`utc_instant` accepts it."""
    utc_instant(value, where=where)
    return "" if value is None else str(value).strip()


def by_time(df: pl.DataFrame, column: str) -> pl.DataFrame:
    """``df`` sorted by the instants in ``column`` (stable; a value that is no time sorts as written).

    >>> by_time(pl.DataFrame({"t": ["2024-05-01T09:00:00Z", "2024-05-01T10:00:00+02:00"]}), "t")["t"].to_list()
    ['2024-05-01T10:00:00+02:00', '2024-05-01T09:00:00Z']
    """
    key = pl.Series([_instant_or_text(v) for v in df[column].to_list()], dtype=pl.String)
    return df.with_columns(key.alias("__instant")).sort("__instant", maintain_order=True).drop("__instant")


def _instant_or_text(value: object) -> str:
    try:
        return utc_instant(value, where="")
    except InputError:  # not a time (an API caller's own key): compared as written
        return str(value)


def _annotations(task: dict, *, where: str) -> list:
    """A task's ``annotations``: a list (missing or null: none); anything else is not an export."""
    anns = task.get("annotations")
    if anns is None:
        return []
    if not isinstance(anns, list):
        raise InputError(f"{where}: key 'annotations' is a JSON {_json_type(anns)}; expected a list of annotations")
    return anns


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number"}.get(type(value), "null" if value is None else type(value).__name__)


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
    if time_col:  # checked here; compared as instants (by_time)
        for i, t in enumerate(out["time"].to_list()):
            utc_instant(t, where=f"{source}: row {i + 2}: column {time_col!r}")
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
        item = task["data"].get("wslab_id", task["data"].get("id"))
        if item is None:
            raise InputError(f"{source}: task {n}: no 'data.id'; expected tasks created by wslab relabel export")
        best = None
        for ann in _annotations(task, where=f"{source}: task {n}"):
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
            written = str(ann.get("updated_at") or ann.get("created_at") or "")
            when = utc_instant(written, where=f"{source}: task {n} (id {item!r})")
            if best is None or when >= best[2]:
                best = (str(picked[0]), _who(ann.get("completed_by"), expert), when, written)
        if best is not None:
            rows.append({"id": str(item), "new_label": best[0], "expert": best[1], "time": best[3] or _now()})
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
    multilabel: bool = False,
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
    wrong = ~answers["new_label"].is_in(allowed_labels) if not multilabel else pl.Series([False] * answers.height)
    if wrong.any():
        i = int(wrong.arg_true()[0])
        raise InputError(f"{answers_source}: id {answers['id'][i]!r}: label {answers['new_label'][i]!r} is not one "
                         f"of {allowed_labels}")
    latest = by_time(answers, "time").unique("id", keep="last", maintain_order=True)
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
            hit = pl.col(label_col).str.split(";").list.contains(cls) if multilabel else pl.col(label_col) == cls
            updates.append(pl.when(pl.col("__changed")).then(hit.cast(table.schema[col]))
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


# ------------------------------------------------------------------ Label Studio exports -> answers

EXPERT_ANSWER_SCHEMA = {"id": pl.String, "label": pl.String, "expert": pl.String, "at": pl.String,
                        "given_label": pl.String, "suggested": pl.String, "signals": pl.String, "source": pl.String}
"""What :func:`parse_expert_answers` returns: one row per answered item (its latest answer)."""

_NOT_AN_EXPORT = "expected a Label Studio JSON, JSON_MIN or CSV export, or the CSV form of wslab relabel export"


def _user(who: object) -> str | None:
    """The expert a Label Studio annotation names: e-mail or username, else ``label-studio user N``."""
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or f"label-studio user {who.get('id')}")
    if who is None or str(who).strip() == "":
        return None
    text = str(who).strip()
    return text if not text.lstrip("-").isdigit() else f"label-studio user {text}"


def _tag_choices(value: object, *, where: str, tags: Sequence[str]) -> str:
    """A multi-choice answer as one tag cell (``;``-separated, in tag order); no choice = no tag.
    Label Studio's CSV export writes several choices as ``{"choices": [...]}`` text."""
    import json

    from wslab.core.data import TAG_SEPARATOR, parse_tag_cell

    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InputError(f"{where}: choices {value!r} are not valid JSON; expected {{\"choices\": [...]}}") from None
    if isinstance(value, dict):
        value = value.get("choices")
    if value is None or value == "":
        return ""
    return TAG_SEPARATOR.join(parse_tag_cell(value if isinstance(value, list) else str(value), tags, where))


def _one_choice(value: object, *, where: str, tags: Sequence[str] | None = None) -> str | None:
    if tags is not None:
        return _tag_choices(value, where=where, tags=tags)
    if isinstance(value, dict):
        value = value.get("choices")
    if value is None or value == "":
        return None
    if isinstance(value, list):
        if len(value) != 1:
            raise InputError(f"{where}: {len(value)} choices in an annotation; expected exactly one label")
        value = value[0]
    return str(value)


def _task_item(data: dict, *, where: str) -> str:
    item = data.get("wslab_id", data.get("id"))
    if item is None or str(item).strip() == "":
        raise InputError(f"{where}: no 'data.wslab_id'; expected tasks written by wslab relabel export")
    return str(item)


def _answers_from_json(tasks: list, *, source: str, tags: Sequence[str] | None = None) -> list[dict]:
    rows = []
    for n, task in enumerate(tasks):
        where = f"{source}: task {n}"
        if not isinstance(task, dict):
            raise InputError(f"{where}: a JSON {_json_type(task)}; expected a task object; {_NOT_AN_EXPORT}")
        if not isinstance(task.get("data"), dict):
            raise InputError(f"{where}: no 'data' object; {_NOT_AN_EXPORT}")
        data, item = task["data"], _task_item(task["data"], where=where)
        for k, ann in enumerate(_annotations(task, where=f"{where} (id {item!r})")):
            if not isinstance(ann, dict):
                raise InputError(f"{where} (id {item!r}): annotations[{k}] is a JSON {_json_type(ann)}; expected an "
                                 "annotation object")
            if ann.get("was_cancelled"):
                continue  # a skipped task is no answer
            result = ann.get("result") or []
            if not isinstance(result, list):
                raise InputError(f"{where} (id {item!r}): annotations[{k}].result is a JSON {_json_type(result)}; "
                                 "expected a list of results")
            results = [r for r in result if isinstance(r, dict) and r.get("type") == "choices"]
            label = _one_choice((results[0].get("value") if results else None), where=f"{where} (id {item!r})",
                                tags=tags)
            if label is None:
                continue
            rows.append({"id": item, "label": label, "expert": _user(ann.get("completed_by")),
                         "at": _checked_time(ann.get("updated_at") or ann.get("created_at"), where=f"{where} (id {item!r})"),
                         "given_label": data.get("given_label"), "suggested": data.get("suggested_label"),
                         "signals": data.get("signals"),
                         "source": f"label-studio task {task.get('id')} annotation {ann.get('id')}"})
    return rows


def _answers_from_rows(records: list[dict], *, source: str, fmt: str, tags: Sequence[str] | None = None) -> list[dict]:
    """JSON_MIN and Label Studio CSV: one flat record per annotation (skipped tasks are left out)."""
    rows = []
    for n, rec in enumerate(records):
        where = f"{source}: {'row ' + str(n + 2) if fmt == 'CSV' else 'record ' + str(n)}"
        if not isinstance(rec, dict):
            raise InputError(f"{where}: not an object; {_NOT_AN_EXPORT}")
        if "wslab_id" not in rec:
            raise InputError(f"{where}: no 'wslab_id' field; Label Studio's {fmt} export replaces data.id with its "
                             "task id, so tasks must come from this wslab's relabel export (or export as JSON)")
        label = _one_choice(rec.get("label"), where=f"{where} (id {rec['wslab_id']!r})", tags=tags)
        if label is None:
            continue
        rows.append({"id": str(rec["wslab_id"]), "label": label, "expert": _user(rec.get("annotator")),
                     "at": _checked_time(rec.get("updated_at") or rec.get("created_at"), where=where),
                     "given_label": rec.get("given_label"), "suggested": rec.get("suggested_label"),
                     "signals": rec.get("signals"),
                     "source": f"label-studio task {rec.get('id')} annotation {rec.get('annotation_id')}"})
    return rows


def _answers_from_form(df: pl.DataFrame, *, source: str, tags: Sequence[str] | None = None) -> list[dict]:
    form = parse_answer_table(df, source=source)
    if tags is not None:  # a filled-in cell of tags; blank = not answered
        form = form.with_columns(pl.Series("new_label", [
            _tag_choices(v, where=f"{source}: id {i!r}", tags=tags) for i, v in form.select("id", "new_label").rows()],
            dtype=pl.String))
    extra = {c: df[c].cast(pl.String) for c in ("given_label", "suggested_label", "signals") if c in df.columns}
    keep = df.with_row_index("_row").with_columns(pl.col("id").cast(pl.String)).select("_row", "id", **extra)
    joined = form.join(keep, on="id", how="left")
    return [{"id": r["id"], "label": r["new_label"], "expert": r["expert"] if "expert" in df.columns else None,
             "at": r["time"], "given_label": r.get("given_label"), "suggested": r.get("suggested_label"),
             "signals": r.get("signals"), "source": f"{Path(source).name} row {r['_row'] + 2}"}
            for r in joined.iter_rows(named=True)]


def read_export(path: Path) -> tuple[str, object]:
    """``(format, content)`` of an answers file: ``JSON`` (a list of tasks), ``JSON_MIN`` (a list of
    flat records), ``CSV`` (Label Studio's CSV export, as records) or ``FORM`` (a polars frame)."""
    import json

    from wslab.core.io import check_utf8, read_table

    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"{path}: unsupported answers file type {suffix or '(none)'!r}; {_NOT_AN_EXPORT}")
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    check_utf8(path)
    if suffix == ".csv":
        df = read_table(path, what="answers", id_columns=[c for c in ("id", "wslab_id") if c])
        if "wslab_id" in df.columns or {"annotation_id", "annotator"} <= set(df.columns):
            df = pl.read_csv(path, infer_schema=False)  # every field as written: ids stay text
            return "CSV", df.to_dicts()
        return "FORM", df
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); {_NOT_AN_EXPORT}") from None
    if not isinstance(obj, list):
        raise InputError(f"{path}: found a JSON {type(obj).__name__}; {_NOT_AN_EXPORT} (a list)")
    first = obj[0] if obj else {}
    return ("JSON" if isinstance(first, dict) and "data" in first else "JSON_MIN"), obj


def parse_expert_answers(path: str | Path, *, expert: str | None = None,
                         tags: Sequence[str] | None = None) -> pl.DataFrame:
    """The expert's answers in ``path`` (:data:`EXPERT_ANSWER_SCHEMA`), the latest answer per item.

    Reads Label Studio's JSON, JSON_MIN and CSV exports and the CSV form of ``wslab relabel
    export``; ids stay text. A task annotated twice counts once, with its latest answer (by
    ``updated_at``); skipped (cancelled) tasks and annotations without a choice are no answers.
    ``expert`` replaces whoever the file names (Label Studio exports name users by numeric id).

    ``tags`` (a multi-label project's tags): answers are multi-choice; each is one tag cell
    (``card;tariff`` in tag order, ``""`` for a submitted annotation with no tag chosen), an
    unknown or repeated tag an InputError.
    """
    path = Path(path)
    fmt, content = read_export(path)
    tags = list(tags) if tags is not None else None
    if fmt == "JSON":
        rows = _answers_from_json(content, source=str(path), tags=tags)  # type: ignore[arg-type]
    elif fmt == "FORM":
        rows = _answers_from_form(content, source=str(path), tags=tags)  # type: ignore[arg-type]
    else:
        rows = _answers_from_rows(content, source=str(path), fmt=fmt, tags=tags)  # type: ignore[arg-type]
    df = pl.DataFrame(rows, schema=EXPERT_ANSWER_SCHEMA)
    if expert:
        df = df.with_columns(pl.lit(expert).alias("expert"))
    df = df.with_columns(pl.col("expert").fill_null("expert"),
                         pl.when(pl.col("at") == "").then(pl.lit(_now())).otherwise(pl.col("at")).alias("at"))
    return by_time(df.with_row_index("_n"), "at").unique("id", keep="last").sort("_n").drop("_n")


# ------------------------------------------------------------------ the queue out


def _classes_beside(queue_path: Path) -> list[str] | None:
    """The classes of the labeling config that apply or issues wrote beside ``queue_path``."""
    import xml.etree.ElementTree as ET

    from wslab.core.artifacts import LABEL_STUDIO_CONFIG

    xml = queue_path.parent / LABEL_STUDIO_CONFIG
    if not xml.is_file():
        return None
    try:
        return [c.get("value") for c in ET.parse(xml).getroot().iter("Choice") if c.get("value")] or None
    except ET.ParseError:
        return None


def _multiple_beside(queue_path: Path) -> bool:
    """Whether the labeling config beside ``queue_path`` asks for several choices (a multi-label queue)."""
    import xml.etree.ElementTree as ET

    from wslab.core.artifacts import LABEL_STUDIO_CONFIG

    xml = queue_path.parent / LABEL_STUDIO_CONFIG
    try:
        return xml.is_file() and any(c.get("choice") == "multiple" for c in ET.parse(xml).getroot().iter("Choices"))
    except ET.ParseError:
        return False


def _check_queue_tags(q: pl.DataFrame, classes: list[str], source: Path) -> None:
    from wslab.core.data import parse_tag_cell

    for i, (given, suggested) in enumerate(q.select("given_label", "suggested_label").rows()):  # one check per row
        parse_tag_cell(given, classes, f"{source}: row {i + 2}: given_label")
        parse_tag_cell(suggested, classes, f"{source}: row {i + 2}: suggested_label")


def export_queue(queue_path: Path, out: Path, *, top: int | None = None,
                 labels: list[str] | None = None, multilabel: bool = False) -> dict:
    """``wslab relabel export``: the queue as Label Studio tasks plus a labeling config listing every
    class (``labels``, else the config beside the queue, else every label in the whole queue), or
    as a CSV form to fill in. Returns ``{"tasks", "out", "config", "classes", "multilabel"}``.

    ``multilabel`` (also when the labeling config beside the queue has ``choice="multiple"``): the
    labels are tag cells (``a;b``); the tasks pre-select the given tags and the config lets the
    expert choose several."""
    from wslab.core.io import check_outputs_spare_inputs, read_table, write_json, write_table, write_text
    from wslab.quality.queue import label_studio_config, queue_signals, to_label_studio_tasks

    suffix = out.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"{out}: unsupported output type {suffix or '(none)'!r}; expected .json (Label Studio) "
                         "or .csv")
    check_outputs_spare_inputs([out, out.with_suffix(".config.xml")] if suffix == ".json" else [out],
                               {"queue": queue_path})
    q = read_table(queue_path, required=["id", "text", "given_label", "suggested_label"], what="queue")
    q = q.with_columns(pl.col("id").cast(pl.String), pl.col("text").cast(pl.String).fill_null(""),
                       pl.col("given_label").cast(pl.String), pl.col("suggested_label").cast(pl.String))
    multilabel = multilabel or _multiple_beside(Path(queue_path))
    if multilabel:
        cells = q.select(pl.concat_list(pl.col("given_label", "suggested_label").fill_null("").str.split(";")))
        found = sorted({t.strip() for t in cells.to_series().explode().drop_nulls().to_list() if t.strip()})
        classes = labels or _classes_beside(Path(queue_path)) or found
        q = q.with_columns(pl.col("given_label", "suggested_label").fill_null(""))
        _check_queue_tags(q, classes, queue_path)
    else:
        classes = labels or _classes_beside(Path(queue_path)) or sorted(
            set(q["given_label"].drop_nulls().to_list()) | set(q["suggested_label"].drop_nulls().to_list()))
        missing = sorted((set(q["given_label"].to_list()) | set(q["suggested_label"].to_list())) - set(classes))
        if missing:
            raise InputError(f"{queue_path}: label {missing[0]!r} is not one of the classes {classes}")
    q = q.head(top) if top is not None else q
    config = None
    if suffix == ".json":
        write_json(out, to_label_studio_tasks(q, multilabel=multilabel))
        config = write_text(out.with_suffix(".config.xml"), label_studio_config(classes, multilabel=multilabel))
    else:
        form = q.with_columns(queue_signals(q)).select(
            [c for c in ("rank", "id", "text", "given_label", "suggested_label", "suspect_tags", "priority", "reasons",
                         "signals") if c in q.columns or c == "signals"]).with_columns(
            pl.lit(None, pl.String).alias("new_label"), pl.lit(None, pl.String).alias("expert"),
            pl.lit(None, pl.String).alias("time"))
        write_table(out, form)
    return {"tasks": q.height, "out": str(out), "config": str(config) if config else None, "classes": classes,
            "multilabel": multilabel}


def import_into(answers: Path, into: Path, *, queue: Path | None = None, out: Path | None = None,
                id_col: str = "id", label_col: str = "label", labels: list[str] | None = None,
                expert: str = "expert", multilabel: bool = False) -> dict:
    """``wslab relabel import --into``: write a new version of ``into`` with the answers applied and
    an audit log beside it (:func:`apply_answers`); ``into`` itself is never modified.

    ``multilabel``: ``label_col`` holds tag cells (``a;b``) and the answers are multi-choice;
    ``labels`` are the tags (required). The new version writes every cell in tag order."""
    from wslab.core.data import TAG_SEPARATOR, parse_tag_cell
    from wslab.core.io import check_outputs_spare_inputs, read_table, write_table

    table = read_table(into, required=[id_col, label_col], what="labelled table", id_columns=[id_col])
    if multilabel:
        if not labels:
            raise InputError(f"{into}: a multi-label import needs the tags; pass --labels (or --config)")
        table = table.with_columns(pl.Series(label_col, [
            TAG_SEPARATOR.join(parse_tag_cell(v, labels, f"{into}: row {i + 2}"))
            for i, v in enumerate(table[label_col].to_list())], dtype=pl.String))
    parsed = parse_expert_answers(answers, tags=labels if multilabel else None).select(
        "id", pl.col("label").alias("new_label"), pl.col("expert").replace("expert", expert), pl.col("at").alias("time"))
    if parsed.height == 0:
        raise InputError(f"{answers}: no answered items; expected at least one label from the expert")
    queue_ids = read_table(queue, required=["id"], what="queue")["id"].to_list() if queue is not None else None
    new, audit = apply_answers(table, parsed, id_col=id_col, label_col=label_col, labels=labels,
                               queue_ids=queue_ids, source=str(into), answers_source=str(answers),
                               multilabel=multilabel)
    target = out if out is not None else next_version_path(into)
    audit_path = target.with_name(f"{target.stem}.audit.csv")
    check_outputs_spare_inputs([target, audit_path], {"labelled table (--into)": into, "answers": answers,
                                                      "queue": queue})
    write_table(target, new)
    write_table(audit_path, audit)
    return {"answers": parsed.height, "applied": audit.height, "changed": int(audit["changed"].sum()),
            "output": str(target), "audit": str(audit_path), "original": str(into)}
