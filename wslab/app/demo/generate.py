"""The demo generator: a realistic, seeded project of bank support messages in Russian and English.

The words live in data files beside this module (``wslab/app/demo/data/``): ``intents.yaml`` (the
phrase banks: per class, its intents and their templates), ``phrases.yaml`` (slot fillers,
greetings, signatures, noise tables), ``lfs.yaml`` (the demo's labeling functions, written as is)
and ``README.md.tmpl`` (the project README, a :meth:`str.format` template). This module holds
the code and the generator's numeric parameters (class shares, assessor accuracies, amounts).

:func:`build_demo` generates everything in memory (pure, deterministic for a seed);
:func:`wslab.app.demo.project.write_demo` writes it into a folder as a ready-to-run wslab project::

    DIR/config.yaml            the project (valid wslab config)
    DIR/lfs.yaml               ~20 declarative LFs of varied quality
    DIR/README.md              what the data is and the rules that generated it
    DIR/data/corpus.parquet    id, text, channel, customer_tenure_days, amount, lang
    DIR/data/gold.csv          id, label: expert labels (the generating class)
    DIR/data/annotations.csv   id, annotator, label, batch: three assessors, long form
    DIR/data/gold_wide.csv     id, label, assessor_1..3 (for ``wslab agreement --gold``)
    DIR/data/truth.parquet     id, label, intent for every document (benchmarks only)

Texts are built compositionally: a class, an intent within the class, a template from a
paraphrase bank (Russian or English; mixed messages code-switch Russian words to English),
slot fillers (amounts, merchants, plans), greetings, signatures, channel noise, and typos
(swapped or dropped letters, dropped soft signs, transliteration, wrong keyboard layout).

The true label of an ambiguous message follows these rules, in order:

1. ``fraud`` wins: any operation, loan or log-in the customer did not authorise is fraud,
   even when the message is mostly about the card the bank then blocked.
2. ``loan`` beats ``card``: a failed loan or credit-card-debt payment is a loan question.
3. ``tariff`` beats ``card``: what a card or service costs (fees, plans, cashback terms).
4. ``card``: a card that does not work, is blocked, lost, swallowed, needs a PIN or reissue.
5. ``other``: everything else (statements, addresses, branches, app log-in, deposits,
   exchange rates, thanks, and messages that say nothing: "help", "??").

The three assessors share one systematic confusion: a fraud report that mentions a blocked
card is labelled ``card`` by all of them most of the time (see :data:`SHARED_CONFUSION`).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from importlib import resources

import numpy as np
import polars as pl
import yaml

from wslab.core.errors import InputError

LABELS: dict[str, str] = {
    "tariff": "Tariffs, plans, fees and what a service costs (including card service fees and cashback terms).",
    "card": "A card that does not work: blocked, declined, lost, swallowed by an ATM, PIN, reissue, contactless.",
    "loan": "Loans, mortgages, credit cards' debt: applying, rates, payments, schedules, overdue, early repayment.",
    "fraud": "Operations, loans or log-ins the customer did not authorise; scams, phishing, stolen cards used.",
    "other": "Everything else: statements, addresses, branches, app log-in, deposits, exchange rates, thanks, empty.",
}
CLASS_SHARES: dict[str, float] = {"tariff": 0.20, "card": 0.25, "loan": 0.13, "fraud": 0.07, "other": 0.35}
CHANNELS = ("chat", "email", "app", "phone_transcript")
ASSESSORS = ("assessor_1", "assessor_2", "assessor_3")
ASSESSOR_ACCURACY = {"assessor_1": 0.92, "assessor_2": 0.85, "assessor_3": 0.78}
SHARED_CONFUSION = ("fraud", "fraud_card_blocked", "card")
"""(true label, intent, label the assessors give): fraud reports about a blocked card."""
BATCH_SIZE = 200
MISSING_RATE = 0.05


_AMOUNT_RANGES = {  # log-uniform-ish (low, high) in roubles, by an intent's amount kind
    "fee": (49, 1990), "purchase": (150, 60_000), "installment": (3_000, 60_000),
    "loan": (50_000, 6_000_000), "fraud": (900, 250_000),
}

_CONFUSIONS = {  # where an assessor's honest mistakes go
    "tariff": {"other": 0.45, "card": 0.35, "loan": 0.2},
    "card": {"fraud": 0.3, "tariff": 0.3, "other": 0.4},
    "loan": {"tariff": 0.35, "card": 0.35, "other": 0.3},
    "fraud": {"card": 0.55, "other": 0.3, "loan": 0.15},
    "other": {"tariff": 0.35, "card": 0.35, "loan": 0.15, "fraud": 0.15},
}

# --------------------------------------------------------------------------- data files

DATA = resources.files("wslab.app.demo") / "data"
"""The packaged data folder (a :class:`~importlib.resources.abc.Traversable`)."""


def data_text(name: str) -> str:
    """The text of one packaged data file, e.g. ``data_text("lfs.yaml")``."""
    return (DATA / name).read_text(encoding="utf-8")


def lfs_yaml() -> str:
    """The demo's LF file, exactly as ``write_demo`` writes it to ``lfs.yaml``."""
    return data_text("lfs.yaml")


