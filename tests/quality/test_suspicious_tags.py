"""Suspicious tags (multi-label): cleanlab's multi-label search and cartography per tag, one queue
that names the tag; ``wslab issues`` on a multi-label table; the Label Studio export of it."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from cleanlab.multilabel_classification.filter import find_label_issues as cl_find
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.app.suspicious_tags import find_suspicious_tags, tag_cells
from wslab.quality.label_issues_tags import find_tag_issues, tag_lists

TAGS = ["card", "fraud", "tariff"]
WORDS = {"card": ["card", "blocked", "declined", "pin"], "fraud": ["stolen", "fraud", "unauthorized", "scam"],
         "tariff": ["fee", "tariff", "plan", "charge"]}
FILLER = ["hello", "please", "my", "account", "today", "help", "bank", "the", "again", "thanks"]
N_FLIPPED = 10


def _corpus(seed: int = 3, n: int = 160):
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, len(TAGS))) < 0.35).astype(np.uint8)
    texts = []
    for row in truth:
        words = list(rng.choice(FILLER, 5))
        for j, tag in enumerate(TAGS):
            if row[j]:
                words += list(rng.choice(WORDS[tag], 3))
        rng.shuffle(words)
        texts.append(" ".join(words))
    given = truth.copy()
    flipped = rng.choice(n, N_FLIPPED, replace=False)
    flipped_tag = rng.integers(0, len(TAGS), N_FLIPPED)
    given[flipped, flipped_tag] ^= 1
    ids = [f"m{i:03d}" for i in range(n)]
    return ids, texts, given, dict(zip([ids[i] for i in flipped], [TAGS[t] for t in flipped_tag]))


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def result(corpus):
    ids, texts, given, _ = corpus
    return find_suspicious_tags(ids, texts, given, None, TAGS, folds=4, epochs=4, seed=0)


def test_find_tag_issues_is_cleanlabs_multilabel_search(corpus, result):
    _, _, given, _ = corpus
    probs = result.pred_probs.select([f"p_{t}" for t in TAGS]).to_numpy()
    ours = find_tag_issues(given, probs)
    ref = cl_find(tag_lists(given), np.clip(probs, 1e-6, 1 - 1e-6))
    assert ours["is_label_issue"].to_numpy().tolist() == np.asarray(ref, dtype=bool).tolist()
    per_tag = np.array(ours["tag_issue"].to_list())
    assert per_tag.shape == given.shape and (per_tag.any(1) <= ours["is_label_issue"].to_numpy()).all()


def test_queue_finds_flipped_tags_and_names_them(corpus, result):
    ids, _, given, flipped = corpus
    q = result.queue
    assert q.height == len(ids) and q["rank"].to_list() == list(range(1, len(ids) + 1))
    top = q.head(2 * N_FLIPPED)
    hits = top.filter(pl.col("id").is_in(list(flipped)))
    assert hits.height >= 0.8 * N_FLIPPED  # flipped tags rank near the top (10 of 10 at seed 3)
    named = [flipped[i] in s.split(";") for i, s in hits.select("id", "suspect_tags").rows()]
    assert sum(named) >= 0.7 * hits.height  # ... and the queue names the flipped tag
    row = hits.row(0, named=True)
    assert row["flagged"] and "tag '" in row["reasons"] and row["given_label"] == tag_cells(
        given[[ids.index(row["id"])]], TAGS)[0]
    assert set(result.cartography.columns) >= {f"confidence_{t}" for t in TAGS} | {"region", "confidence"}
    assert result.summary["multilabel"] and set(result.summary["cleanlab_issues_per_tag"]) == set(TAGS)


def test_precomputed_probabilities_are_used(corpus):
    ids, texts, given, flipped = corpus
    probs = np.where(given == 1, 0.9, 0.1)
    item = ids.index(next(iter(flipped)))
    probs[item] = 1 - probs[item]  # the model disagrees on every tag of one item
    res = find_suspicious_tags(ids, texts, given, probs, TAGS, epochs=2, seed=0)
    row = res.queue.filter(pl.col("id") == ids[item]).row(0, named=True)
    assert row["is_label_issue"] and row["suspect_tags"] == ";".join(TAGS) and row["rank"] <= 3


def test_issues_cli_on_a_multilabel_table_and_export(tmp_path):
    ids, texts, given, flipped = _corpus(n=60)
    data = tmp_path / "tagged.csv"
    pl.DataFrame({"id": ids, "text": texts, "label": tag_cells(given, TAGS)}).write_csv(data)
    out = tmp_path / "issues"
    res = CliRunner().invoke(app, ["issues", "--data", str(data), "--multilabel", "--out", str(out), "--folds", "3",
                                   "--epochs", "3", "--json", "--labels", ",".join(TAGS)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["tags"] == TAGS and summary["flagged"] > 0
    queue = pl.read_csv(out / "queue.csv", infer_schema=False)
    assert "suspect_tags" in queue.columns and queue["suspect_tags"].drop_nulls().len() > 0
    config = (out / "label_studio_config.xml").read_text()
    assert 'choice="multiple"' in config and all(f'value="{t}"' in config for t in TAGS)
    tasks = json.loads((out / "label_studio.json").read_text())
    first = tasks[0]
    given_first = [t for t in (first["data"]["given_label"] or "").split(";") if t]
    assert first["predictions"][0]["result"][0]["value"]["choices"] == given_first  # given tags pre-selected

    exported = tmp_path / "tasks.json"  # relabel export sees the multiple-choice config beside the queue
    res = CliRunner().invoke(app, ["relabel", "export", "--queue", str(out / "queue.csv"), "--out", str(exported),
                                   "--top", "5", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["multilabel"] is True
    assert 'choice="multiple"' in exported.with_suffix(".config.xml").read_text()

    bad = tmp_path / "bad.csv"
    pl.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "label": ["card;loan", "card"]}).write_csv(bad)
    res = CliRunner().invoke(app, ["issues", "--data", str(bad), "--multilabel", "--labels", ",".join(TAGS),
                                   "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "row 2" in res.output and "'loan'" in res.output


def test_issues_detects_a_tags_list_column(tmp_path):
    ids, texts, given, _ = _corpus(n=40)
    data = tmp_path / "labels.parquet"
    pl.DataFrame({"id": ids, "text": texts,
                  "tags": [c.split(";") if c else [] for c in tag_cells(given, TAGS)]}).write_parquet(data)
    res = CliRunner().invoke(app, ["issues", "--data", str(data), "--out", str(tmp_path / "o"), "--folds", "2",
                                   "--epochs", "2", "--json", "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["tags"] == TAGS


def test_tasks_validate_in_label_studio_sdk(result, tmp_path):
    """The label-studio package's own validator accepts every multi-choice prediction against the
    config (skips where `make label-studio` has not installed it)."""
    import os
    import subprocess
    from pathlib import Path

    from wslab.quality.queue import label_studio_config, to_label_studio_tasks

    repo = Path(__file__).resolve().parents[2]
    python = Path(os.environ.get("WSLAB_LABEL_STUDIO", repo / ".venv-ls" / "bin" / "label-studio")).parent / "python"
    if not python.exists():
        pytest.skip(f"Label Studio is not installed beside {python} (make label-studio installs it)")
    tasks = to_label_studio_tasks(result.queue.filter(pl.col("flagged")), multilabel=True)
    assert any(len(t["predictions"][0]["result"][0]["value"]["choices"]) > 1 for t in tasks)
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    (tmp_path / "config.xml").write_text(label_studio_config(TAGS, multilabel=True))
    script = ("import json, sys; from label_studio_sdk.label_interface import LabelInterface; "
              "li = LabelInterface(open(sys.argv[1]).read()); tasks = json.load(open(sys.argv[2])); "
              "print(list(li.controls)[0].attr.get('choice'), sum(li.validate_prediction(t['predictions'][0]) for t in tasks),"
              " len(tasks))")
    out = subprocess.run([str(python), "-c", script, str(tmp_path / "config.xml"), str(tmp_path / "tasks.json")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    choice, valid, total = out.stdout.split()
    assert choice == "multiple" and valid == total, out.stderr[-500:]


def test_a_tag_every_item_has_or_none_has(corpus):
    from cleanlab.filter import find_label_issues as cl_binary

    _, _, given, _ = corpus
    probs = np.clip(np.where(given == 1, 0.8, 0.2) + np.random.default_rng(0).normal(0, 0.05, given.shape), 0, 1)
    probs[:5, 0] = 1 - probs[:5, 0]
    g = given.copy()
    g[:, 2] = 1  # one class only: cleanlab searches the two varying tags
    out = find_tag_issues(g, probs)
    per_tag = np.array(out["tag_issue"].to_list())
    assert not per_tag[:, 2].any() and per_tag[:5, 0].sum() >= 4
    ref = cl_find(tag_lists(g[:, :2]), np.clip(probs[:, :2], 1e-6, 1 - 1e-6))
    assert out["is_label_issue"].to_numpy().tolist() == np.asarray(ref, dtype=bool).tolist()
    assert np.array(out["tag_quality"].to_list())[:, 2] == pytest.approx(np.clip(probs[:, 2], 1e-6, 1 - 1e-6))
    g[:, 1] = 0  # one searchable tag left: cleanlab's binary search
    out = find_tag_issues(g, probs)
    p0 = np.clip(probs[:, 0], 1e-6, 1 - 1e-6)
    ref = cl_binary(g[:, 0].astype(int), np.stack([1 - p0, p0], axis=1))
    assert np.array(out["tag_issue"].to_list())[:, 0].tolist() == np.asarray(ref, dtype=bool).tolist()
    assert out["is_label_issue"].to_numpy().tolist() == np.asarray(ref, dtype=bool).tolist()
