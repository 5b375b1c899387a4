"""The demo generator as a package: its data files load through the normal loaders, and the
generated project is the same, byte for byte, as the single-module generator wrote it."""

from __future__ import annotations

import hashlib
import re
import string
from importlib import resources

import polars as pl
import pytest
import yaml

from wslab.app.demo import DATA, LABELS, lfs_yaml, phrase_bank, write_demo
from wslab.app.demo.generate import _AMOUNT_RANGES
from wslab.labeling.spec import check_lf_set, load_lf_specs

# sha256 of the project `write_demo(n_docs=3000, n_gold=300, seed=3)` wrote before the generator
# became a package (wslab/app/demo.py at ad3c1d8). Text files by their bytes; the parquet files by
# their rows as CSV, so a polars upgrade that changes parquet metadata does not break the check.
# config.yaml changed on purpose since: label_model.kind removed (one chooser), quality: -> suspicious:.
REFERENCE = {
    "README.md": "9d3a4fdf3094d78d40b4d8fbf4e8a57071f0120316d1d5a995ca0244cb146e5c",
    "config.yaml": "97847bd5788076c65bf4e28b1025cf827d95419891a9bd320e73c2abae4411f9",
    "lfs.yaml": "a3f5d0fe657d6c21f253608343eca85027f35ce141ac96d11604046003236867",
    "data/gold.csv": "1132368ceefda2b9a1454668e2543bdbc2f51fd605fce1dc4b7382f64f803f9a",
    "data/annotations.csv": "df6c481948cc749662bf651c76fc19eb60ecfc3f900917eba16dfb2af6703b4a",
    "data/gold_wide.csv": "c1c1d26efe0952ca84273b37eced4001b4e8b4bf42646d43963a925ff41afdc8",
    "data/corpus.parquet": "650226f96cbe3903b2c23194a1cf27711a9b0ed679aa2ad12fcffbca4146528b",
    "data/truth.parquet": "0f561ecf77204d7386652f6ad3a4d7a6c89ff8e175c172692c2cb2165e7f5d7b",
}


def _digest(path) -> str:
    if path.suffix == ".parquet":
        return hashlib.sha256(pl.read_parquet(path).write_csv().encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generated_project_is_unchanged_by_the_package_split(tmp_path):
    out = tmp_path / "proj"
    write_demo(out, n_docs=3000, n_gold=300, seed=3)
    got = {rel: _digest(out / rel) for rel in REFERENCE}
    assert got == REFERENCE


def test_packaged_lfs_load_through_the_lf_loader():
    with resources.as_file(DATA / "lfs.yaml") as path:
        specs = load_lf_specs(path)
    check_lf_set(specs, list(LABELS))
    names = [s.name for s in specs]
    assert len(names) == len(set(names)) == len(yaml.safe_load(lfs_yaml())["lfs"]) == 26
    assert {"charged_word", "card_blocked_ru", "other_short", "phone_with_amount"} <= set(names)
    assert {s.label for s in specs} == set(LABELS)


_SLOTS = {"amount", "merchant", "plan", "plan2", "digits", "when", "ago", "month", "street", "card_kind"}


def test_phrase_bank_is_complete_and_consistent():
    bank = phrase_bank()
    assert list(bank.intents) == list(LABELS)
    for cls, intents in bank.intents.items():
        assert intents, cls
        for it in intents:
            assert set(it) == {"name", "weight", "amount", "ru", "en"}, it.get("name")
            assert isinstance(it["weight"], int) and it["weight"] > 0, it["name"]
            assert it["ru"] and it["en"] and all(isinstance(t, str) and t for t in it["ru"] + it["en"]), it["name"]
            for t in it["ru"] + it["en"]:
                slots = {f for _, f, _, _ in string.Formatter().parse(t) if f}
                assert slots <= _SLOTS, (it["name"], t)
                if "amount" in slots:
                    assert it["amount"] in _AMOUNT_RANGES, (it["name"], t)
    for lang in ("ru", "en"):
        assert set(bank.cues[lang]) == set(LABELS)
        for table in (bank.greet, bank.sign, bank.context, bank.tail):
            assert table[lang]
    # every fill slot a template uses has fillers (plan2 and digits and amount are computed)
    used = {f for its in bank.intents.values() for it in its for t in it["ru"] + it["en"]
            for _, f, _, _ in string.Formatter().parse(t) if f}
    assert used - {"plan2", "digits", "amount"} <= set(bank.fill)
    assert all(re.fullmatch(r"[а-яё]", k) for k in bank.translit) and len(bank.translit) == 33
    assert len(bank.layout) == 32 and all(len(v) == 1 for v in bank.layout.values())


def test_readme_template_has_only_known_fields():
    fields = {f for _, f, _, _ in string.Formatter().parse((DATA / "README.md.tmpl").read_text(encoding="utf-8")) if f}
    assert fields == {"seed", "n_docs", "n_gold", "n_annotated_items", "n_rated_beyond_gold", "batch_size",
                      "missing_rate", "n_lfs", "pipeline_seed", "mix", "acc"}


@pytest.mark.parametrize("name", ["intents.yaml", "phrases.yaml", "lfs.yaml", "README.md.tmpl"])
def test_data_files_are_utf8_text(name):
    assert (DATA / name).read_text(encoding="utf-8").strip()
