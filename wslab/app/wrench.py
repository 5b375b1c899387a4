"""Import a WRENCH-format dataset (Zhang et al., 2021) as a wslab project.

A WRENCH dataset folder holds ``train.json``, ``valid.json``, ``test.json`` (each
``{"<id>": {"data": {"text": ..}, "label": int, "weak_labels": [..]}}``) and ``label.json``
(``{"0": "HAM", ...}``). The importer writes:

    corpus.parquet   id, text, split (train / valid / test), every split's documents, and every
                     other field of the items' ``data`` as a column (:func:`data_columns`: entity
                     names as written, a ``[start, end]`` span as ``<field>_start`` / ``<field>_end``)
    votes.parquet    id + one Int8 column per WRENCH LF (names from readme.txt when listed)
    gold.csv         id, label, split: valid -> dev, test -> test
    config.yaml      ready for ``wslab apply config.yaml``, with the metric WRENCH reports for the
                     dataset as ``selection.metric`` (:data:`WRENCH_METRIC`), and for a relation set
                     its entity spans as ``corpus.spans`` (:func:`entity_spans`)

Document ids are ``<split>-<wrench id>``. Train labels are *not* written as gold: in WRENCH
they are the unlabeled corpus.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import yaml

from wslab.core import io
from wslab.core.artifacts import LF_DESCRIPTIONS_KEY
from wslab.core.config import check_label_names
from wslab.core.errors import InputError
from wslab.labeling.spec import NAME_RE, RESERVED_NAMES

SPLITS = ("train", "valid", "test")

WRENCH_F1 = ("sms", "cdr", "spouse", "census", "tennis", "basketball", "commercial")
"""Datasets WRENCH (Zhang et al. 2021, table 5) scores by the F1 of the positive class (label 1);
it scores the other classification sets (youtube, imdb, yelp, agnews, trec, semeval, chemprot) by
accuracy."""


def wrench_metric(name: str, labels: list[str]) -> str:
    """``selection.metric`` WRENCH reports for dataset ``name`` (the folder name): ``f1:<class 1>``
    for :data:`WRENCH_F1` two-class sets, else ``accuracy``.

    >>> wrench_metric("sms", ["ham", "spam"]), wrench_metric("trec", ["a", "b", "c"])
    ('f1:spam', 'accuracy')
    """
    return f"f1:{labels[1]}" if name.lower() in WRENCH_F1 and len(labels) == 2 else "accuracy"


RESERVED_COLUMNS = ("id", "text", "split")


def data_columns(items: list[dict]) -> dict[str, list]:
    """The fields of the items' ``data`` besides ``text``, as corpus columns: a number, text or
    flag as is; a ``[start, end]`` pair of integers (an entity span) as ``<field>_start`` and
    ``<field>_end``; anything else as its JSON text; missing -> null. A field named like a
    corpus column (``id``, ``split``) is prefixed ``data_``; a field named ``*id`` / ``*ids``
    is text (an id as written).

    >>> data_columns([{"text": "a b", "entity1": "a", "span1": [0, 1]}, {"text": "c", "entity1": "c", "span1": [0, 1]}])
    {'entity1': ['a', 'c'], 'span1_start': [0, 0], 'span1_end': [1, 1]}
    """
    keys = list(dict.fromkeys(k for d in items for k in d if k != "text"))
    out: dict[str, list] = {}
    for key in keys:
        values = [d.get(key) for d in items]
        name = f"data_{key}" if key in RESERVED_COLUMNS else key
        present = [v for v in values if v is not None]
        if key.lower().endswith(("id", "ids")):  # an identifier is text exactly as written
            out[name] = [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                         for v in values]
        elif present and all(isinstance(v, list) and len(v) == 2 and all(type(x) is int for x in v) for v in present):
            out[f"{name}_start"] = [None if v is None else v[0] for v in values]
            out[f"{name}_end"] = [None if v is None else v[1] for v in values]
        elif all(isinstance(v, (str, bool)) or type(v) in (int, float) for v in present) and \
                len({type(v) for v in present}) <= 1:
            out[name] = values
        else:
            out[name] = [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                         for v in values]
    return out


def _read_json(path: Path) -> object:
    if not path.exists():
        raise InputError(f"{path}: file not found; a WRENCH dataset folder needs {', '.join(s + '.json' for s in SPLITS)} and label.json")
    io.check_utf8(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: malformed JSON ({exc.msg})") from None


def _lf_names(dataset_dir: Path, m: int) -> list[str]:
    readme = dataset_dir / "readme.txt"
    if readme.exists():
        text = readme.read_text(encoding="utf-8", errors="replace")
        block = text.split("Labeling functions list:", 1)
        if len(block) == 2:
            names = re.findall(r"^\s+([A-Za-z_][\w]*),?\s*$", block[1], flags=re.M)
            names = list(dict.fromkeys(n.lower() for n in names))
            if len(names) >= m:
                # a name that is not a valid LF name (``id`` would replace the id column) keeps its number
                return [n if NAME_RE.match(n) and n not in RESERVED_NAMES else f"lf_{j:02d}"
                        for j, n in enumerate(names[:m])]
    return [f"lf_{j:02d}" for j in range(m)]


def lf_descriptions(dataset_dir: Path, names: list[str]) -> dict[str, str]:
    """What each LF ``names[j]`` is, from the readme's ``Name : text`` lines (matched in lower
    case; youtube's readme describes each LF so); an LF the readme does not describe is left out.

    >>> import tempfile; d = Path(tempfile.mkdtemp())
    >>> _ = (d / "readme.txt").write_text("Keyword_my : Spam comments talk about 'my channel'.\\n")
    >>> lf_descriptions(d, ["keyword_my", "lf_01"])
    {'keyword_my': "Spam comments talk about 'my channel'."}
    """
    readme = dataset_dir / "readme.txt"
    if not readme.exists():
        return {}
    text = readme.read_text(encoding="utf-8", errors="replace")
    found = {m[1].lower(): " ".join(m[2].split()) for m in re.finditer(r"^\s*([A-Za-z_]\w*)\s*:\s*(\S.*)$", text, flags=re.M)}
    return {n: found[n] for n in names if n in found}


def import_wrench(dataset_dir: Path, out_dir: Path, *, seed: int = 0) -> dict[str, object]:
    """Convert a WRENCH dataset folder into a wslab project in ``out_dir``; return a summary."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise InputError(f"{dataset_dir}: not a folder; expected a WRENCH dataset folder")
    label_map, labels = _read_labels(dataset_dir)
    rows, m = _read_items(dataset_dir, labels)
    names = _lf_names(dataset_dir, m)
    corpus = pl.DataFrame({"id": rows["id"], "text": rows["text"], "split": rows["split"],
                           **data_columns(rows["data"])}, strict=False)
    votes = pl.DataFrame({"id": rows["id"]}).with_columns(
        [pl.Series(name, [v[j] for v in rows["votes"]], dtype=pl.Int8) for j, name in enumerate(names)])
    gold = (pl.DataFrame({"id": rows["id"], "label": rows["label"], "split": rows["split"]})
            .filter(pl.col("split") != "train")
            .with_columns(pl.col("split").replace({"valid": "dev"})))
    out_dir = Path(out_dir)
    io.write_table(out_dir / "corpus.parquet", corpus)
    descriptions = lf_descriptions(dataset_dir, names)
    io.write_table(out_dir / "votes.parquet", votes,
                   metadata={LF_DESCRIPTIONS_KEY: json.dumps(descriptions, ensure_ascii=False)} if descriptions else None)
    io.write_table(out_dir / "gold.csv", gold)
    config = _project_config(dataset_dir.name, label_map, labels, seed=seed)
    spans = entity_spans(corpus)
    if spans is not None:
        config["corpus"]["spans"] = spans
    io.write_text(out_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return {"documents": corpus.height, "lfs": len(names), "labels": labels,
            "gold_dev": int((gold["split"] == "dev").sum()), "gold_test": int((gold["split"] == "test").sum()),
            "metric": config["selection"]["metric"], "columns": corpus.columns[3:], "spans": spans is not None,
            "out_dir": str(out_dir)}


SPAN_COLUMNS = ("span1_start", "span1_end", "span2_start", "span2_end")
"""The columns of WRENCH's relation sets' ``span1`` / ``span2`` (:func:`data_columns`)."""


def entity_spans(corpus: pl.DataFrame) -> dict[str, list[str]] | None:
    """``corpus.spans`` for a relation set: WRENCH's ``span1`` / ``span2`` are character offsets,
    end exclusive (``text[start:end]`` is the entity), as ``corpus.spans`` reads them; None when
    the columns are not all there, or any span is missing or out of its text (then the project
    keeps whole-text features only, rather than a config that ``apply`` would refuse)."""
    if not all(c in corpus.columns for c in SPAN_COLUMNS):
        return None
    n = corpus["text"].fill_null("").str.len_chars()
    s1, e1, s2, e2 = (corpus[c] for c in SPAN_COLUMNS)
    ok = ((s1 >= 0) & (s1 <= e1) & (e1 <= n) & (s2 >= 0) & (s2 <= e2) & (e2 <= n)).fill_null(False)
    if not (all(corpus[c].dtype.is_integer() for c in SPAN_COLUMNS) and ok.all()):
        return None
    return {"e1": ["span1_start", "span1_end"], "e2": ["span2_start", "span2_end"]}


def _read_labels(dataset_dir: Path) -> tuple[dict, list[str]]:
    """label.json as read, and its label names (lower case) in the order of their numbers."""
    label_map = _read_json(dataset_dir / "label.json")
    if not isinstance(label_map, dict) or not label_map:
        raise InputError(f"{dataset_dir / 'label.json'}: expected a mapping of label ids to names")
    try:
        labels = [str(label_map[k]).lower() for k in sorted(label_map, key=lambda k: int(k))]
        check_label_names(labels)
    except ValueError as exc:  # a key that is not a number, or names that are not valid labels
        raise InputError(f"{dataset_dir / 'label.json'}: {exc}; expected {{\"0\": name, \"1\": name, ...}} "
                         "with distinct label names (compared in lower case)") from None
    return label_map, labels


def _read_items(dataset_dir: Path, labels: list[str]) -> tuple[dict[str, list], int]:
    """Every item of every split as columns (id, text, split, label, votes); and the number of LFs."""
    K = len(labels)
    rows: dict[str, list] = {"id": [], "text": [], "split": [], "label": [], "votes": [], "data": []}
    m = None
    for split in SPLITS:
        path = dataset_dir / f"{split}.json"
        data = _read_json(path)
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a JSON object of items keyed by id")
        for key, item in data.items():
            try:
                text = item["data"]["text"]
                data = dict(item["data"])
                votes = [int(v) for v in item["weak_labels"]]
                label = int(item["label"])
            except (KeyError, TypeError, ValueError):
                raise InputError(f"{path}: item {key!r}: expected data.text, label and weak_labels") from None
            if m is None:
                m = len(votes)
            if len(votes) != m:
                raise InputError(f"{path}: item {key!r}: {len(votes)} weak labels; expected {m} like the first item")
            if not (0 <= label < K) or any(v < -1 or v >= K for v in votes):
                raise InputError(f"{path}: item {key!r}: label or vote outside -1..{K - 1}")
            rows["id"].append(f"{split}-{key}")
            rows["text"].append(text)
            rows["split"].append(split)
            rows["label"].append(labels[label])
            rows["votes"].append(votes)
            rows["data"].append(data)
    if not rows["id"]:
        raise InputError(f"{dataset_dir}: no items in {', '.join(SPLITS)}; expected a WRENCH dataset")
    return rows, m or 0


def _project_config(name: str, label_map: dict, labels: list[str], *, seed: int) -> dict[str, object]:
    """config.yaml of the imported project."""
    return {
        "task": f"WRENCH dataset {name}",
        "seed": seed,
        "corpus": {"path": "corpus.parquet", "id_column": "id", "text_column": "text"},
        "labels": {lab: f"WRENCH class {i} ({label_map[str(i)] if str(i) in label_map else lab})" for i, lab in enumerate(labels)},
        "gold": {"path": "gold.csv", "split_column": "split"},
        "lfs": {"precomputed": "votes.parquet"},
        "selection": {"metric": wrench_metric(name, labels)},
        "output": {"dir": "run"},
    }
