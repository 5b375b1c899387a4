"""The fast keyword compilation gives exactly the reference compilation's votes.

``compile_lf(..., optimize=True)`` (the default) rewrites case-insensitive whole-word keywords
(labeling/compile.py: ``fast_keywords_expr``); ``optimize=False`` is the reference. These tests
compare the two in Polars itself, on characters where Unicode case folding is irregular.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslab.labeling.compile import (compile_lf, fast_keywords_expr, keywords_any_pattern,
                                    word_boundary_pattern)
from wslab.labeling.spec import parse_lf

LABELS = {"neg": 0, "pos": 1}

# Characters whose case mappings are irregular: dotted/dotless i, Kelvin sign, long s, sigma
# forms, sharp s, Cyrillic letters with historic variants (U+1C80..), Cherokee, Greek with
# ypogegrammeni/prosgegrammeni, Angstrom sign, combining marks, digits, connector punctuation.
TRICKY = ("iIİıkKKsSſσςΣßẞ" "вВᲀдДᲁоОᲂсСᲃтТᲄᲅъЪᲆѣѢᲇ" "ᎠꭰᏸᏰ" "ᾳᾼιͅΙθϑΘϴ" "åÅÅ" "éÉ\u0301" "09_١"
          "карта" "card")
SEPARATORS = " .,-+!?\n\t$👍"
ALPHABET = TRICKY + SEPARATORS

keyword = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=5).filter(lambda k: k.strip() != "")
texts = st.lists(st.one_of(st.none(), st.text(st.sampled_from(ALPHABET), max_size=14)), min_size=1, max_size=25)


def _reference(frame: pl.DataFrame, keywords: list[str]) -> pl.Series:
    pattern = keywords_any_pattern(keywords, whole_word=True, case_sensitive=False)
    return frame.select(pl.col("text").str.contains(pattern))["text"]


def _fast(frame: pl.DataFrame, keywords: list[str]) -> pl.Series:
    return frame.select(fast_keywords_expr(pl.col("text"), keywords))["text"]


@settings(max_examples=300, deadline=None)
@given(keywords=st.lists(keyword, min_size=1, max_size=3), docs=texts,
       glue=st.sampled_from(["", " ", "x", "-", "ſ", "K", "\u0301"]))
def test_fast_keywords_equal_reference_on_random_unicode(keywords, docs, glue):
    # also plant the keywords (upper- and lower-cased, glued or not to their neighbours)
    planted = [glue + k.upper() + glue for k in keywords] + [f"a{glue}{k.lower()}{glue}b" for k in keywords]
    frame = pl.DataFrame({"text": docs + planted}, schema={"text": pl.String})
    assert _fast(frame, keywords).to_list() == _reference(frame, keywords).to_list()


@settings(max_examples=150, deadline=None)
@given(word=st.text(st.sampled_from("abcdeiksz_09"), min_size=1, max_size=6), docs=texts)
def test_ascii_word_boundary_form_equals_reference(word, docs):
    """ASCII keywords take the ``\\b`` form; texts still hold every irregular character."""
    keywords = [word, word[::-1] + "s"]
    assert word_boundary_pattern(keywords) is not None
    frame = pl.DataFrame({"text": docs + [word.upper(), f"({word}K)", f"{word}ſ", f"é{word}"]},
                         schema={"text": pl.String})
    assert _fast(frame, keywords).to_list() == _reference(frame, keywords).to_list()


def test_every_character_that_folds_to_an_ascii_word_character_is_a_word_character():
    """The ``\\b`` form relies on it: over all of Unicode, ``(?i)[0-9A-Za-z_]`` is inside ``\\w``."""
    chars = pl.Series("c", [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    frame = pl.DataFrame(chars).select(
        folds=pl.col("c").str.contains(r"(?i)^[0-9A-Za-z_]$"), word=pl.col("c").str.contains(r"^\w$"))
    folds_to_ascii = chars.filter(frame["folds"])
    assert {"\u212a", "\u017f"} <= set(folds_to_ascii.to_list())  # Kelvin sign, long s
    assert frame.filter(pl.col("folds") & ~pl.col("word")).height == 0


@pytest.mark.parametrize(("keywords", "text", "expected"), [
    (["kelvin"], "\u212aELVIN", True),            # Kelvin sign folds to k
    (["sos"], "ſOS!", True),                      # long s folds to s
    (["σοφία"], "ΣΟΦΊΑ", True),
    (["σοφια"], "ΣΟΦΊΑ", False),                  # accent differs: no fold
    (["λόγος"], "ΛΌΓΟΣ.", True),                  # final capital sigma
    (["λόγοσ"], "λόγος", True),                   # final sigma folds to sigma
    (["istanbul"], "İSTANBUL", False),            # dotted capital I has no simple fold to i
    (["вода"], "ᲀОДА", True),                     # rounded ve folds to ve
    (["ꭰ"], "Ꭰ", True),                           # Cherokee
    (["ᾳ"], "ᾼ", True),                           # ypogegrammeni / prosgegrammeni
    (["straße"], "STRASSE", False),               # full folding only; (?i) is simple folding
    (["c++"], "abc++ x", False),
    (["👍"], "great 👍", True),
    (["👍"], "great👍", False),                   # glued to a word character
    (["карта"], "картами", False),
    (["card", "карта"], "My CARD.", True),
])
def test_irregular_case_folding_examples(keywords, text, expected):
    frame = pl.DataFrame({"text": [text]})
    assert _reference(frame, keywords).item() is expected
    assert _fast(frame, keywords).item() is expected


def test_which_keywords_take_the_word_boundary_form():
    assert word_boundary_pattern(["card", "pin_code", "a b"]) == r"(?i)\b(?:card|pin_code|a b)\b"
    assert word_boundary_pattern(["карта"]) is None      # non-ASCII: prefilter + reference pattern
    assert word_boundary_pattern(["c++"]) is None        # ends with a non-word character
    assert word_boundary_pattern([" card"]) is None


SPECS = [
    {"kind": "keywords", "keywords": ["card", "карта", "c++", "👍"]},
    {"kind": "keywords", "keywords": ["card", "карта"], "match": "all"},
    {"kind": "keywords", "keywords": ["KELVIN", "sos"]},
    {"kind": "keywords", "keywords": ["card"], "case_sensitive": True},
    {"kind": "keywords", "keywords": ["карт"], "whole_word": False},
    {"kind": "all_of", "conditions": [{"kind": "keywords", "keywords": ["λόγος"]},
                                      {"kind": "not", "condition": {"kind": "keywords", "keywords": ["ᲀода"]}}]},
    {"kind": "any_of", "conditions": [{"kind": "keywords", "keywords": ["ꭰ", "ᾳ"]},
                                      {"kind": "regex", "pattern": r"\d+"}]},
    # all_of with column / length conditions: the text conditions see "" where those are False
    {"kind": "all_of", "conditions": [{"kind": "column", "column": "stars", "op": "ge", "value": 3},
                                      {"kind": "keywords", "keywords": ["card", "карта"]}]},
    {"kind": "all_of", "conditions": [{"kind": "text_length", "min": 4},
                                      {"kind": "not", "condition": {"kind": "keywords", "keywords": ["card"]}},
                                      {"kind": "not", "condition": {"kind": "regex", "pattern": "^$"}}]},
    {"kind": "all_of", "conditions": [
        {"kind": "column", "column": "stars", "op": "is_null"},
        {"kind": "any_of", "conditions": [{"kind": "keywords", "keywords": ["ſos"]},
                                          {"kind": "text_length", "max": 2}]},
        {"kind": "all_of", "conditions": [{"kind": "column", "column": "stars", "op": "ne", "value": 1},
                                          {"kind": "not", "condition": {"kind": "keywords", "keywords": ["x"]}}]}]},
    {"kind": "not", "condition": {"kind": "all_of", "conditions": [
        {"kind": "column", "column": "stars", "op": "lt", "value": 3},
        {"kind": "not", "condition": {"kind": "keywords", "keywords": ["Ꭰ"], "whole_word": False}}]}},
]


@settings(max_examples=60, deadline=None)
@given(docs=texts, extra=st.lists(st.sampled_from(["my card", "КАРТА и CARD", "\u212aELVIN", "ΛΌΓΟΣ",
                                                   "Ꭰ 12", "ᾼ", "c++", "👍!", "ſos", "", "x"]), max_size=6),
       data=st.data())
def test_compile_lf_optimized_equals_reference(docs, extra, data):
    n = len(docs) + len(extra)
    stars = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=n, max_size=n))
    frame = pl.DataFrame({"text": docs + extra, "stars": stars}, schema={"text": pl.String, "stars": pl.Int64})
    for i, raw in enumerate(SPECS):
        spec = parse_lf({"name": f"lf{i}", "label": "pos", **raw}, where="test")
        fast = frame.select(compile_lf(spec, LABELS, text_column="text"))
        ref = frame.select(compile_lf(spec, LABELS, text_column="text", optimize=False))
        assert fast.equals(ref), raw
