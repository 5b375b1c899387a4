r"""Run declarative LFs on Spark: the same specs compiled to Spark SQL column expressions.

``executor: spark`` in the config sends declarative LFs here instead of to Polars. Each LF
becomes one ``pyspark.sql.Column`` (``when(cond, class).otherwise(-1)`` as a byte), built from
Spark's own functions (``rlike``, ``length``, comparisons), so no Python UDF runs and nothing
leaves the JVM. The label matrix is written as parquet; aggregation continues as usual.

Regexes: Polars uses Rust's regex engine, Spark ``rlike`` uses ``java.util.regex``. The
patterns are translated so that both engines decide every document the same way:

* Unicode semantics: the Java pattern gets ``(?U)`` (``\w``, ``\d``, ``\s`` and case-insensitive
  matching are Unicode-aware, as in Rust) and ``(?d)`` (only ``\n`` ends a line for ``.``).
* ``$`` becomes ``\z`` (Java's ``$`` also matches before a final line break; Rust's does not),
  ``\b`` / ``\B`` become explicit look-arounds over ``\w`` (Java 17's ``\b`` uses a different
  notion of word character than its ``\w``), ``(?P<name>`` becomes ``(?<name>``, ``\v`` becomes
  ``\x0B``, ``\u``/``\U`` escapes become ``\x{..}``, ``\p{Script}`` becomes ``\p{IsScript}``.
* Rejected with a :class:`~wslab.core.errors.ConfigError` naming the LF, because the two engines
  cannot be made to agree (or one lacks the construct): look-around, backreferences, atomic
  groups, possessive quantifiers, ``\Q..\E``, ``\G``/``\Z``/``\R``/``\X``/``\h``/``\K``, octal
  escapes, POSIX classes ``[[:alpha:]]``, nested classes and class set operations (``&&``,
  ``--``, ``~~``), ``{,n}``, and the inline flags ``m`` (line anchors differ at a final line
  break), ``x``, ``u`` and ``U`` (ungreedy in Rust, Unicode classes in Java).

Known remaining difference: the two engines ship different Unicode versions (Java 17:
Unicode 13), so a character assigned after Unicode 13 can be a word character or a letter in
Polars and not in Spark.

>>> to_java_regex(r"(?i)(?:^|\W)(?:card|карта)(?:\W|$)")
'(?dU)(?i)(?:^|\\W)(?:card|карта)(?:\\W|\\z)'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wslab.core.errors import ConfigError
from wslab.labeling.compile import (checked_regex_pattern, is_declarative, keyword_pattern, keywords_any_pattern,
                                    regex_pattern)
from wslab.labeling.spark_session import get_spark, job_progress, quiet_pyspark_warnings
from wslab.labeling.spec import (ABSTAIN, AllOfCond, AnyOfCond, ColumnCond, Condition, KeywordsCond, LFSpec,
                                 NotCond, RegexCond, TextLengthCond)

__all__ = ["NotPortableError", "to_java_regex", "check_portable", "compile_lf_spark", "apply_lfs_spark",
           "spark_label_matrix", "get_spark"]

JAVA_PREFIX = "(?dU)"
_WORD_BOUNDARY = r"(?:(?<=\w)(?!\w)|(?<!\w)(?=\w))"
_NOT_WORD_BOUNDARY = r"(?:(?<=\w)(?=\w)|(?<!\w)(?!\w))"
_SIMPLE_ESCAPES = {"d", "D", "s", "S", "w", "W", "n", "t", "r", "f", "a"}
_CATEGORY_RE = re.compile(r"^[A-Z][a-z&]?$")
_NAMED_PROPERTIES = {
    # scripts and binary properties that both engines know; Java spells them \p{IsName}
    "latin", "cyrillic", "greek", "arabic", "hebrew", "han", "hiragana", "katakana", "hangul", "thai",
    "devanagari", "armenian", "georgian", "alphabetic", "uppercase", "lowercase", "white_space",
    "punctuation", "letter",
}


class NotPortableError(ValueError):
    """A regex construct that Rust's and Java's engines cannot be made to treat the same way."""


def _group_flags(pattern: str, i: int) -> tuple[str, int]:
    """Translate the group opening at ``pattern[i] == '('``; return (java text, next index)."""
    rest = pattern[i:]
    if not rest.startswith("(?"):
        return "(", i + 1
    if rest.startswith("(?:"):
        return "(?:", i + 3
    for prefix, what in (("(?=", "look-ahead"), ("(?!", "negative look-ahead"), ("(?<=", "look-behind"),
                         ("(?<!", "negative look-behind"), ("(?>", "atomic group"), ("(?#", "comment group")):
        if rest.startswith(prefix):
            raise NotPortableError(f"{what} {prefix!r} (Polars' Rust regex engine has no look-around or atomic groups)")
    named = re.match(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", rest)
    if named:
        return "(", i + named.end()  # group names do not change what matches; Java forbids '_' in them
    flags = re.match(r"\(\?([A-Za-z-]*)([:)])", rest)
    if not flags:
        raise NotPortableError(f"group {rest[:4]!r}")
    for f in flags.group(1):
        if f in "is-":
            continue
        reason = {"m": "multi-line mode: '^' and '$' differ at a final line break",
                  "U": "it means ungreedy in Rust but Unicode classes in Java",
                  "x": "verbose mode parses comments and classes differently",
                  "u": "the engines disagree without Unicode mode"}.get(f, "unknown to one of the engines")
        raise NotPortableError(f"inline flag {f!r} ({reason})")
    return flags.group(0), i + flags.end()


def _escape(pattern: str, i: int, *, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``pattern[i] == '\\'``; return (java text, next index)."""
    if i + 1 >= len(pattern):
        raise NotPortableError("trailing backslash")
    c = pattern[i + 1]
    if c in _SIMPLE_ESCAPES:
        return "\\" + c, i + 2
    if c == "v":
        return r"\x0B", i + 2
    if c in "bB" and not in_class:
        if pattern[i + 2:i + 3] == "{":
            raise NotPortableError(r"word-boundary assertion '\b{...}'")
        return (_WORD_BOUNDARY if c == "b" else _NOT_WORD_BOUNDARY), i + 2
    if c in "Az" and not in_class:
        return "\\" + c, i + 2
    if c in "xuU":
        m = re.match(r"\{([0-9A-Fa-f]{1,8})\}", pattern[i + 2:])
        if m:
            return rf"\x{{{m.group(1)}}}", i + 2 + m.end()
        width = {"x": 2, "u": 4, "U": 8}[c]
        digits = pattern[i + 2:i + 2 + width]
        if len(digits) == width and all(ch in "0123456789abcdefABCDEF" for ch in digits):
            return rf"\x{{{digits}}}", i + 2 + width
        raise NotPortableError(f"escape {pattern[i:i + 2 + width]!r}")
    if c in "pP":
        m = re.match(r"\{\^?([A-Za-z_ ]+)\}|([A-Za-z])", pattern[i + 2:])
        if not m:
            raise NotPortableError(f"escape {pattern[i:i + 4]!r}")
        name = m.group(1) or m.group(2)
        negate = pattern[i + 3:i + 4] == "^"
        kind = "P" if (c == "P") != negate else "p"
        if _CATEGORY_RE.match(name):
            return rf"\{kind}{{{name}}}", i + 2 + m.end()
        if name.lower() in _NAMED_PROPERTIES:
            return rf"\{kind}{{Is{name}}}", i + 2 + m.end()
        raise NotPortableError(f"Unicode property {name!r} (use a general category such as \\p{{L}} or one of "
                               f"{', '.join(sorted(_NAMED_PROPERTIES))})")
    if not c.isalnum() and not c.isspace():
        return "\\" + c, i + 2
    what = {"Q": r"quoting '\Q'", "E": r"quoting '\E'"}.get(c) or (
        "a backreference" if c.isdigit() or c == "k" else f"escape '\\{c}'")
    raise NotPortableError(what)


