"""LF compilation to Polars: semantics of every kind, Unicode, and errors."""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslab.core.errors import ConfigError
from wslab.labeling.compile import compile_lf, escape_literal, keywords_any_pattern
from wslab.labeling.spec import load_lf_specs, parse_lf

LABELS = {"neg": 0, "pos": 1}


def votes(raw: dict, df: pl.DataFrame) -> list[int]:
    spec = parse_lf({"name": "lf", "label": "pos", **raw}, where="test")
    return df.select(compile_lf(spec, LABELS, text_column="text"))["lf"].to_list()


TEXTS = pl.DataFrame({
    "text": ["I love it", "LOVE!", "lovely day", "Я ЛЮБЛЮ это", "люблю", "любовь", "", None, "c++ rocks", "abc++ no"],
    "stars": [5, 1, 3, None, 4, 2, 3, 5, 1, 2],
    "channel": ["app", "chat", "app", "email", "chat", "app", "app", None, "chat", "chat"],
})


def test_keywords_whole_word_case_insensitive_unicode():
    got = votes({"kind": "keywords", "keywords": ["love", "люблю"]}, TEXTS)
    assert got == [1, 1, -1, 1, 1, -1, -1, -1, -1, -1]


def test_keywords_substring_and_case_sensitive():
    assert votes({"kind": "keywords", "keywords": ["love"], "whole_word": False}, TEXTS)[:3] == [1, 1, 1]
    assert votes({"kind": "keywords", "keywords": ["LOVE"], "case_sensitive": True}, TEXTS)[:3] == [-1, 1, -1]


def test_keywords_all_and_metacharacters():
    assert votes({"kind": "keywords", "keywords": ["i", "love"], "match": "all"}, TEXTS)[:2] == [1, -1]
    # "c++" is a literal, not a regex; whole-word means not glued to another word character
    assert votes({"kind": "keywords", "keywords": ["c++"]}, TEXTS)[8:] == [1, -1]


def test_regex_and_column_rules_and_length():
    assert votes({"kind": "regex", "pattern": r"^i\s"}, TEXTS)[:2] == [1, -1]
    assert votes({"kind": "column", "column": "stars", "op": "ge", "value": 4}, TEXTS) == [1, -1, -1, -1, 1, -1, -1, 1, -1, -1]
    assert votes({"kind": "column", "column": "channel", "op": "in", "value": ["email", "chat"]}, TEXTS) == \
        [-1, 1, -1, 1, 1, -1, -1, -1, 1, 1]
    assert votes({"kind": "column", "column": "stars", "op": "is_null"}, TEXTS)[3] == 1
    assert votes({"kind": "text_length", "max": 5}, TEXTS) == [-1, 1, -1, -1, 1, -1, 1, -1, -1, -1]


def test_combinations():
    raw = {"kind": "all_of", "conditions": [
        {"kind": "column", "column": "channel", "op": "eq", "value": "chat"},
        {"kind": "not", "condition": {"kind": "keywords", "keywords": ["love"]}}]}
    assert votes(raw, TEXTS) == [-1, -1, -1, -1, 1, -1, -1, -1, 1, 1]
    raw = {"kind": "any_of", "conditions": [
        {"kind": "keywords", "keywords": ["любовь"]}, {"kind": "text_length", "max": 0}]}
    assert votes(raw, TEXTS) == [-1, -1, -1, -1, -1, 1, 1, -1, -1, -1]


def test_invalid_regex_is_a_config_error_naming_the_lf():
    spec = parse_lf({"name": "bad", "label": "pos", "kind": "regex", "pattern": "(?<=a)b"}, where="lfs.yaml")
    with pytest.raises(ConfigError, match=r"LF 'bad'.*invalid regex.*look-around"):
        compile_lf(spec, LABELS, text_column="text")


def test_spec_file_errors(tmp_path):
    p = tmp_path / "lfs.yaml"
    p.write_text("lfs:\n  - name: a\n    label: pos\n    kind: keywords\n    keyword: [x]\n")
    with pytest.raises(ConfigError, match=r"lfs.yaml: lfs\[0\] \(LF 'a'\): key 'keyword': unknown key"):
        load_lf_specs(p)
    p.write_text("lfs: [\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_lf_specs(p)


# letters, decimal digits, punctuation, symbols and spaces: where Rust's and Python's \\w agree.
# (They differ on other numerics such as '¼' or '²': Python counts them as word characters.)
AGREE = st.characters(categories=["Lu", "Ll", "Lo", "Nd", "Po", "Pd", "Ps", "Pe", "Sm", "Sc", "Zs"])


@settings(max_examples=80, deadline=None)
@given(keyword=st.text(AGREE, min_size=1, max_size=6).filter(lambda s: s.strip() == s and s.strip()),
       prefix=st.text(AGREE, max_size=4), suffix=st.text(AGREE, max_size=4))
def test_escaped_keywords_match_like_python_re(keyword, prefix, suffix):
    """Polars (Rust regex) and Python's re agree on the compiled keyword pattern."""
    text = prefix + keyword + suffix
    pattern = keywords_any_pattern([keyword], whole_word=True, case_sensitive=True)
    rust = pl.select(pl.lit(text).str.contains(pattern)).item()
    assert rust == bool(re.search(pattern, text))
    assert re.fullmatch(escape_literal(keyword), keyword)


@pytest.mark.parametrize("raw", [
    {"kind": "keywords", "keywords": ["love", "люблю"]},
    {"kind": "keywords", "keywords": ["LOVE", "c++"]},
    {"kind": "keywords", "keywords": ["i", "love"], "match": "all"},
    {"kind": "keywords", "keywords": ["любовь", "rocks"], "match": "all"},
    {"kind": "all_of", "conditions": [{"kind": "keywords", "keywords": ["Я"]},
                                      {"kind": "not", "condition": {"kind": "keywords", "keywords": ["love"]}}]},
])
def test_optimized_keywords_vote_like_the_reference_compilation(raw):
    spec = parse_lf({"name": "lf", "label": "pos", **raw}, where="test")
    fast = TEXTS.select(compile_lf(spec, LABELS, text_column="text"))
    assert fast.equals(TEXTS.select(compile_lf(spec, LABELS, text_column="text", optimize=False)))
