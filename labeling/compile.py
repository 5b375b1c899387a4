r"""Compile declarative LF specs to Polars expressions.

Each LF becomes one ``pl.Expr`` that evaluates to the class index where its condition holds
and :data:`~wslab.labeling.spec.ABSTAIN` (-1) elsewhere, as ``Int8``. The expressions run
column-wise inside Polars (Rust regex engine, Unicode-aware), so nothing iterates over rows in
Python and the corpus can be scanned lazily and streamed.

Keyword matching: keywords are literals (regex metacharacters escaped), case-insensitive by
default with Unicode case folding (``(?i)``), and whole-word by default: a keyword must not
be glued to a word character on either side, which is correct for Cyrillic and other scripts.
Word characters are Rust's Unicode ``\w`` (letters, marks, decimal digits, connector
punctuation). Python's ``re`` also counts other numerics (``¼``, ``²``) as word characters, so
a Python LF with the same pattern can differ next to those characters only.

Fast path (``optimize=True``, the default): Rust's regex engine finds no literal prefilter for
``(?i)(?:^|\W)(?:kw1|kw2)(?:\W|$)`` (the leading ``\W`` class comes first), so it runs its DFA
over every byte. Case-insensitive whole-word keywords therefore compile to an equivalent form
(:func:`fast_keywords_expr`); ``optimize=False`` gives the reference patterns, which the tests
compare against and which the Spark compiler uses.

>>> import polars as pl
>>> from wslab.labeling.spec import parse_lf
>>> lf = parse_lf({"name": "kw", "label": "card", "kind": "keywords", "keywords": ["Карта"]}, where="x")
>>> df = pl.DataFrame({"text": ["моя карта!", "карточка", None]})
>>> df.select(compile_lf(lf, {"other": 0, "card": 1}, text_column="text"))["kw"].to_list()
[1, -1, -1]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import polars as pl

from wslab.core.errors import ConfigError
from wslab.labeling.spec import (ABSTAIN, AllOfCond, AnyOfCond, ColumnCond, Condition, KeywordsCond,
                                 LFSpec, NotCond, RegexCond, TextLengthCond)

_REGEX_META = set("\\.+*?()|[]{}^$#&-~")


def escape_literal(text: str) -> str:
    """Escape a literal for the Rust regex engine (and Python's ``re``: same result)."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in text)


def keyword_pattern(keyword: str, *, whole_word: bool, case_sensitive: bool) -> str:
    """The regex that one keyword compiles to."""
    body = escape_literal(keyword)
    if whole_word:
        body = rf"(?:^|\W){body}(?:\W|$)"
    return body if case_sensitive else f"(?i){body}"


def keywords_any_pattern(keywords: Iterable[str], *, whole_word: bool, case_sensitive: bool) -> str:
    alternation = "|".join(escape_literal(k) for k in keywords)
    body = rf"(?:^|\W)(?:{alternation})(?:\W|$)" if whole_word else f"(?:{alternation})"
    return body if case_sensitive else f"(?i){body}"


_ASCII_WORD = re.compile(r"[0-9A-Za-z_]")


def word_boundary_pattern(keywords: Sequence[str]) -> str | None:
    r"""``(?i)\b(?:kw1|kw2)\b`` when it is provably the reference pattern, else None.

    Every keyword must be ASCII and start and end with an ASCII word character. Then
    ``(?:^|\W)`` before the keyword is exactly ``\b`` (the keyword's first character, and every
    character that case-folds to it, e.g. the Kelvin sign for ``k``, is a word character), and
    likewise at the end. The engine prefilters on the keyword literals and checks the Unicode
    boundary around each candidate only.
    """
    if not all(k.isascii() and _ASCII_WORD.fullmatch(k[0]) and _ASCII_WORD.fullmatch(k[-1]) for k in keywords):
        return None
    return rf"(?i)\b(?:{'|'.join(escape_literal(k) for k in keywords)})\b"


def fast_keywords_expr(col: pl.Expr, keywords: Sequence[str]) -> pl.Expr:
    r"""Case-insensitive whole-word match of any of ``keywords``: the same booleans (and nulls)
    as ``col.str.contains(keywords_any_pattern(keywords, whole_word=True, case_sensitive=False))``.

    ASCII keywords with word characters at both ends use :func:`word_boundary_pattern`. Any other
    keywords run the reference pattern, but only on rows that contain one of the keywords at all:
    the prefilter ``(?i)(?:kw1|kw2)`` has literal prefixes the engine searches for quickly, and a
    whole-word match implies it (it is the middle of the reference pattern, under the same
    flags), so emptying the other rows changes no result (a keyword is never empty, so ``""``
    does not match); null texts stay null.
    """
    reference = keywords_any_pattern(keywords, whole_word=True, case_sensitive=False)
    if not keywords or not all(keywords):
        return col.str.contains(reference)
    boundary = word_boundary_pattern(keywords)
    if boundary is not None:
        return col.str.contains(boundary)
    candidate = col.str.contains(keywords_any_pattern(keywords, whole_word=False, case_sensitive=False))
    return pl.when(candidate.fill_null(True)).then(col).otherwise(pl.lit("", dtype=pl.String)).str.contains(reference)


def regex_pattern(cond: RegexCond) -> str:
    return cond.pattern if cond.case_sensitive else f"(?i){cond.pattern}"


def checked_regex_pattern(cond: RegexCond, *, where: str) -> str:
    """The pattern a regex LF compiles to, or a ConfigError naming the LF if Polars rejects it."""
    pattern = regex_pattern(cond)
    error = validate_regex(pattern)
    if error:
        raise ConfigError(f"{where}: key 'pattern': invalid regex {cond.pattern!r} ({error}); "
                          "expected a pattern the Rust regex engine accepts (no look-around or backreferences)")
    if fires_on_any_text(pattern):
        raise ConfigError(f"{where}: key 'pattern': regex {cond.pattern!r} matches every text (it needs no character "
                          "of its own), so it fires on every document; expected a pattern that some texts fail")
    return pattern


@functools.lru_cache(maxsize=4096)  # a run compiles each LF more than once (the plan, the type check)
def fires_on_any_text(pattern: str) -> bool:
    """True if ``pattern`` (valid) matches each of a set of unlike non-empty one-line texts (a word,
    a sentence, a long text, punctuation, a space, digits, Cyrillic): it fires on every document.

    A pattern that matches the empty text only is not such a pattern: ``^$`` labels empty
    documents, and an anchored length rule such as ``^\\s*(?:\\S+(?:\\s+|$)){0,4}$`` (at most
    four words) fails the long texts. ``a*``, ``x?``, ``^``, ``$``, ``^.*$`` and ``.`` fire on
    every text.

    >>> [fires_on_any_text(p) for p in ("a*", "(great)?", "^", "^.*$", ".", "^$", r"\\b", "card")]
    [True, True, True, True, True, False, False, False]
    >>> fires_on_any_text(r"^\\s*(?:\\S+(?:\\s+|$)){0,4}$")
    False
    """
    probes = pl.Series(_PROBE_TEXTS, dtype=pl.String)
    return bool(pl.select(probes.str.contains(pattern).all()).item())


_PROBE_TEXTS = ["x", "!", " ", "0", "Ж", "the order came late and the card was declined twice, so I called again.",
                " ".join(["word"] * 2000), "Привет, мир: 42 — ok?"]
"""Unlike non-empty one-line texts: a pattern that matches all of them needs nothing of its own."""


@functools.lru_cache(maxsize=4096)
def validate_regex(pattern: str) -> str | None:
    """Return None if Polars' regex engine compiles ``pattern``, else its error (one line)."""
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except Exception as exc:  # polars raises ComputeError; keep the engine's own reason
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        reason = next((ln for ln in lines if ln.lower().startswith("error")), lines[-1] if lines else "invalid")
        return reason
    return None


def condition_columns(cond: Condition, text_column: str) -> set[str]:
    """Every corpus column a condition reads."""
    if isinstance(cond, (AllOfCond, AnyOfCond)):
        return set().union(*(condition_columns(c, text_column) for c in cond.conditions))
    if isinstance(cond, NotCond):
        return condition_columns(cond.condition, text_column)
    return {cond.column or text_column}


def compile_condition(cond: Condition, *, text_column: str, where: str = "LF", optimize: bool = True) -> pl.Expr:
    """A boolean expression (null where the input is null) for one condition.

    ``optimize=False`` compiles to the reference expressions (same values, slower): see
    :func:`fast_keywords_expr` and :func:`_compile` (``all_of`` gating)."""
    return _compile(cond, text_column=text_column, where=where, optimize=optimize, gate=None)


_CHEAP = (ColumnCond, TextLengthCond)


def _compile(cond: Condition, *, text_column: str, where: str, optimize: bool, gate: pl.Expr | None) -> pl.Expr:
    """``gate``: where it is False, text columns read as ``""`` (set inside an ``all_of`` whose
    column and length conditions are False there, so the ``all_of`` is False whatever the texts
    say; regexes then skip those rows almost for free). Null gates keep the text."""
    def text(name: str) -> pl.Expr:
        col = pl.col(name).cast(pl.String)
        return col if gate is None else pl.when(gate).then(col).otherwise(pl.lit("", dtype=pl.String))

    def sub(c: Condition, gate: pl.Expr | None = gate) -> pl.Expr:
        return _compile(c, text_column=text_column, where=where, optimize=optimize, gate=gate)

    if isinstance(cond, KeywordsCond):
        col = text(cond.column or text_column)
        fast = optimize and cond.whole_word and not cond.case_sensitive
        if cond.match == "any":
            if fast:
                return fast_keywords_expr(col, cond.keywords)
            return col.str.contains(
                keywords_any_pattern(cond.keywords, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive)
            )
        if fast:
            return pl.all_horizontal([fast_keywords_expr(col, [k]) for k in cond.keywords])
        exprs = [col.str.contains(keyword_pattern(k, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive))
                 for k in cond.keywords]
        return pl.all_horizontal(exprs)
    if isinstance(cond, RegexCond):
        return text(cond.column or text_column).str.contains(checked_regex_pattern(cond, where=where))
    if isinstance(cond, ColumnCond):
        col = pl.col(cond.column)
        v = cond.value
        return {
            "eq": lambda: col == v, "ne": lambda: col != v, "gt": lambda: col > v, "ge": lambda: col >= v,
            "lt": lambda: col < v, "le": lambda: col <= v, "in": lambda: col.is_in(v),
            "not_in": lambda: ~col.is_in(v), "is_null": lambda: col.is_null(), "not_null": lambda: col.is_not_null(),
        }[cond.op]()
    if isinstance(cond, TextLengthCond):
        length = text(cond.column or text_column).str.len_chars()
        parts = []
        if cond.min is not None:
            parts.append(length >= cond.min)
        if cond.max is not None:
            parts.append(length <= cond.max)
        return pl.all_horizontal(parts)
    if isinstance(cond, NotCond):
        return ~sub(cond.condition)
    if isinstance(cond, AnyOfCond):
        return pl.any_horizontal([sub(c) for c in cond.conditions])
    if isinstance(cond, AllOfCond):
        cheap = [c for c in cond.conditions if isinstance(c, _CHEAP)]
        rest = [c for c in cond.conditions if not isinstance(c, _CHEAP)]
        if not (optimize and cheap and rest):
            return pl.all_horizontal([sub(c) for c in cond.conditions])
        cheap_expr = pl.all_horizontal([sub(c) for c in cheap])
        inner = cheap_expr.fill_null(True) if gate is None else gate & cheap_expr.fill_null(True)
        return pl.all_horizontal([cheap_expr, *(sub(c, inner) for c in rest)])
    raise ConfigError(f"{where}: kind {getattr(cond, 'kind', '?')!r} cannot be compiled to a Polars expression")


def is_declarative(spec: LFSpec) -> bool:
    return spec.prompt is None and spec.condition is not None and spec.condition.kind != "python"


def compile_lf(spec: LFSpec, label_index: dict[str, int], *, text_column: str, optimize: bool = True) -> pl.Expr:
    """One LF as an ``Int8`` expression named after the LF: class index or -1 (abstain).

    ``optimize=False``: the reference compilation (see :func:`fast_keywords_expr`); same votes."""
    where = f"{spec.source_file or 'LF spec'}: LF {spec.name!r}"
    if not is_declarative(spec):
        raise ConfigError(f"{where}: kind {spec.kind!r} is not declarative; it cannot be compiled")
    if spec.label not in label_index:
        raise ConfigError(f"{where}: key 'label': unknown label {spec.label!r}; expected one of {list(label_index)}")
    cond = compile_condition(spec.condition, text_column=text_column, where=where,  # type: ignore[arg-type]
                             optimize=optimize)
    return (
        pl.when(cond.fill_null(False))
        .then(pl.lit(label_index[spec.label], dtype=pl.Int8))
        .otherwise(pl.lit(ABSTAIN, dtype=pl.Int8))
        .alias(spec.name)
    )