def to_java_regex(pattern: str) -> str:
    r"""Translate a Rust-regex pattern into a ``java.util.regex`` pattern that matches the same documents.

    Raises :class:`NotPortableError` for a construct the engines cannot be made to agree on.

    >>> to_java_regex(r"\bfoo$")
    '(?dU)(?:(?<=\\w)(?!\\w)|(?<!\\w)(?=\\w))foo\\z'
    >>> to_java_regex(r"(?<=a)b")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    NotPortableError: look-behind '(?<=' (Polars' Rust regex engine has no look-around or atomic groups)
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_open_at = -1
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            text, i = _escape(pattern, i, in_class=in_class)
            out.append(text)
            continue
        if in_class:
            if ch == "]" and i > class_open_at:
                in_class = False
            elif ch == "[":
                raise NotPortableError("POSIX class '[:...:]'" if pattern.startswith("[:", i) else "nested character class")
            elif pattern[i:i + 2] in ("&&", "--", "~~"):
                raise NotPortableError(f"class set operation {pattern[i:i + 2]!r}")
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            j = i + 1 + (pattern[i + 1:i + 2] == "^")
            if pattern[j:j + 1] == "]":
                raise NotPortableError("']' first in a class (write '\\]')")
            in_class, class_open_at = True, j
            out.append(pattern[i:j])
            i = j
            continue
        if ch == "(":
            text, i = _group_flags(pattern, i)
            out.append(text)
            continue
        if ch == "$":
            out.append(r"\z")
            i += 1
            continue
        if ch == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", pattern[i:])
            if not m:
                raise NotPortableError(f"repetition {pattern[i:i + 6]!r}")
            out.append(m.group(0))
            i += m.end()
            ch = "}"
        else:
            out.append(ch)
            i += 1
        if ch in "*+?}":
            if pattern[i:i + 1] == "?":  # lazy: the same in both engines
                out.append("?")
                i += 1
            if pattern[i:i + 1] in ("+", "*", "{") or (pattern[i:i + 1] == "?" and ch != "?"):
                raise NotPortableError(f"possessive or stacked quantifier {pattern[i - 1:i + 1]!r}")
    return JAVA_PREFIX + "".join(out)


# ------------------------------------------------------------------ compilation to Spark columns


def _java(pattern: str, *, where: str, key: str, shown: str | None = None) -> str:
    try:
        return to_java_regex(pattern)
    except NotPortableError as exc:
        raise ConfigError(f"{where}: key {key!r}: regex {shown or repr(pattern)} cannot run identically on Spark: {exc}; "
                          "expected a pattern without it, or executor: polars") from None


def compile_condition_spark(cond: Condition, *, text_column: str, where: str = "LF") -> Any:
    """A boolean Spark column (null where the input is null), the counterpart of
    :func:`wslab.labeling.compile.compile_condition`."""
    from functools import reduce

    from pyspark.sql import functions as F

    if isinstance(cond, KeywordsCond):
        col = F.col(cond.column or text_column).cast("string")
        if cond.match == "any":
            pat = keywords_any_pattern(cond.keywords, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive)
            return col.rlike(_java(pat, where=where, key="keywords"))
        parts = [col.rlike(_java(keyword_pattern(k, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive),
                                 where=where, key="keywords")) for k in cond.keywords]
        return reduce(lambda a, b: a & b, parts)
    if isinstance(cond, RegexCond):
        pattern = checked_regex_pattern(cond, where=where)
        java = _java(pattern, where=where, key="pattern", shown=repr(cond.pattern))
        return F.col(cond.column or text_column).cast("string").rlike(java)
    if isinstance(cond, ColumnCond):
        col = F.col(cond.column)
        v = cond.value
        return {
            "eq": lambda: col == F.lit(v), "ne": lambda: col != F.lit(v), "gt": lambda: col > F.lit(v),
            "ge": lambda: col >= F.lit(v), "lt": lambda: col < F.lit(v), "le": lambda: col <= F.lit(v),
            "in": lambda: col.isin(list(v)), "not_in": lambda: ~col.isin(list(v)),
            "is_null": lambda: col.isNull(), "not_null": lambda: col.isNotNull(),
        }[cond.op]()
    if isinstance(cond, TextLengthCond):
        length = F.length(F.col(cond.column or text_column).cast("string"))
        parts = []
        if cond.min is not None:
            parts.append(length >= F.lit(cond.min))
        if cond.max is not None:
            parts.append(length <= F.lit(cond.max))
        return reduce(lambda a, b: a & b, parts)
    if isinstance(cond, AllOfCond):
        return reduce(lambda a, b: a & b,
                      [compile_condition_spark(c, text_column=text_column, where=where) for c in cond.conditions])
    if isinstance(cond, AnyOfCond):
        return reduce(lambda a, b: a | b,
                      [compile_condition_spark(c, text_column=text_column, where=where) for c in cond.conditions])
    if isinstance(cond, NotCond):
        return ~compile_condition_spark(cond.condition, text_column=text_column, where=where)
    raise ConfigError(f"{where}: kind {getattr(cond, 'kind', '?')!r} cannot be compiled to a Spark expression")


def compile_lf_spark(spec: LFSpec, label_index: dict[str, int], *, text_column: str) -> Any:
    """One LF as a ``byte`` Spark column named after the LF: class index or -1 (abstain)."""
    from pyspark.sql import functions as F

    where = f"{spec.source_file or 'LF spec'}: LF {spec.name!r}"
    if not is_declarative(spec):
        raise ConfigError(f"{where}: kind {spec.kind!r} is not declarative; it cannot run on Spark "
                          "(expected executor: polars for python and prompt LFs)")
    if spec.label not in label_index:
        raise ConfigError(f"{where}: key 'label': unknown label {spec.label!r}; expected one of {list(label_index)}")
    cond = compile_condition_spark(spec.condition, text_column=text_column, where=where)  # type: ignore[arg-type]
    return (F.when(cond, F.lit(label_index[spec.label])).otherwise(F.lit(ABSTAIN))
            .cast("byte").alias(spec.name))


def check_portable(specs: Sequence[LFSpec], labels: Sequence[str], *, text_column: str = "text") -> None:
    """Raise ConfigError for the first declarative LF that cannot run identically on Spark (no JVM needed)."""
    for spec in specs:
        if is_declarative(spec):
            _check_condition(spec.condition, where=f"{spec.source_file or 'LF spec'}: LF {spec.name!r}")  # type: ignore[arg-type]


def _check_condition(cond: Condition, *, where: str) -> None:
    if isinstance(cond, KeywordsCond):
        for k in cond.keywords:
            _java(keyword_pattern(k, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive), where=where,
                  key="keywords")
    elif isinstance(cond, RegexCond):
        _java(regex_pattern(cond), where=where, key="pattern", shown=repr(cond.pattern))
    elif isinstance(cond, (AllOfCond, AnyOfCond)):
        for c in cond.conditions:
            _check_condition(c, where=where)
    elif isinstance(cond, NotCond):
        _check_condition(cond.condition, where=where)


def read_corpus_spark(spark: Any, path: str | Path) -> Any:
    """Read a parquet, csv (with header) or jsonl corpus as a Spark DataFrame."""
    p = str(path)
    suffix = Path(p).suffix.lower()
    if suffix in (".csv", ".tsv"):
        return spark.read.csv(p, header=True, inferSchema=True, sep="\t" if suffix == ".tsv" else ",", multiLine=True,
                              escape='"')
    if suffix in (".jsonl", ".ndjson", ".json"):
        return spark.read.json(p)
    return spark.read.parquet(p)


def apply_lfs_spark(corpus_path: str | Path, specs: Sequence[LFSpec], labels: Sequence[str], *,
                    out_path: str | Path, id_column: str = "id", text_column: str = "text",
                    spark: Any = None, master: str | None = None,
                    on_progress: Callable[[float], None] | None = None) -> str:
    """Apply declarative LFs with Spark and write the label matrix (``id`` + one byte column per LF) as parquet.

    ``out_path`` is a parquet dataset (a folder of part files), overwritten. Returns it. The
    rules are checked for portability before Spark starts any job. ``on_progress(share)``
    hears the share of the job's tasks done (see :func:`wslab.labeling.spark_session.job_progress`).
    """
    declarative = [s for s in specs if is_declarative(s)]
    check_portable(declarative, labels, text_column=text_column)
    spark = spark or get_spark(master)
    corpus = read_corpus_spark(spark, corpus_path)
    missing = sorted({id_column, text_column} - set(corpus.columns))
    if missing:
        from wslab.core.errors import InputError

        raise InputError(f"{corpus_path}: missing column {missing[0]!r} in corpus; found columns {corpus.columns}")
    from pyspark.sql import functions as F

    index = {name: i for i, name in enumerate(labels)}
    exprs = [compile_lf_spark(s, index, text_column=text_column) for s in declarative]
    with job_progress(spark, on_progress), quiet_pyspark_warnings():
        corpus.select(F.col(id_column).alias("id"), *exprs).write.mode("overwrite").parquet(str(out_path))
    return str(out_path)


def spark_label_matrix(corpus_path: str | Path, specs: Sequence[LFSpec], labels: Sequence[str], *,
                       order: Any = None, id_column: str = "id", text_column: str = "text",
                       master: str | None = None, output: str | None = None,
                       on_progress: Callable[[float], None] | None = None) -> Any:
    """Apply declarative LFs on Spark and return the label matrix as a Polars frame.

    Spark writes the matrix to ``output`` (a temporary local folder when None, which suits
    local mode; on a cluster pass shared storage) and the driver reads it back through Arrow.
    ``order`` (a Polars Series of ids) puts the rows in corpus order; Spark keeps none. In local
    mode Spark runs on loopback and logs into a file (:mod:`wslab.labeling.spark_session`).
    """
    import tempfile

    import polars as pl

    spark = get_spark(master)
    with tempfile.TemporaryDirectory(prefix="wslab-spark-") as tmp:
        out = output or str(Path(tmp) / "label_matrix")
        apply_lfs_spark(corpus_path, specs, labels, out_path=out, id_column=id_column, text_column=text_column,
                        spark=spark, on_progress=on_progress)
        with quiet_pyspark_warnings():
            frame = pl.from_arrow(spark.read.parquet(out).toArrow())
    assert isinstance(frame, pl.DataFrame)
    if order is None:
        return frame
    frame = frame.with_columns(pl.col("id").cast(order.dtype))
    return pl.DataFrame({"id": order}).join(frame, on="id", how="left", maintain_order="left")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for spark-submit: apply a config's declarative LFs to a corpus on shared storage.

    spark-submit --master yarn "$(python -c 'import wslab.labeling.spark as m; print(m.__file__)')" \\
        --config config.yaml --corpus hdfs:///data/corpus.parquet --out hdfs:///data/wslab/label_matrix

    Only the driver needs wslab (the rules run as Spark SQL expressions, no Python on the executors).
    """
    import argparse
    import sys

    from wslab.core.config import load_config
    from wslab.core.errors import WslabError
    from wslab.labeling.spec import check_lf_set, load_lf_specs

    ap = argparse.ArgumentParser(prog="wslab.labeling.spark", description="Apply declarative LFs with Spark.")
    ap.add_argument("--config", required=True, help="wslab config.yaml (labels, lfs.files, corpus columns)")
    ap.add_argument("--corpus", help="corpus path as Spark sees it (default: corpus.path of the config)")
    ap.add_argument("--out", required=True, help="parquet folder for the label matrix (shared storage)")
    ap.add_argument("--master", help="Spark master when not run by spark-submit, e.g. local[4]")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config)
        specs = [s for f in cfg.lfs.files for s in load_lf_specs(cfg.resolve(f))]
        check_lf_set(specs, cfg.label_names)
        skipped = [s.name for s in specs if not is_declarative(s)]
        if skipped:
            print(f"not declarative, left out: {', '.join(skipped)}", file=sys.stderr)
        apply_lfs_spark(args.corpus or str(cfg.resolve(cfg.corpus.path)), specs, cfg.label_names, out_path=args.out,
                        id_column=cfg.corpus.id_column, text_column=cfg.corpus.text_column, master=args.master)
    except WslabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
