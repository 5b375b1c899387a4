"""``wslab demo --multilabel``: the bank-messages demo with tags instead of classes.

A message carries 0-3 of the tags ``tariff``, ``card``, ``loan``, ``fraud`` (no tag: what the
single-label demo calls ``other``). The words are the single-label demo's phrase banks
(``data/intents.yaml``, ``data/phrases.yaml``); what is new is how a message gets its tags:

1. Its tag set is drawn from :data:`TAG_SETS` (the co-occurrence is a table, stated up front).
2. Two-tag sets that one intent of the phrase bank already covers (:data:`CROSS_INTENTS`: a
   card blocked because of someone else's payment is fraud and card) use that intent half the
   time; otherwise the message joins one sentence per tag, each from an intent of that tag's
   class that speaks to no other tag ("my card is blocked. Also, why was I charged a 490 RUB
   fee?" is card and tariff).
3. Tag rules: ``card`` is a card that does not work for the customer (blocked, declined, lost,
   PIN, reissue, ATM, contactless); what a card *costs* is ``tariff`` only; credit-card debt is
   ``loan``; an operation the customer did not authorise is ``fraud``. A sentence about anything
   else (statements, branches, thanks) adds no tag, whether alone or beside tagged ones.

Gold (``data/gold.csv``) holds ``id``, ``label`` (tags in :data:`TAGS` order joined by ``;``;
empty = no tag) and ``split`` (dev/test, half each, stratified by tag set). Three assessors
(``data/annotations.csv``, same format, long form) keep a true tag with probability
:data:`ASSESSOR_KEEP` and add a wrong one with :data:`ASSESSOR_ADD`; on fraud reports about a
blocked card they all tend to tag only ``card`` (the single-label demo's shared confusion).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from wslab.app.demo.generate import _AMOUNT_RANGES, LABELS, PhraseBank, _code_switch, _fill, _typos, check_demo_size, \
    data_text, phrase_bank
from wslab.core.io import write_table, write_text

TAGS: dict[str, str] = {t: LABELS[t] for t in ("tariff", "card", "loan", "fraud")}
TAG_SETS: dict[tuple[str, ...], float] = {
    (): 0.30, ("tariff",): 0.14, ("card",): 0.16, ("loan",): 0.09, ("fraud",): 0.05,
    ("tariff", "card"): 0.09, ("card", "fraud"): 0.06, ("card", "loan"): 0.04, ("tariff", "loan"): 0.03,
    ("loan", "fraud"): 0.02, ("tariff", "card", "fraud"): 0.01, ("tariff", "card", "loan"): 0.01,
}
"""The share of each tag set (tags in :data:`TAGS` order); sums to 1."""
CROSS_INTENTS: dict[str, tuple[str, ...]] = {
    "fraud_card_blocked": ("card", "fraud"), "loan_payment_declined_card": ("card", "loan"),
    "fraud_loan_in_my_name": ("loan", "fraud"),
}
"""Intents of the phrase bank whose one sentence speaks to two tags."""
ASSESSOR_KEEP = {"assessor_1": 0.95, "assessor_2": 0.90, "assessor_3": 0.84}
ASSESSOR_ADD = {"assessor_1": 0.02, "assessor_2": 0.04, "assessor_3": 0.06}
MISSING_RATE = 0.05
CONNECT = {"ru": ["И ещё:", "Кстати,", "Также", "Ещё вопрос:", "Плюс"], "en": ["Also,", "And", "Plus,",
                                                                              "Another thing:", "Oh and"]}
TAG_PIPELINE_SEED = 13


@dataclass(frozen=True)
class TagDemoData:
    corpus: pl.DataFrame  # id, text, channel, lang
    truth: pl.DataFrame  # id, tags (list[str]), intents (list[str]) for every message
    gold: pl.DataFrame  # id, label ("tag;tag"), split
    annotations: pl.DataFrame  # id, annotator, label ("tag;tag")


def tag_cell(tags) -> str:
    """Tags as a gold cell: :data:`TAGS` order, joined by ``;``."""
    return ";".join(t for t in TAGS if t in set(tags))


def _sentence(intent: dict, lang: str, rnd: random.Random, bank: PhraseBank) -> str:
    template = rnd.choice(intent[lang])
    amount = None
    if "{amount}" in template:
        lo, hi = _AMOUNT_RANGES[intent["amount"]]
        amount = float(round(np.exp(np.log(lo) + rnd.random() * (np.log(hi) - np.log(lo))), -1 if hi > 5000 else 0))
    return _fill(template, lang, rnd, amount, bank)


def _pick(cls: str, rnd: random.Random, bank: PhraseBank, *, alone: bool) -> dict:
    """An intent of ``cls`` that speaks to no other tag (short ones only when the message is alone)."""
    pool = [it for it in bank.intents[cls] if it["name"] not in CROSS_INTENTS
            and (alone or not it["name"].endswith(("_short", "_empty")))]
    return rnd.choices(pool, weights=[it["weight"] for it in pool])[0]


def _message(tags: tuple[str, ...], lang: str, rnd: random.Random, bank: PhraseBank) -> tuple[str, list[str]]:
    """One message carrying exactly ``tags``: (text, the intents it was built from)."""
    base = "en" if lang == "en" else "ru"
    cross = [n for n, ts in CROSS_INTENTS.items() if ts == tags]
    if cross and rnd.random() < 0.5:
        intents = [next(it for it in bank.intents[tags[-1]] if it["name"] == cross[0])]
    else:
        intents = [_pick(t, rnd, bank, alone=len(tags) == 1) for t in tags] or [_pick("other", rnd, bank, alone=True)]
        rnd.shuffle(intents)
    if tags and rnd.random() < 0.15:  # an untagged sentence beside the tagged ones adds no tag
        intents.insert(rnd.randrange(len(intents) + 1), _pick("other", rnd, bank, alone=False))
    parts = []
    for i, it in enumerate(intents):
        s = _sentence(it, base, rnd, bank)
        parts.append(s if i == 0 else f"{rnd.choice(CONNECT[base])} {s[:1].lower()}{s[1:]}")
    text = " ".join(parts)
    if lang == "mixed":
        text = _code_switch(text, rnd, bank)
    if len(parts) > 1 or rnd.random() < 0.4:
        if rnd.random() < 0.5:
            text = f"{rnd.choice(bank.greet[base])} {text}"
        if rnd.random() < 0.3:
            text = f"{text} {rnd.choice(bank.sign[base]).format(name=rnd.choice(bank.names))}"
    if rnd.random() < 0.3:
        text = text.lower()
    if rnd.random() < 0.25:
        text = _typos(text, rnd, rnd.randrange(1, 3))
    return text, [it["name"] for it in intents]


def generate_tagged(n_docs: int, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(corpus, truth)`` of ``n_docs`` messages with their tags."""
    sets = list(TAG_SETS)
    pick = rng.choice(len(sets), size=n_docs, p=np.array(list(TAG_SETS.values())))
    lang = rng.choice(["ru", "en", "mixed"], size=n_docs, p=[0.58, 0.27, 0.15])
    channel = rng.choice(["chat", "email", "app", "phone_transcript"], size=n_docs, p=[0.42, 0.2, 0.28, 0.1])
    seeds = rng.integers(0, 2**62, size=n_docs)
    bank = phrase_bank()
    texts, intents = [], []
    for i in range(n_docs):
        t, its = _message(sets[pick[i]], str(lang[i]), random.Random(int(seeds[i])), bank)
        texts.append(t)
        intents.append(its)
    ids = [f"t{i:06d}" for i in range(1, n_docs + 1)]
    corpus = pl.DataFrame({"id": ids, "text": texts, "channel": channel.tolist(), "lang": lang.tolist()})
    truth = pl.DataFrame({"id": ids, "tags": [list(sets[k]) for k in pick], "intents": intents},
                         schema={"id": pl.String, "tags": pl.List(pl.String), "intents": pl.List(pl.String)})
    return corpus, truth


