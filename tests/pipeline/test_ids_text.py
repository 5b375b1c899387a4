"""Ids are text, exactly as written, through every command (issue 13.2): real CLI, real files.

Every file here is written by hand (not by polars), so ``001`` is on disk as ``001``, and every
output is read back as text, so a reader that turned ``001`` into ``1`` fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from wslab.app.cli import app

runner = CliRunner()
LFS = {"lfs": [{"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love"]},
               {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "hate"]}]}
WORDS = {"pos": ["great", "love"], "neg": ["awful", "hate"]}


def docs(n: int, ids: list[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """``n`` documents: ids ``000``.. (zero-padded), texts, and their sentiment."""
    ids = ids or [f"{i:03d}" for i in range(n)]
    labels = ["pos" if (i * 7) % 3 else "neg" for i in range(len(ids))]
    texts = [f"it was {WORDS[lab][i % 2]} really" for i, lab in enumerate(labels)]
    return ids, texts, labels


def write_csv(path: Path, header: str, rows) -> None:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def read_ids(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        df = pl.read_parquet(path)
        assert df.schema["id"] == pl.String
        return df["id"].to_list()
    return pl.read_csv(path, schema_overrides={"id": pl.String}, infer_schema_length=0)["id"].to_list()


def project(folder: Path, *, corpus: str = "corpus.csv", gold: str = "gold.csv", **extra) -> Path:
    (folder / "lfs.yaml").write_text(yaml.safe_dump(LFS), encoding="utf-8")
    config = {"task": "sentiment", "seed": 1, "corpus": {"path": corpus}, "labels": {"pos": "p", "neg": "n"},
              "gold": {"path": gold}, "lfs": {"files": ["lfs.yaml"]}, "evaluation": {"bootstrap": 20},
              "output": {"dir": "run"}, **extra}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return folder / "config.yaml"


def invoke(*argv) -> str:
    res = runner.invoke(app, [str(a) for a in argv])
    assert res.exit_code == 0, res.output
    return res.output


def test_csv_corpus_keeps_leading_zeros_in_every_run_file(tmp_path):
    ids, texts, labels = docs(120)
    # every 17th document: the other class's keyword among its own class's words, so the relabel
    # queue has rows
    filler = {"pos": "lovely superb wonderful", "neg": "horrible broken useless"}
    other = {"pos": "hate", "neg": "love"}
    texts = [f"it was {other[lab] if i % 17 == 3 else WORDS[lab][i % 2]} really {filler[lab]}"
             for i, lab in enumerate(labels)]
    write_csv(tmp_path / "corpus.csv", "id,text", zip(ids, texts))
    write_csv(tmp_path / "gold.csv", "id,label", zip(ids[:60], labels[:60]))
    write_csv(tmp_path / "ann.csv", "id,annotator,label", [(i, a, lab) for i, lab in zip(ids[:60], labels[:60])
                                                           for a in ("ann1", "ann2")])
    invoke("apply", project(tmp_path, annotations="ann.csv"), "-q")
    run = tmp_path / "run"
    assert read_ids(run / "labels.parquet") == ids
    assert read_ids(run / "label_matrix.parquet") == ids
    queue = read_ids(run / "queue.csv")
    assert queue and set(queue) <= set(ids) and all(len(i) == 3 for i in queue)
    tasks = json.loads((run / "label_studio.json").read_text())
    assert {t["data"]["wslab_id"] for t in tasks} == set(queue)


def test_relabel_import_writes_the_gold_id_as_written(tmp_path):
    write_csv(tmp_path / "gold.csv", "id,label", [("007", "pos"), ("7", "neg"), ("010", "pos")])
    write_csv(tmp_path / "answers.csv", "id,new_label", [("007", "neg")])
    invoke("relabel", "import", "--answers", tmp_path / "answers.csv", "--into", tmp_path / "gold.csv",
           "--out", tmp_path / "gold2.csv")
    assert (tmp_path / "gold2.csv").read_text().splitlines() == ["id,label", "007,neg", "7,neg", "010,pos"]
    assert (tmp_path / "gold2.audit.csv").read_text().splitlines()[1].startswith("007,pos,neg,true,")
    # a custom id column, too
    write_csv(tmp_path / "g.csv", "doc,label", [("007", "pos"), ("008", "neg")])
    invoke("relabel", "import", "--answers", tmp_path / "answers.csv", "--into", tmp_path / "g.csv",
           "--id-col", "doc", "--out", tmp_path / "g2.csv")
    assert (tmp_path / "g2.csv").read_text().splitlines() == ["doc,label", "007,neg", "008,neg"]


def test_parquet_corpus_with_text_ids_and_gold_csv(tmp_path):
    ids, texts, labels = docs(80)
    pl.DataFrame({"id": ids, "text": texts}).write_parquet(tmp_path / "corpus.parquet")
    write_csv(tmp_path / "gold.csv", "id,label", zip(ids[:40], labels[:40]))
    cfg = project(tmp_path, corpus="corpus.parquet", suspicious={"enabled": False})
    out = invoke("config", "check", cfg, "--json")
    assert json.loads(out)["gold"]["items"] == 40
    invoke("apply", cfg, "-q")
    assert read_ids(tmp_path / "run" / "labels.parquet") == ids
    # and the reverse: gold "1" is not corpus "001"
    write_csv(tmp_path / "gold.csv", "id,label", [("001", "pos"), ("1", "neg")])
    res = runner.invoke(app, ["config", "check", str(cfg)])
    assert res.exit_code == 2 and "row 3: gold id '1' is not in the corpus" in res.output


def test_numeric_ids_then_a_text_id_after_ten_thousand_rows(tmp_path):
    n = 10_049
    ids = [str(i) for i in range(n)] + ["A1"]
    _, texts, labels = docs(0, ids)
    write_csv(tmp_path / "corpus.csv", "id,text", zip(ids, texts))
    gold_rows = list(range(0, n, 50)) + [n]
    write_csv(tmp_path / "gold.csv", "id,label", [(ids[i], labels[i]) for i in gold_rows])
    cfg = project(tmp_path, suspicious={"enabled": False}, end_model={"enabled": False})
    invoke("config", "check", cfg, "-q")
    invoke("apply", cfg, "-q")
    assert read_ids(tmp_path / "run" / "labels.parquet") == ids


def test_issues_keeps_ids_as_written(tmp_path):
    ids, texts, labels = docs(80)
    labels = [("neg" if lab == "pos" else "pos") if i % 9 == 4 else lab for i, lab in enumerate(labels)]
    write_csv(tmp_path / "labeled.csv", "id,text,label", zip(ids, texts, labels))
    invoke("issues", "--data", tmp_path / "labeled.csv", "--out", tmp_path / "iss", "-q")
    queue = read_ids(tmp_path / "iss" / "queue.csv")
    assert queue and set(queue) <= set(ids) and "004" in queue
    assert sorted(read_ids(tmp_path / "iss" / "scores.parquet")) == ids


def test_agreement_matches_ids_as_written(tmp_path):
    """``001`` in gold and ``001`` in the annotations are one item; ``1`` is another."""
    write_csv(tmp_path / "gold.csv", "id,label", [("001", "pos"), ("002", "neg"), ("003", "pos")])
    write_csv(tmp_path / "ann.csv", "id,annotator,label",
              [(i, a, lab) for i, lab in (("001", "pos"), ("002", "neg"), ("003", "pos")) for a in ("x", "y")])
    out = json.loads(invoke("agreement", "--gold", tmp_path / "gold.csv", "--annotations", tmp_path / "ann.csv",
                            "--json", "--n-boot", "0"))
    assert out["percent_agreement"]["n"] == 3
    write_csv(tmp_path / "gold.csv", "id,label", [("1", "pos"), ("002", "neg"), ("003", "pos")])
    res = runner.invoke(app, ["agreement", "--gold", str(tmp_path / "gold.csv"), "--annotations",
                              str(tmp_path / "ann.csv")])
    assert res.exit_code == 2 and "(first: '1')" in res.output, res.output


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_readers_keep_zero_padded_ids(tmp_path, suffix):
    from wslab.core.io import read_table

    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        write_csv(path, "id,label", [("001", "a"), ("1", "b"), ("1e3", "a")])
    else:
        path.write_text('{"id": "001", "label": "a"}\n{"id": 1, "label": "b"}\n{"id": "1e3", "label": "a"}\n')
    assert read_table(path)["id"].to_list() == ["001", "1", "1e3"]