def _load_yaml(name: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(data_text(name), Loader=loader)  # noqa: S506 (a safe loader)


@dataclass(frozen=True)
class PhraseBank:
    """The words of the generator, from ``intents.yaml`` and ``phrases.yaml``."""

    intents: dict[str, list[dict]]  # class -> [{name, weight, amount, ru, en}]
    fill: dict[str, list[str]]
    fill_en: dict[str, list[str]]
    greet: dict[str, list[str]]  # lang (ru/en) -> phrases; likewise sign, context, tail
    sign: dict[str, list[str]]
    names: list[str]
    context: dict[str, list[str]]
    tail: dict[str, list[str]]
    cues: dict[str, dict[str, list[str]]]  # lang -> class -> phrases
    phone_fillers: list[str]
    switch: dict[str, str]
    switch_phrases_en: list[str]
    translit: dict[str, str]
    layout: dict[str, str]


@functools.cache
def phrase_bank() -> PhraseBank:
    """Load the phrase banks once (lazily: ``wslab --help`` does not pay for it)."""
    return PhraseBank(intents=_load_yaml("intents.yaml"), **_load_yaml("phrases.yaml"))

@dataclass(frozen=True)
class DemoData:
    """Everything the demo project holds, in memory."""

    corpus: pl.DataFrame  # id, text, channel, customer_tenure_days, amount, lang
    truth: pl.DataFrame  # id, label, intent (every document)
    gold: pl.DataFrame  # id, label
    annotations: pl.DataFrame  # id, annotator, label, batch
    gold_wide: pl.DataFrame  # id, label, assessor_1, assessor_2, assessor_3


# --------------------------------------------------------------------------- text generation


def _money(value: float, lang: str, rnd: random.Random) -> str:
    v = int(value)
    if lang == "en":
        style = rnd.random()
        if style < 0.4:
            return f"{v:,} RUB"
        if style < 0.7:
            return f"{v} rub"
        return f"₽{v:,}"
    style = rnd.random()
    if v >= 1_000_000 and style < 0.5:
        return f"{v / 1_000_000:.1f}".replace(".", ",").replace(",0", "") + " млн"
    if v >= 10_000 and style < 0.3:
        return f"{v // 1000} тыс"
    if style < 0.55:
        return f"{v:,}".replace(",", " ") + " руб"
    if style < 0.8:
        return f"{v}р"
    return f"{v} ₽"


def _code_switch(text: str, rnd: random.Random, bank: PhraseBank) -> str:
    switch = bank.switch
    words = text.split(" ")
    hits = [i for i, w in enumerate(words) if w.lower().strip(",.?!") in switch]
    if hits:
        for i in hits:
            if rnd.random() < 0.6 or i == hits[0]:
                core = words[i].strip(",.?!")
                words[i] = words[i].replace(core, switch[core.lower()])
        text = " ".join(words)
    if not hits or rnd.random() < 0.4:
        text = f"{text} {rnd.choice(bank.switch_phrases_en)}"
    return text


def _typos(text: str, rnd: random.Random, n: int) -> str:
    chars = list(text)
    for _ in range(n):
        if len(chars) < 4:
            break
        i = rnd.randrange(1, len(chars) - 1)
        op = rnd.random()
        if op < 0.4:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op < 0.75:
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


def _translit(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in table:
            t = table[low]
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


def _fill(template: str, lang: str, rnd: random.Random, amount: float | None, bank: PhraseBank) -> str:
    slots = {}
    for key, values in bank.fill.items():
        if "{" + key + "}" in template:
            choices = bank.fill_en.get(key, values) if lang == "en" else values
            slots[key] = rnd.choice(choices)
    if "{plan2}" in template:
        slots["plan2"] = rnd.choice([p for p in bank.fill["plan"] if p != slots.get("plan")])
    if "{digits}" in template:
        slots["digits"] = f"{rnd.randrange(10_000):04d}"
    if "{amount}" in template:
        slots["amount"] = _money(amount if amount is not None else 1000.0, lang, rnd)
    return template.format(**slots)


def _message(cls: str, lang: str, channel: str, rnd: random.Random, amount_draw: float,
             bank: PhraseBank) -> tuple[str, str, float | None]:
    """One message: (text, intent name, amount mentioned or None)."""
    intents = bank.intents[cls]
    intent = rnd.choices(intents, weights=[it["weight"] for it in intents])[0]
    base_lang = "en" if lang == "en" else ("en" if lang == "mixed" and rnd.random() < 0.3 else "ru")
    template = rnd.choice(intent[base_lang])
    amount = None
    if "{amount}" in template:
        lo, hi = _AMOUNT_RANGES[intent["amount"]]
        amount = float(round(np.exp(np.log(lo) + amount_draw * (np.log(hi) - np.log(lo))), -1 if hi > 5000 else 0))
    core = _fill(template, base_lang, rnd, amount, bank)
    short = intent["name"].endswith(("_short", "_empty"))
    if lang == "mixed":
        core = _code_switch(core, rnd, bank) if base_lang == "ru" else f"{core} {rnd.choice(bank.tail['ru'])}"
    if short:
        text = core
    else:
        lang_key = base_lang
        ru = base_lang == "ru"
        parts = []
        p_greet = {"email": 0.8, "chat": 0.35, "app": 0.15, "phone_transcript": 0.5}[channel]
        if rnd.random() < p_greet:
            parts.append(rnd.choice(bank.greet[lang_key]))
        if rnd.random() < 0.15:
            parts.append(rnd.choice(bank.context[lang_key]))
        parts.append(core)
        if rnd.random() < 0.4:
            cue = rnd.choice(bank.cues[lang_key][cls]).format(num=rnd.randrange(10**6, 10**7))
            parts.insert(len(parts) - (rnd.random() < 0.5), cue)
        if rnd.random() < 0.2:
            parts.append(rnd.choice(bank.tail[lang_key]))
        if channel == "email" and rnd.random() < 0.7 or rnd.random() < 0.1:
            parts.append(rnd.choice(bank.sign[lang_key]).format(name=rnd.choice(bank.names)))
        text = " ".join(parts)
        if channel == "phone_transcript":
            words = text.split(" ")
            for _ in range(rnd.randrange(1, 4)):
                words.insert(rnd.randrange(len(words) + 1), rnd.choice(bank.phone_fillers) + ",")
            text = ("Клиент: " if ru else "Client: ") + " ".join(words)
        elif channel == "app" and rnd.random() < 0.3:
            text = f"[App {rnd.randrange(4, 7)}.{rnd.randrange(10)}.{rnd.randrange(10)}] {text}"
    # noise: casing, typos, missing letters, transliteration, wrong keyboard layout
    r = rnd.random()
    if channel in ("chat", "app") and r < 0.35:
        text = text.lower().rstrip(".!")
    if rnd.random() < 0.3:
        text = _typos(text, rnd, rnd.randrange(1, 4))
    if base_lang == "ru":
        r = rnd.random()
        if r < 0.08:
            text = text.replace("ь", "").replace("ё", "е").replace("й", "и")
        elif r < 0.14:
            text = _translit(text, bank.translit)
        elif r < 0.155:
            text = "".join(bank.layout.get(ch, ch) for ch in text.lower())
    return text, intent["name"], amount


def generate_corpus(n_docs: int, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(corpus, truth)`` for ``n_docs`` messages; ``truth`` holds id, label, intent."""
    names = list(CLASS_SHARES)
    cls_idx = rng.choice(len(names), size=n_docs, p=np.array(list(CLASS_SHARES.values())))
    lang = rng.choice(["ru", "en", "mixed"], size=n_docs, p=[0.58, 0.24, 0.18])
    # fraud comes by phone more often; loans and 'other' by email
    ch_p = {"tariff": [0.45, 0.2, 0.27, 0.08], "card": [0.45, 0.12, 0.33, 0.10], "loan": [0.35, 0.35, 0.2, 0.10],
            "fraud": [0.33, 0.12, 0.2, 0.35], "other": [0.42, 0.25, 0.25, 0.08]}
    u_ch = rng.random(n_docs)
    cum = np.array([np.cumsum(ch_p[n]) for n in names])[cls_idx]
    channel = np.array(CHANNELS)[np.minimum((u_ch[:, None] > cum).sum(axis=1), 3)]
    # tenure: tariff questions come from newer customers, loans from older ones
    median = np.array([450.0, 700.0, 1400.0, 900.0, 650.0])[cls_idx]
    tenure = np.clip(np.round(median * np.exp(rng.normal(0.0, 1.0, n_docs))), 1, 9000).astype(np.int64)
    amount_draw = rng.random(n_docs)
    seeds = rng.integers(0, 2**62, size=n_docs)
    bank = phrase_bank()
    texts, intents, amounts = [], [], []
    labels = [names[i] for i in cls_idx]
    for i in range(n_docs):
        rnd = random.Random(int(seeds[i]))
        t, it, a = _message(labels[i], str(lang[i]), str(channel[i]), rnd, float(amount_draw[i]), bank)
        texts.append(t)
        intents.append(it)
        amounts.append(a)
    ids = [f"m{i:06d}" for i in range(1, n_docs + 1)]
    corpus = pl.DataFrame({
        "id": ids, "text": texts, "channel": channel.tolist(), "customer_tenure_days": tenure,
        "amount": pl.Series(amounts, dtype=pl.Float64), "lang": lang.tolist(),
    })
    truth = pl.DataFrame({"id": ids, "label": labels, "intent": intents})
    return corpus, truth


# --------------------------------------------------------------------------- gold and assessors


def sample_gold(truth: pl.DataFrame, n_gold: int, rng: np.random.Generator) -> pl.DataFrame:
    """Stratified sample of exactly ``n_gold`` ids, proportional to the class counts."""
    counts = truth.group_by("label").len().sort("label")
    labels, sizes = counts["label"].to_list(), counts["len"].to_numpy()
    quota = n_gold * sizes / sizes.sum()
    k = np.floor(quota).astype(int)
    k[np.argsort(-(quota - k), kind="stable")[: n_gold - k.sum()]] += 1  # largest remainders
    picks = []
    for label, n in zip(labels, np.minimum(k, sizes)):
        ids = truth.filter(pl.col("label") == label)["id"].to_numpy()
        picks.append(rng.choice(ids, size=int(n), replace=False))
    return (pl.DataFrame({"id": np.concatenate(picks).astype(str)})
            .join(truth.select("id", "label"), on="id", how="left")
            .sort("id"))


def simulate_annotations(items: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Long-form ratings (id, annotator, label, batch) of ``items`` (id, label, intent).

    Each assessor is right with their accuracy (assessor_3 drifts from 0.86 to 0.70 over the
    batches), ~5% of ratings are missing, and fraud reports about a blocked card look like card
    problems to all three (a shared latent per item: 85% of them, each assessor then says
    ``card`` with probability 0.95).
    """
    n = items.height
    order = rng.permutation(n)
    items = items[order.tolist()]
    batch_no = np.arange(n) // BATCH_SIZE
    batch = [f"b{b + 1:02d}" for b in batch_no]
    true = items["label"].to_list()
    trigger = ((items["label"] == SHARED_CONFUSION[0]) & (items["intent"] == SHARED_CONFUSION[1])).to_numpy()
    looks_wrong = trigger & (rng.random(n) < 0.85)
    rows_id, rows_ann, rows_label, rows_batch = [], [], [], []
    for a in ASSESSORS:
        acc = np.full(n, ASSESSOR_ACCURACY[a])
        if a == "assessor_3" and n > 1:  # drifts from 0.86 to 0.70 over the batches, 0.78 on average
            acc = 0.86 - 0.16 * np.arange(n) / (n - 1)
        right = rng.random(n) < acc
        u = rng.random(n)
        shared = looks_wrong & (rng.random(n) < 0.95)
        missing = rng.random(n) < MISSING_RATE
        for i in range(n):
            if missing[i]:
                continue
            if shared[i]:
                label = SHARED_CONFUSION[2]
            elif right[i]:
                label = true[i]
            else:
                conf = _CONFUSIONS[true[i]]
                cum = np.cumsum(list(conf.values()))
                label = list(conf)[int(np.searchsorted(cum, u[i] * cum[-1]))]
            rows_id.append(items["id"][i])
            rows_ann.append(a)
            rows_label.append(label)
            rows_batch.append(batch[i])
    return (pl.DataFrame({"id": rows_id, "annotator": rows_ann, "label": rows_label, "batch": rows_batch},
                         schema={"id": pl.String, "annotator": pl.String, "label": pl.String, "batch": pl.String})
            .sort("batch", "id", "annotator"))


def check_demo_size(n_docs: int, n_gold: int) -> None:
    """``--docs`` and ``--gold`` of a demo: at least 100 documents, 20 gold up to half of them."""
    if n_docs < 100:
        raise InputError(f"demo: --docs must be at least 100; got {n_docs}")
    if not 20 <= n_gold <= n_docs // 2:
        raise InputError(f"demo: --gold must be between 20 and half of --docs ({n_docs // 2}); got {n_gold}")


def build_demo(n_docs: int = 50_000, n_gold: int = 2000, *, seed: int = 7) -> DemoData:
    """Generate the demo data in memory; deterministic for a seed."""
    check_demo_size(n_docs, n_gold)
    rng = np.random.default_rng(seed)
    corpus, truth = generate_corpus(n_docs, rng)
    gold = sample_gold(truth, n_gold, rng)
    extra_n = min(n_gold // 2, n_docs - gold.height)
    rest = truth.filter(~pl.col("id").is_in(gold["id"].implode()))
    extra = rest[np.sort(rng.choice(rest.height, size=extra_n, replace=False)).tolist()]
    rated = pl.concat([truth.join(gold.select("id"), on="id", how="semi"), extra])
    annotations = simulate_annotations(rated, rng)
    wide = (annotations.join(gold.select("id"), on="id", how="semi")
            .pivot(on="annotator", index="id", values="label"))
    for a in ASSESSORS:
        if a not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.String).alias(a))
    gold_wide = gold.join(wide, on="id", how="left").select("id", "label", *ASSESSORS).sort("id")
    return DemoData(corpus=corpus, truth=truth, gold=gold, annotations=annotations, gold_wide=gold_wide)
