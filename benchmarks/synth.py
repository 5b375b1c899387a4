"""Synthetic bank-support corpus and a 30-LF spec shared by the scale benchmarks.

Texts are generated column-wise in Polars (no Python loop over documents), seeded, in
English and Russian, with a true class per document, so 10 million documents take about a
minute. The same 30 rules exist twice: as wslab declarative specs, and as Snorkel Python
LFs (``python_lfs``) that evaluate the very same regexes with Python's ``re``, as a Snorkel
user would write them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl

from wslab.labeling.compile import keyword_pattern, keywords_any_pattern, regex_pattern
from wslab.labeling.spec import (AllOfCond, AnyOfCond, ColumnCond, KeywordsCond, LFSpec, NotCond, RegexCond,
                                 TextLengthCond, parse_lf)

LABELS = ["card", "transfer", "fraud", "other"]

FILLER = ("hello please help me with my account today thanks again the app says error why is it so slow "
          "здравствуйте пожалуйста помогите мне с моим счетом сегодня спасибо приложение пишет ошибку "
          "почему так долго вчера утром вечером снова опять срочно очень").split()
CLASS_WORDS = {
    "card": "card blocked pin declined reissue карта заблокирована пин-код перевыпуск карту карты visa mastercard".split(),
    "transfer": "transfer payment sent iban swift перевод платеж отправил реквизиты перевела получатель wire".split(),
    "fraud": "stolen fraud scam hacked suspicious украли мошенники взлом подозрительная списание unknown".split(),
    "other": "mortgage deposit rate office hours ипотека вклад ставка отделение график".split(),
}
# words of each class that no LF matches: documents holding only these are uncovered (``make_corpus(uncovered=)``)
SOFT_WORDS = {
    "card": "debit chip contactless atm expired plastic дебетовая банкомат чип бесконтактная".split(),
    "transfer": "remittance beneficiary routing sepa zelle получателю зачисление реквизитам ach".split(),
    "fraud": "phishing chargeback impersonation compromised фишинг злоумышленники компрометация".split(),
    "other": "loan savings branch interest кредит накопления процент филиал".split(),
}

LF_RAW = [
    {"name": "kw_card_en", "label": "card", "kind": "keywords", "keywords": ["card", "pin", "reissue"]},
    {"name": "kw_card_ru", "label": "card", "kind": "keywords", "keywords": ["карта", "карту", "карты", "перевыпуск"]},
    {"name": "kw_blocked", "label": "card", "kind": "keywords", "keywords": ["blocked", "заблокирована"]},
    {"name": "kw_declined", "label": "card", "kind": "keywords", "keywords": ["declined"], "case_sensitive": True},
    {"name": "re_pin", "label": "card", "kind": "regex", "pattern": r"пин-?код|\bpin\b"},
    {"name": "re_brand", "label": "card", "kind": "regex", "pattern": r"(visa|master\s?card)"},
    {"name": "card_all", "label": "card", "kind": "keywords", "keywords": ["card", "blocked"], "match": "all"},
    {"name": "kw_transfer_en", "label": "transfer", "kind": "keywords", "keywords": ["transfer", "payment", "wire"]},
    {"name": "kw_transfer_ru", "label": "transfer", "kind": "keywords", "keywords": ["перевод", "платеж", "перевела"]},
    {"name": "re_iban", "label": "transfer", "kind": "regex", "pattern": r"\b(iban|swift)\b"},
    {"name": "re_sent", "label": "transfer", "kind": "regex", "pattern": r"(sent|отправил)\w*"},
    {"name": "kw_recipient", "label": "transfer", "kind": "keywords", "keywords": ["получатель", "реквизиты"]},
    {"name": "transfer_big", "label": "transfer", "kind": "all_of", "conditions": [
        {"kind": "column", "column": "amount", "op": "ge", "value": 5000},
        {"kind": "keywords", "keywords": ["transfer", "перевод"]}]},
    {"name": "kw_fraud_en", "label": "fraud", "kind": "keywords", "keywords": ["stolen", "fraud", "scam", "hacked"]},
    {"name": "kw_fraud_ru", "label": "fraud", "kind": "keywords", "keywords": ["украли", "мошенники", "взлом"]},
    {"name": "re_suspicious", "label": "fraud", "kind": "regex", "pattern": r"(suspicious|подозрительн)\w*"},
    {"name": "re_unknown_charge", "label": "fraud", "kind": "regex", "pattern": r"(unknown|списание)"},
    {"name": "fraud_not_card", "label": "fraud", "kind": "all_of", "conditions": [
        {"kind": "keywords", "keywords": ["stolen", "украли"]},
        {"kind": "not", "condition": {"kind": "keywords", "keywords": ["card", "карта"]}}]},
    {"name": "fraud_channel", "label": "fraud", "kind": "all_of", "conditions": [
        {"kind": "column", "column": "channel", "op": "eq", "value": "phone"},
        {"kind": "keywords", "keywords": ["срочно", "hacked"]}]},
    {"name": "kw_other_en", "label": "other", "kind": "keywords", "keywords": ["mortgage", "deposit", "rate"]},
    {"name": "kw_other_ru", "label": "other", "kind": "keywords", "keywords": ["ипотека", "вклад", "ставка"]},
    {"name": "re_office", "label": "other", "kind": "regex", "pattern": r"(office hours|отделени|график)"},
    {"name": "short_msg", "label": "other", "kind": "text_length", "max": 25},
    {"name": "other_channel", "label": "other", "kind": "column", "column": "channel", "op": "in", "value": ["branch"]},
    {"name": "kw_sub_card", "label": "card", "kind": "keywords", "keywords": ["карт"], "whole_word": False},
    {"name": "kw_sub_transfer", "label": "transfer", "kind": "keywords", "keywords": ["перев"], "whole_word": False},
    {"name": "any_fraud", "label": "fraud", "kind": "any_of", "conditions": [
        {"kind": "regex", "pattern": r"мошенн\w+"}, {"kind": "keywords", "keywords": ["scam"]}]},
    {"name": "amount_small_card", "label": "card", "kind": "all_of", "conditions": [
        {"kind": "column", "column": "amount", "op": "lt", "value": 100},
        {"kind": "regex", "pattern": r"declin|заблок"}]},
    {"name": "no_amount_other", "label": "other", "kind": "all_of", "conditions": [
        {"kind": "column", "column": "amount", "op": "is_null"},
        {"kind": "keywords", "keywords": ["rate", "ставка", "вклад"]}]},
    {"name": "long_transfer", "label": "transfer", "kind": "all_of", "conditions": [
        {"kind": "text_length", "min": 90}, {"kind": "regex", "pattern": r"(?:swift|wire|перевод)"}]},
]


def lf_specs() -> list[LFSpec]:
    return [parse_lf(r, where="benchmarks/synth.py") for r in LF_RAW]


def make_corpus(n: int, *, seed: int, start: int = 0, uncovered: float = 0.0) -> pl.DataFrame:
    """``n`` documents: id, text, channel, amount (nullable) and the true class ``y``.

    ``uncovered``: the share of documents whose topic words all come from :data:`SOFT_WORDS` (which
    no LF matches, so most of these documents get no vote); the other documents then take their
    second topic word from SOFT_WORDS half the time, so a text model can learn those words from
    covered documents. 0 (the default) keeps the original generator (about 96% covered)."""
    rng = np.random.default_rng([seed, start])
    soft = rng.random(n) < uncovered if uncovered else np.zeros(n, dtype=bool)
    y = rng.choice(len(LABELS), n, p=[0.3, 0.3, 0.15, 0.25])
    n_fill = 10
    filler = np.asarray(FILLER)[rng.integers(0, len(FILLER), (n, n_fill))]
    n_words = rng.integers(2, n_fill + 1, n)
    filler = np.where(np.arange(n_fill)[None, :] < n_words[:, None], filler, "")
    # two topic words from the true class, one possibly from a confusing class, some docs none
    cols = {f"f{j}": filler[:, j] for j in range(n_fill)}
    for j in range(3):
        cls = np.where(rng.random(n) < (0.12 if j == 2 else 0.93), y, rng.integers(0, len(LABELS), n))
        word_idx = rng.integers(0, 100, n)
        words = np.empty(n, dtype=object)
        use_soft = soft | ((rng.random(n) < 0.5) & (j == 1)) if uncovered else soft
        for c, lab in enumerate(LABELS):
            for vocab_of, pick in ((CLASS_WORDS, ~use_soft), (SOFT_WORDS, use_soft)):
                m = (cls == c) & pick
                vocab = np.asarray(vocab_of[lab], dtype=object)
                words[m] = vocab[word_idx[m] % len(vocab)]
        drop = rng.random(n) < (0.06 if j == 0 else 0.5 if j == 1 else 0.85)
        words[drop] = ""
        cols[f"w{j}"] = words.astype(str)
    order = [f"f0", "w0", "f1", "f2", "w1", "f3", "f4", "f5", "w2", "f6", "f7", "f8", "f9"]
    frame = pl.DataFrame(cols)
    text = (pl.concat_str([pl.col(c) for c in order], separator=" ")
            .str.replace_all(r"\s+", " ").str.strip_chars())
    caps = rng.random(n) < 0.2
    channel = np.asarray(["app", "web", "phone", "branch"])[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]
    amount = rng.integers(1, 20000, n).astype(float)
    amount[rng.random(n) < 0.3] = np.nan
    return frame.select(
        pl.Series("id", np.char.add("doc", np.arange(start, start + n).astype(str))),
        pl.when(pl.Series(caps)).then(text.str.to_uppercase()).otherwise(text).alias("text"),
        pl.Series("channel", channel),
        pl.Series("amount", amount).fill_nan(None).cast(pl.Int64),
        pl.Series("y", y),
    )


def write_corpus(path: Path, n: int, *, seed: int, chunk: int = 1_000_000, uncovered: float = 0.0) -> Path:
    """Write ``n`` documents to one parquet file, generating and streaming ``chunk`` at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts_dir = path.parent / f"{path.stem}.parts"
    parts_dir.mkdir(exist_ok=True)
    parts = []
    for i, start in enumerate(range(0, n, chunk)):
        part = parts_dir / f"part{i:04d}.parquet"
        make_corpus(min(chunk, n - start), seed=seed, start=start, uncovered=uncovered).write_parquet(part)
        parts.append(part)
    pl.scan_parquet(parts).sink_parquet(path)
    for p in parts:
        p.unlink()
    parts_dir.rmdir()
    return path


