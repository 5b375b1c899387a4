"""The same declarative LFs on Polars and on Spark (local mode) give the same label matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wslab.core.errors import ConfigError
from wslab.labeling.apply import declarative_frame
from wslab.labeling.spark import NotPortableError, check_portable, to_java_regex
from wslab.labeling.spec import parse_lf

LABELS = ["neg", "pos", "other"]

TEXTS = [
    "Моя КАРТА заблокирована!", "карточка", "карта", "КАРТА.", "Карта\n", "line one\nline two", "ends with c\n",
    "ends with c", "Straße STRASSE strasse", "ΣΊΣΥΦΟΣ σίσυφος", "emoji 👍🏽 great👍", "great", "GREAT!!!",
    "not_great", "great_", "great1", "1great", "tab\tgreat\tok", "cr\rline", "ZWJ 👨‍👩‍👧 family", "café CAFÉ",
    "naïve", "über ÜBER", "price 100$", "$100", "a.b", "a+b", "(parens)", "[brackets]", "100% sure", "e-mail me",
    "Ελληνικά", "日本語のテキスト", "x" * 300, "", "   ", "ё Ё е", "Ёлка", "I hate it", "i HATE it.", "hate-mail",
    "Плохо", "плохой", "ужасно!!", "ПЛОХО", "no votes here", "Aa", "AAA", "aaa bbb", "digits ١٢٣ 123", None, None,
]


def _specs():
    raw = [
        {"name": "kw_card", "label": "neg", "kind": "keywords", "keywords": ["карта", "card"]},
        {"name": "kw_card_cs", "label": "neg", "kind": "keywords", "keywords": ["Карта"], "case_sensitive": True},
        {"name": "kw_sub", "label": "other", "kind": "keywords", "keywords": ["карт", "strass"], "whole_word": False},
        {"name": "kw_all", "label": "neg", "kind": "keywords", "keywords": ["i", "hate"], "match": "all"},
        {"name": "kw_great", "label": "pos", "kind": "keywords", "keywords": ["great", "👍", "100$", "a+b", "e-mail"]},
        {"name": "kw_unicode", "label": "pos", "kind": "keywords", "keywords": ["straße", "σίσυφος", "café", "über", "ё"]},
        {"name": "re_word", "label": "neg", "kind": "regex", "pattern": r"\b(плох|ужасн)\w*"},
        {"name": "re_end", "label": "other", "kind": "regex", "pattern": r"c$"},
        {"name": "re_start", "label": "other", "kind": "regex", "pattern": r"^\$\d+"},
        {"name": "re_dot", "label": "other", "kind": "regex", "pattern": r"line.two|cr.line"},
        {"name": "re_dotall", "label": "other", "kind": "regex", "pattern": r"(?s)one.line"},
        {"name": "re_class", "label": "neg", "kind": "regex", "pattern": r"[а-яё]{5,}", "case_sensitive": True},
        {"name": "re_cyr", "label": "neg", "kind": "regex", "pattern": r"\p{Cyrillic}+\s+\p{Lu}"},
        {"name": "re_greek", "label": "pos", "kind": "regex", "pattern": r"σ\w+ος"},
        {"name": "re_digits", "label": "other", "kind": "regex", "pattern": r"\d{3}"},
        {"name": "re_nonword", "label": "other", "kind": "regex", "pattern": r"^\W+$"},
        {"name": "re_boundary", "label": "pos", "kind": "regex", "pattern": r"\Bgreat|great\B"},
        {"name": "re_lazy", "label": "other", "kind": "regex", "pattern": r"\(.*?\)|\[[^\]]+\]"},
        {"name": "re_named", "label": "other", "kind": "regex", "pattern": r"(?P<cur>\$)|(?i:aaa)"},
        {"name": "re_escape", "label": "other", "kind": "regex", "pattern": r"\x{1F44D}|\u00e9"},
        {"name": "len_short", "label": "other", "kind": "text_length", "max": 5},
        {"name": "len_emoji", "label": "other", "kind": "text_length", "min": 10, "max": 12},
        {"name": "stars_in", "label": "pos", "kind": "column", "column": "stars", "op": "in", "value": [4, 5]},
        {"name": "stars_not_in", "label": "neg", "kind": "column", "column": "stars", "op": "not_in", "value": [4, 5]},
        {"name": "stars_null", "label": "other", "kind": "column", "column": "stars", "op": "is_null"},
        {"name": "lang_eq", "label": "other", "kind": "column", "column": "lang", "op": "eq", "value": "ru"},
        {"name": "combo", "label": "neg", "kind": "all_of", "conditions": [
            {"kind": "any_of", "conditions": [{"kind": "keywords", "keywords": ["hate"]},
                                              {"kind": "column", "column": "stars", "op": "le", "value": 2}]},
            {"kind": "not", "condition": {"kind": "regex", "pattern": "great"}}]},
    ]
    return [parse_lf(r, where="test") for r in raw]


def _corpus(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    alphabet = list("aAbcé ёЁкаКАрт.!?$\n\t_-1١👍🏽\u200dσςΣßẞ") + ["great", "карта", "hate", " "]
    extra = ["".join(rng.choice(alphabet, size=rng.integers(0, 12))) for _ in range(400)]
    texts = TEXTS + extra
    n = len(texts)
    stars = [None if rng.random() < 0.2 else int(v) for v in rng.integers(1, 6, n)]
    lang = [None if rng.random() < 0.2 else str(v) for v in rng.choice(["ru", "en"], n)]
    df = pl.DataFrame({"id": [f"d{i}" for i in range(n)], "text": texts,
                       "stars": pl.Series(stars, dtype=pl.Int64), "lang": lang})
    path = tmp_path / "corpus.parquet"
    df.write_parquet(path)
    return path


def test_local_spark_binds_loopback_and_logs_into_a_file(spark):
    from wslab.labeling.spark_session import spark_log_file

    conf = spark.sparkContext.getConf()
    assert conf.get("spark.driver.host") == "127.0.0.1"
    assert conf.get("spark.driver.bindAddress") == "127.0.0.1"
    assert spark.sparkContext._jvm.java.lang.System.getenv("SPARK_LOCAL_IP") == "127.0.0.1"  # the web UI's too
    ports = [int(conf.get("spark.driver.port"))]
    if spark.sparkContext.uiWebUrl:
        ports.append(int(spark.sparkContext.uiWebUrl.rsplit(":", 1)[1]))
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if all(t.exists() for t in tables):  # where the JVM really listens (Java sockets are often IPv6)
        listening = [line.split()[1].split(":") for t in tables for line in t.read_text().splitlines()[1:]
                     if line.split()[3] == "0A"]
        loopback = {"0100007F", "0000000000000000FFFF00000100007F"}  # 127.0.0.1, also IPv4-mapped
        for port in ports:
            hosts = {host for host, p in listening if int(p, 16) == port}
            assert hosts and hosts <= loopback, (port, hosts)
    assert conf.get("spark.ui.showConsoleProgress") == "false"
    log = spark_log_file(spark)
    assert log is not None and log.is_file()
    text = log.read_text(encoding="utf-8")
    assert "resolves to a loopback address" not in text and " INFO " not in text


def test_job_progress_reports_a_growing_share_up_to_one(spark):
    from wslab.labeling.spark_session import job_progress

    shares: list[float] = []
    with job_progress(spark, shares.append, interval=0.05):
        spark.range(0, 8, 1, 8).selectExpr("reflect('java.lang.Thread', 'sleep', cast(150 as bigint))").collect()
    assert shares and shares == sorted(shares) and shares[-1] == 1.0
    assert len(shares) >= 2  # seen part-way, not only at the end


def test_spark_label_matrix_equals_polars(spark, tmp_path):
    from wslab.labeling.spark import apply_lfs_spark

    corpus = _corpus(tmp_path)
    specs = _specs()
    expected = (declarative_frame(pl.scan_parquet(corpus), specs, LABELS, id_column="id", text_column="text")
                .collect().sort("id"))
    out = apply_lfs_spark(corpus, specs, LABELS, out_path=tmp_path / "lm", spark=spark)
    got = pl.read_parquet(Path(out) / "*.parquet").sort("id")
    assert got.columns == expected.columns
    assert all(got.schema[c] == pl.Int8 for c in got.columns[1:])
    for c in expected.columns[1:]:
        diff = expected.select("id", c).join(got.select("id", pl.col(c).alias("spark")), on="id").filter(
            pl.col(c) != pl.col("spark"))
        assert diff.height == 0, f"{c}: {diff.head(5).to_dicts()}"
    # the corpus exercises every LF both ways
    votes = expected.drop("id")
    assert all((votes[c] != -1).any() and (votes[c] == -1).any() for c in votes.columns)


@pytest.mark.parametrize("pattern, reason", [
    (r"foo(?=bar)", "look-ahead"),
    (r"(?<!a)b", "look-behind"),
    (r"(?m)^a$", "multi-line"),
    (r"(?U)a+", "ungreedy"),
    (r"(?x)a b", "verbose"),
    (r"[[:alpha:]]+", "POSIX"),
    (r"[a-z&&[^aeiou]]", "class set operation"),
    (r"[a-z[0-9]]", "nested character class"),
    (r"[a-z--aeiou]", "class set operation"),
    (r"\p{Emoji}", "Unicode property"),
    (r"a{,3}", "repetition"),
    (r"\Qa.b\E", "quoting"),
])
def test_non_portable_patterns_rejected(pattern, reason):
    spec = parse_lf({"name": "bad_lf", "label": "neg", "kind": "regex", "pattern": pattern}, where="lfs.yaml")
    with pytest.raises(ConfigError) as err:
        check_portable([spec], LABELS)
    msg = str(err.value)
    assert "'bad_lf'" in msg and reason in msg and repr(pattern) in msg and "\n" not in msg


@pytest.mark.parametrize("pattern, java", [
    (r"a$", r"(?dU)a\z"),
    (r"[$]", r"(?dU)[$]"),
    (r"\$", r"(?dU)\$"),
    (r"a*?b+?c??d{2,3}?", r"(?dU)a*?b+?c??d{2,3}?"),
    (r"\v\u00e9\U0001F44D", r"(?dU)\x0B\x{00e9}\x{0001F44D}"),
    (r"\pL\p{Lu}\PN\p{Greek}\p{^Greek}", r"(?dU)\p{L}\p{Lu}\P{N}\p{IsGreek}\P{IsGreek}"),
])
def test_translation(pattern, java):
    assert to_java_regex(pattern) == java


def test_possessive_rejected():
    with pytest.raises(NotPortableError, match="possessive"):
        to_java_regex("a++")