def sample_tag_gold(truth: pl.DataFrame, n_gold: int, rng: np.random.Generator) -> pl.DataFrame:
    """A seeded random sample of ``n_gold`` messages, split half dev and half test within each tag set."""
    keyed = truth.with_columns(pl.col("tags").list.join(";").alias("key"))
    picked = np.sort(rng.choice(truth.height, size=n_gold, replace=False))
    gold = keyed[picked.tolist()]
    split = np.empty(gold.height, dtype=object)
    for key in sorted(set(gold["key"].to_list())):
        idx = np.flatnonzero((gold["key"] == key).to_numpy())
        rng.shuffle(idx)
        split[idx] = "test"
        split[idx[: (len(idx) + 1) // 2]] = "dev"
    return pl.DataFrame({"id": gold["id"], "label": gold["key"], "split": split.tolist()})


def simulate_tag_annotations(items: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Long-form tag sets (id, annotator, label) of ``items`` (id, tags, intents) by three assessors."""
    names = list(TAGS)
    truth = np.array([[t in ts for t in names] for ts in items["tags"].to_list()])
    shared = np.array(["fraud_card_blocked" in its for its in items["intents"].to_list()]) & (
        rng.random(items.height) < 0.7)
    rows = []
    for a in ASSESSOR_KEEP:
        keep = rng.random(truth.shape) < ASSESSOR_KEEP[a]
        add = rng.random(truth.shape) < ASSESSOR_ADD[a]
        said = np.where(truth, keep, add)
        said[shared, names.index("fraud")] = False  # the blocked card hides the fraud
        said[shared, names.index("card")] = True
        missing = rng.random(items.height) < MISSING_RATE
        rows += [(i, a, ";".join(t for t, s in zip(names, row) if s))
                 for i, row, m in zip(items["id"].to_list(), said, missing) if not m]
    return pl.DataFrame(rows, schema={"id": pl.String, "annotator": pl.String, "label": pl.String},
                        orient="row").sort("id", "annotator")


def build_tag_demo(n_docs: int = 50_000, n_gold: int = 2000, *, seed: int = 7) -> TagDemoData:
    """The multi-tag demo data in memory; deterministic for a seed."""
    check_demo_size(n_docs, n_gold)
    rng = np.random.default_rng(seed)
    corpus, truth = generate_tagged(n_docs, rng)
    gold = sample_tag_gold(truth, n_gold, rng)
    rated = truth.join(gold.select("id"), on="id", how="semi")
    return TagDemoData(corpus=corpus, truth=truth, gold=gold, annotations=simulate_tag_annotations(rated, rng))


def tag_config_dict(*, output_dir: str = "runs/demo-tags", seed: int = TAG_PIPELINE_SEED) -> dict:
    return {
        "task": "Tag bank customer-support messages (Russian, English and mixed) with every topic they raise: "
                "tariffs and fees, card problems, loans, fraud reports; a message may raise none or several.",
        "seed": seed, "multilabel": True,
        "corpus": {"path": "data/corpus.parquet", "id_column": "id", "text_column": "text"},
        "labels": dict(TAGS),
        "gold": {"path": "data/gold.csv", "split_column": "split"},
        "annotations": "data/annotations.csv",
        "lfs": {"files": ["lfs.yaml"]},
        "end_model": {"enabled": True},
        "suspicious": {"enabled": True, "max_items": 20_000},
        "output": {"dir": output_dir},
    }


def tag_lfs_yaml() -> str:
    """The multi-tag demo's LF file, as written to ``lfs.yaml``."""
    return data_text("lfs_tags.yaml")


def _tag_readme(data: TagDemoData, seed: int) -> str:
    counts = {t: int(data.truth["tags"].list.contains(t).sum()) for t in TAGS}
    sizes = data.truth["tags"].list.len().value_counts().sort("tags")
    n = data.corpus.height
    return data_text("README_tags.md.tmpl").format(
        seed=seed, n_docs=n, n_gold=data.gold.height, n_lfs=len(yaml.safe_load(tag_lfs_yaml())["lfs"]),
        pipeline_seed=TAG_PIPELINE_SEED, n_rated=data.annotations["id"].n_unique(),
        tags=", ".join(f"`{t}` {c / n:.0%}" for t, c in counts.items()),
        sizes=", ".join(f"{k} tag{'s' if k != 1 else ''} {v / n:.0%}" for k, v in sizes.iter_rows()),
        sets="\n".join(f"| {', '.join(s) or '(none)'} | {p:.0%} |" for s, p in TAG_SETS.items()),
    )


def write_tag_files(out: Path, data: TagDemoData, seed: int) -> list[Path]:
    """Write the multi-tag project into the folder ``out``; the files written."""
    files = [write_table(out / rel, df) for rel, df in (
        ("data/corpus.parquet", data.corpus), ("data/truth.parquet", data.truth), ("data/gold.csv", data.gold),
        ("data/annotations.csv", data.annotations))]
    head = "# wslab multi-tag demo project, written by `wslab demo --multilabel`. Run: wslab apply config.yaml\n"
    files.append(write_text(out / "lfs.yaml", tag_lfs_yaml()))
    files.append(write_text(out / "config.yaml", head + yaml.safe_dump(tag_config_dict(), sort_keys=False,
                                                                       allow_unicode=True, width=100)))
    files.append(write_text(out / "README.md", _tag_readme(data, seed)))
    return files