# ------------------------------------------------------------------ the same rules as Snorkel Python LFs


def _py_condition(cond, text_column: str = "text"):
    """A Python predicate ``row -> bool | None`` (None = unknown, like SQL null) for one condition."""
    if isinstance(cond, KeywordsCond):
        col = cond.column or text_column
        if cond.match == "any":
            rx = re.compile(keywords_any_pattern(cond.keywords, whole_word=cond.whole_word,
                                                 case_sensitive=cond.case_sensitive))
            return lambda x: None if x[col] is None else rx.search(x[col]) is not None
        rxs = [re.compile(keyword_pattern(k, whole_word=cond.whole_word, case_sensitive=cond.case_sensitive))
               for k in cond.keywords]
        return lambda x: None if x[col] is None else all(r.search(x[col]) for r in rxs)
    if isinstance(cond, RegexCond):
        rx = re.compile(regex_pattern(cond))
        col = cond.column or text_column
        return lambda x: None if x[col] is None else rx.search(x[col]) is not None
    if isinstance(cond, ColumnCond):
        c, v, op = cond.column, cond.value, cond.op
        if op == "is_null":
            return lambda x: _missing(x[c])
        if op == "not_null":
            return lambda x: not _missing(x[c])
        fn = {"eq": lambda a: a == v, "ne": lambda a: a != v, "gt": lambda a: a > v, "ge": lambda a: a >= v,
              "lt": lambda a: a < v, "le": lambda a: a <= v, "in": lambda a: a in v,
              "not_in": lambda a: a not in v}[op]
        return lambda x: None if _missing(x[c]) else fn(x[c])
    if isinstance(cond, TextLengthCond):
        col = cond.column or text_column
        lo, hi = cond.min, cond.max
        return lambda x: None if x[col] is None else ((lo is None or len(x[col]) >= lo) and
                                                      (hi is None or len(x[col]) <= hi))
    if isinstance(cond, AllOfCond):
        parts = [_py_condition(c, text_column) for c in cond.conditions]

        def all_of(x):
            vals = [p(x) for p in parts]
            return False if any(v is False for v in vals) else (None if any(v is None for v in vals) else True)
        return all_of
    if isinstance(cond, AnyOfCond):
        parts = [_py_condition(c, text_column) for c in cond.conditions]

        def any_of(x):
            vals = [p(x) for p in parts]
            return True if any(v is True for v in vals) else (None if any(v is None for v in vals) else False)
        return any_of
    if isinstance(cond, NotCond):
        inner = _py_condition(cond.condition, text_column)

        def not_(x):
            v = inner(x)
            return None if v is None else not v
        return not_
    raise ValueError(cond)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def python_lfs(specs: list[LFSpec]):
    """Snorkel ``LabelingFunction`` objects evaluating the same rules row by row."""
    from snorkel.labeling import LabelingFunction

    out = []
    for spec in specs:
        pred = _py_condition(spec.condition)
        k = LABELS.index(spec.label)
        out.append(LabelingFunction(name=spec.name, f=lambda x, pred=pred, k=k: k if pred(x) is True else -1))
    return out


def machine_facts() -> str:
    import os
    import platform
    from importlib import metadata

    kb = 0
    with open("/proc/meminfo") as fh:
        kb = int(fh.readline().split()[1])
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("polars", "snorkel", "pandas", "numpy", "torch"))
    return (f"{platform.machine()}, {os.cpu_count()} cores, {kb / 1024 / 1024:.1f} GiB memory, "
            f"Python {platform.python_version()}; {versions}")
