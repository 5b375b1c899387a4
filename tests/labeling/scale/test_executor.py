"""``lfs.executor: spark`` in a config: the run's label matrix equals the Polars run's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from wslab.core.config import load_config
from wslab.core.errors import ConfigError
from wslab.app.pipeline import run_apply

LFS = [
    {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "отлично", "👍"]},
    {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "ужасно"]},
    {"name": "re_neg", "label": "neg", "kind": "regex", "pattern": r"\bплох\w*"},
    {"name": "re_end", "label": "pos", "kind": "regex", "pattern": r"!$"},
    {"name": "stars_hi", "label": "pos", "kind": "column", "column": "stars", "op": "ge", "value": 4},
]


def _project(tmp: Path, *, executor: str, lfs=LFS, end_model: bool = False) -> Path:
    rng = np.random.default_rng(3)
    words = ["great", "awful", "Отлично", "УЖАСНО", "плохой", "service", "👍", "day", "курьер"]
    n = 300
    texts = [" ".join(rng.choice(words, rng.integers(1, 6))) + str(rng.choice(["", "!", "!\n", "."])) for _ in range(n)]
    texts[5] = None
    stars = [None if rng.random() < 0.2 else int(v) for v in rng.integers(1, 6, n)]
    pl.DataFrame({"id": [f"d{i}" for i in range(n)], "text": texts,
                  "stars": pl.Series(stars, dtype=pl.Int64)}).write_parquet(tmp / "corpus.parquet")
    (tmp / "lfs.yaml").write_text(yaml.safe_dump({"lfs": lfs}, allow_unicode=True), encoding="utf-8")
    cfg = {"seed": 1, "corpus": {"path": "corpus.parquet"}, "labels": {"neg": "bad", "pos": "good"},
           "lfs": {"files": ["lfs.yaml"], "executor": executor, "spark_master": "local[2]"},
           "label_model": {"n_epochs": 50},
           "end_model": {"enabled": end_model}, "suspicious": {"enabled": False},
           "output": {"dir": f"runs/{executor}{'_em' if end_model else ''}"}}
    path = tmp / f"{executor}{'_em' if end_model else ''}.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_spark_executor_run_equals_polars_run(spark, tmp_path):
    res_pl = run_apply(load_config(_project(tmp_path, executor="polars")))
    res_sp = run_apply(load_config(_project(tmp_path, executor="spark")))
    a = pl.read_parquet(res_pl.files["label_matrix"])
    b = pl.read_parquet(res_sp.files["label_matrix"])
    assert a.equals(b)  # same rows in corpus order, same Int8 votes
    la = pl.read_parquet(res_pl.files["labels"])
    lb = pl.read_parquet(res_sp.files["labels"])
    assert la.equals(lb)
    log = res_sp.run_dir / "spark.log"  # the JVM's log, beside the run's files
    assert log.is_file() and res_sp.manifest["files"]["spark_log"] == "spark.log"
    assert "resolves to a loopback address" not in log.read_text(encoding="utf-8")
    assert "spark_log" not in res_pl.manifest["files"]


def test_spark_executor_predicts_uncovered_documents_on_spark(spark, tmp_path, monkeypatch):
    """With the end model on, the documents no LF covers are scored on Spark (the model broadcast)
    and get the labels and probabilities of the Polars run."""
    from wslab.labeling import spark_predict

    scored = []
    original = spark_predict.spark_proba

    def counting(model, texts, **kw):
        scored.append(len(texts))
        return original(model, texts, **kw)

    monkeypatch.setattr(spark_predict, "spark_proba", counting)
    res_pl = run_apply(load_config(_project(tmp_path, executor="polars", end_model=True)))
    assert not scored
    res_sp = run_apply(load_config(_project(tmp_path, executor="spark", end_model=True)))
    la, lb = (pl.read_parquet(r.files["labels"]) for r in (res_pl, res_sp))
    assert la.equals(lb)
    uncovered = int((la["source"] == "end_model").sum())
    assert uncovered > 0 and scored == [uncovered]


def test_spark_run_from_the_cli_prints_no_jvm_or_pyspark_output(spark, tmp_path):
    """A fresh process (its own JVM): stderr holds only wslab's own lines, the JVM's go to spark.log."""
    import subprocess
    import sys

    config = _project(tmp_path, executor="spark")
    proc = subprocess.run([sys.executable, "-m", "wslab", "apply", str(config), "-q"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    log = (tmp_path / "runs" / "spark" / "spark.log").read_text(encoding="utf-8")
    assert "WARN" in log or "WARNING" in log  # the JVM did say things; they went to the file


def test_non_portable_rule_rejected_before_any_work(tmp_path):
    lfs = LFS + [{"name": "lookahead", "label": "neg", "kind": "regex", "pattern": r"(?i)bad(?:\W|$)"},
                 {"name": "multi", "label": "neg", "kind": "regex", "pattern": r"(?m)^bad$"}]
    cfg = load_config(_project(tmp_path, executor="spark", lfs=lfs))
    with pytest.raises(ConfigError, match=r"LF 'multi': key 'pattern': regex '\(\?m\)\^bad\$' cannot run identically on Spark"):
        run_apply(cfg)
    assert not (tmp_path / "runs" / "spark").exists()


def test_unknown_executor_is_a_config_error(tmp_path):
    path = _project(tmp_path, executor="dask")
    with pytest.raises(ConfigError, match="lfs.executor"):
        load_config(path)


def test_spark_submit_entry_point_writes_the_polars_matrix(spark, tmp_path):
    from wslab.labeling.spark import main

    cfg_path = _project(tmp_path, executor="polars")
    out = tmp_path / "lm_spark"
    assert main(["--config", str(cfg_path), "--out", str(out)]) == 0
    got = pl.read_parquet(out / "*.parquet").sort("id")
    res = run_apply(load_config(cfg_path))
    want = pl.read_parquet(res.files["label_matrix"]).sort("id")
    assert got.equals(want)


def test_spark_submit_entry_point_bad_config_exit_2(tmp_path, capsys):
    from wslab.labeling.spark import main

    assert main(["--config", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
