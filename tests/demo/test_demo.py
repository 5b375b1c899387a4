"""`wslab demo`: the generated project is seeded, realistic in shape, and runs as a wslab project."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.core.config import load_config
from wslab.app.demo import (ASSESSOR_ACCURACY, ASSESSORS, CLASS_SHARES, LABELS, SHARED_CONFUSION, build_demo,
                        write_demo)
from wslab.labeling.spec import AllOfCond, AnyOfCond, NotCond, RegexCond, check_lf_set, load_lf_specs

N_DOCS, N_GOLD = 3000, 300
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    return build_demo(N_DOCS, N_GOLD, seed=3)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "proj"
    summary = write_demo(out, n_docs=N_DOCS, n_gold=N_GOLD, seed=3)
    return out, summary


# ----------------------------------------------------------------------------- corpus


def test_corpus_schema_and_ids(data):
    c = data.corpus
    assert c.columns == ["id", "text", "channel", "customer_tenure_days", "amount", "lang"]
    assert c.schema["amount"] == pl.Float64 and c.schema["customer_tenure_days"] == pl.Int64
    assert c.height == N_DOCS and c["id"].n_unique() == N_DOCS
    assert c["id"].str.contains(r"^m\d{6}$").all()
    assert set(c["channel"].unique()) == {"chat", "email", "app", "phone_transcript"}
    assert set(c["lang"].unique()) == {"ru", "en", "mixed"}
    assert 0.1 < c["amount"].is_not_null().mean() < 0.6  # money is mentioned in some messages only
    assert c["customer_tenure_days"].min() >= 1


def test_class_shares_close_to_targets(data):
    shares = dict(data.truth.group_by("label").len().with_columns(pl.col("len") / N_DOCS).iter_rows())
    assert set(shares) == set(LABELS) == set(CLASS_SHARES)
    for label, target in CLASS_SHARES.items():
        assert abs(shares[label] - target) < 0.03, (label, shares[label], target)


def test_texts_are_varied_noisy_and_mixed(data):
    texts = data.corpus["text"]
    assert texts.n_unique() > 0.6 * N_DOCS  # templates x fillers x noise, not a handful of strings
    lengths = texts.str.len_chars()
    assert (lengths <= 12).sum() > 30  # empty-ish messages: "help", "??"
    assert lengths.max() > 100
    mixed = data.corpus.filter(pl.col("lang") == "mixed")["text"]
    both = mixed.str.contains(r"[а-яА-Я]") & mixed.str.contains(r"[a-zA-Z]{3}")
    assert both.mean() > 0.8  # code-switching: both scripts in one message
    ru = data.corpus.filter(pl.col("lang") == "ru")["text"]
    assert ru.str.contains(r"^[^а-яА-Я]*[A-Za-z]{4}[^а-яА-Я]*$").sum() > 10  # transliterated Russian


def test_amount_matches_the_text(data):
    with_amount = data.corpus.filter(pl.col("amount").is_not_null())
    assert with_amount["text"].str.contains(r"\d").all()


# ----------------------------------------------------------------------------- gold, assessors


def test_gold_is_a_stratified_subset_with_true_labels(data):
    gold = data.gold
    assert gold.columns == ["id", "label"] and gold.height == N_GOLD and gold["id"].n_unique() == N_GOLD
    joined = gold.join(data.truth, on="id", how="left")
    assert joined["label_right"].null_count() == 0  # every gold id is in the corpus
    assert (joined["label"] == joined["label_right"]).all()  # the experts are right
    shares = dict(gold.group_by("label").len().with_columns(pl.col("len") / N_GOLD).iter_rows())
    for label, target in CLASS_SHARES.items():
        assert abs(shares[label] - target) < 0.03


def test_annotations_shape(data):
    ann = data.annotations
    assert ann.columns == ["id", "annotator", "label", "batch"]
    assert sorted(ann["annotator"].unique()) == list(ASSESSORS)
    assert set(ann["label"].unique()) <= set(LABELS)
    items = ann["id"].n_unique()
    assert items == N_GOLD + N_GOLD // 2  # gold items and half as many more
    assert ann.select(pl.struct("id", "annotator").is_duplicated().any()).item() is False
    missing = 1 - ann.height / (3 * items)
    assert 0.02 < missing < 0.09
    batches = sorted(ann["batch"].unique())
    assert batches[0] == "b01" and len(batches) == -(-items // 200)
    assert set(data.gold["id"]) <= set(ann["id"])


def test_assessor_accuracies_off_the_shared_slice(data):
    ann = data.annotations.join(data.truth, on="id", suffix="_true")
    honest = ann.filter(~((pl.col("label_true") == SHARED_CONFUSION[0]) & (pl.col("intent") == SHARED_CONFUSION[1])))
    acc = dict(honest.group_by("annotator").agg((pl.col("label") == pl.col("label_true")).mean()).iter_rows())
    assert acc["assessor_1"] > acc["assessor_2"] > acc["assessor_3"]
    for a, target in ASSESSOR_ACCURACY.items():
        assert abs(acc[a] - target) < 0.05, (a, acc[a], target)


def test_shared_confusion_high_agreement_wrong_label():
    """On fraud reports about a blocked card, all three assessors mostly say `card`."""
    data = build_demo(4000, 1500, seed=5)  # enough gold fraud items for the slice
    truth, intent, wrong = SHARED_CONFUSION
    slice_ids = data.truth.filter((pl.col("label") == truth) & (pl.col("intent") == intent))
    gold_slice = data.gold_wide.join(slice_ids.select("id"), on="id", how="semi")
    assert gold_slice.height >= 15
    long = gold_slice.unpivot(index=["id", "label"], on=list(ASSESSORS)).drop_nulls("value")
    assert (long["value"] == wrong).mean() > 0.7
    # they agree with each other there (pairs of non-missing ratings) but not with gold
    a, b = gold_slice["assessor_1"], gold_slice["assessor_2"]
    both = a.is_not_null() & b.is_not_null()
    assert (a.filter(both) == b.filter(both)).mean() > 0.6
    assert (long["value"] == long["label"]).mean() < 0.3
    # the written text shows the trigger: a blocked card
    texts = data.corpus.join(gold_slice.select("id"), on="id", how="semi")["text"]
    assert texts.str.contains(r"(?i)блок|blocked|froze|zablok").mean() > 0.6


def test_gold_wide_matches_long_annotations(data):
    wide = data.gold_wide
    assert wide.columns == ["id", "label", *ASSESSORS] and wide.height == N_GOLD
    long = (wide.unpivot(index="id", on=list(ASSESSORS), variable_name="annotator", value_name="rating")
            .drop_nulls().rename({"rating": "label"}))
    expected = data.annotations.join(data.gold.select("id"), on="id", how="semi").select("id", "annotator", "label")
    assert long.sort("id", "annotator").equals(expected.sort("id", "annotator"))


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_data_different_seed_different(data):
    again = build_demo(N_DOCS, N_GOLD, seed=3)
    for name in ("corpus", "truth", "gold", "annotations", "gold_wide"):
        assert getattr(again, name).equals(getattr(data, name)), name
    other = build_demo(N_DOCS, N_GOLD, seed=4)
    assert not other.corpus.equals(data.corpus)
    assert not other.gold.equals(data.gold)


def test_written_bytes_are_deterministic(project, tmp_path):
    out, _ = project
    write_demo(tmp_path / "again", n_docs=N_DOCS, n_gold=N_GOLD, seed=3)
    for rel in ("data/corpus.parquet", "data/gold.csv", "data/annotations.csv", "lfs.yaml", "config.yaml", "README.md"):
        assert (tmp_path / "again" / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_bad_sizes_are_one_line_errors(tmp_path):
    from wslab.core.errors import InputError

    with pytest.raises(InputError, match="--gold must be between"):
        build_demo(200, 150)
    with pytest.raises(InputError, match="--docs must be at least"):
        build_demo(10, 5)


# ----------------------------------------------------------------------------- project files


def test_written_files_and_summary(project):
    out, summary = project
    for rel in ("config.yaml", "lfs.yaml", "README.md", "data/corpus.parquet", "data/gold.csv",
                "data/annotations.csv", "data/gold_wide.csv", "data/truth.parquet"):
        assert (out / rel).is_file(), rel
    assert not list(out.rglob("*.tmp"))
    assert summary.n_docs == N_DOCS and summary.n_gold == N_GOLD
    assert sum(summary.class_counts.values()) == N_DOCS
    assert pl.read_parquet(out / "data/corpus.parquet").height == N_DOCS
    gold = pl.read_csv(out / "data/gold.csv")
    assert gold.columns == ["id", "label"] and gold.height == N_GOLD
    readme = (out / "README.md").read_text()
    assert "blocked card" in readme and "wslab apply config.yaml" in readme


def test_config_validates_and_points_at_the_files(project):
    out, _ = project
    cfg = load_config(out / "config.yaml")
    assert cfg.label_names == list(LABELS)
    assert cfg.gold is not None and cfg.gold.dev_fraction == 0.5
    assert cfg.label_model.restarts == 3 and cfg.selection.candidate is None
    for p in (cfg.corpus.path, cfg.gold.path, cfg.annotations, *cfg.lfs.files):
        assert cfg.resolve(p).is_file(), p


def test_repo_demo_config_validates():
    cfg = load_config(REPO / "configs" / "demo.yaml")
    assert cfg.label_names == list(LABELS)
    assert str(cfg.corpus.path).startswith("../demo-project/")
    assert str(cfg.output.dir) == "../runs/demo"
    ours = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text())
    from wslab.app.demo import config_dict

    assert ours == config_dict(data_prefix="../demo-project/", output_dir="../runs/demo")


# ----------------------------------------------------------------------------- LFs


def _regexes(cond):
    if isinstance(cond, RegexCond):
        yield cond.pattern
    elif isinstance(cond, (AllOfCond, AnyOfCond)):
        for c in cond.conditions:
            yield from _regexes(c)
    elif isinstance(cond, NotCond):
        yield from _regexes(cond.condition)


def test_lfs_load_and_every_regex_compiles_in_polars(project):
    out, _ = project
    specs = load_lf_specs(out / "lfs.yaml")
    check_lf_set(specs, list(LABELS))
    assert 18 <= len(specs) <= 30
    assert {s.label for s in specs} == set(LABELS)
    assert all(s.provenance.get("author") == "demo" and s.provenance.get("note") for s in specs)
    kinds = {s.kind for s in specs}
    assert {"keywords", "regex", "column", "text_length", "all_of"} <= kinds
    patterns = [p for s in specs for p in _regexes(s.condition)]
    assert len(patterns) >= 10
    for p in patterns:
        pl.select(pl.lit("x").str.contains(f"(?i){p}"))  # raises on look-around, backreferences


def _label_matrix(specs, corpus):
    """Each LF's votes: through the project's compiler when it exists, else plain str.contains."""
    index = {name: i for i, name in enumerate(LABELS)}
    if importlib.util.find_spec("wslab.labeling.compile") is not None:
        from wslab.labeling.compile import compile_lf

        return corpus.select([compile_lf(s, index, text_column="text") for s in specs]).to_numpy()
    pytest.skip("wslab.labeling.compile is not available")


def test_lf_quality_is_varied_and_coverage_realistic(project, data):
    out, _ = project
    specs = load_lf_specs(out / "lfs.yaml")
    L = _label_matrix(specs, data.corpus)
    y = data.truth["label"].replace_strict({n: i for i, n in enumerate(LABELS)}).to_numpy()
    fired = L != -1
    assert fired.any(axis=0).all(), [s.name for s, f in zip(specs, fired.any(axis=0)) if not f]
    coverage = fired.any(axis=1).mean()
    assert 0.72 < coverage < 0.9, coverage  # ~15-25% of messages no LF touches
    acc = {s.name: (L[fired[:, j], j] == y[fired[:, j]]).mean() for j, s in enumerate(specs) if fired[:, j].sum() >= 20}
    assert min(acc.values()) < 0.45 and max(acc.values()) > 0.95  # a noisy one and a precise one
    assert acc["charged_word"] < 0.5  # 'charged' is mostly fee questions, not fraud
    # near-copies fire together
    names = [s.name for s in specs]
    for a, b in (("tariff_fee", "tariff_fee_copy"), ("loan_words", "loan_words_copy"), ("fraud_not_me", "fraud_denial_copy")):
        fa, fb = fired[:, names.index(a)], fired[:, names.index(b)]
        assert (fa & fb).sum() / (fa | fb).sum() > 0.6, (a, b)


def test_a_keyword_lf_by_hand(data):
    """Independent of the compiler: the card_pin_reissue regex finds PIN and reissue messages."""
    hit = data.corpus.join(data.truth, on="id").filter(
        pl.col("text").str.contains(r"(?i)пин|\bpin\b|перевыпус|reissue|replacement card"))
    assert hit.height > 50
    assert (hit["label"] == "card").mean() > 0.7


# ----------------------------------------------------------------------------- CLI


def test_cli_refuses_non_empty_folder_then_force_overwrites(tmp_path):
    from wslab.app.cli import app

    runner = CliRunner()
    target = tmp_path / "proj"
    args = ["demo", str(target), "--docs", "400", "--gold", "40", "--quiet"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert (target / "config.yaml").is_file()
    before = (target / "data/corpus.parquet").read_bytes()
    second = runner.invoke(app, args)
    lines = [ln for ln in second.output.splitlines() if ln.strip()]
    assert second.exit_code == 2 and len(lines) == 1, second.output
    assert "not empty" in lines[0] and "--force" in lines[0]
    forced = runner.invoke(app, [*args[:-1], "--seed", "8", "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    summary = json.loads(forced.stdout)
    assert summary["n_docs"] == 400 and summary["seed"] == 8 and sum(summary["class_counts"].values()) == 400
    assert (target / "data/corpus.parquet").read_bytes() != before


def test_cli_help_has_an_example():
    from wslab.app.cli import app

    res = CliRunner().invoke(app, ["demo", "--help"])
    assert res.exit_code == 0 and "wslab demo demo-project" in res.output
