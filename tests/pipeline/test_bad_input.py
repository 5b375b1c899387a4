"""Every bad input gets one line naming the file and key/row/column, exit 2, and no output."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from project_edits import add_lf, edit_config
from wslab.app.cli import app

runner = CliRunner()


def rewrite_csv(path: Path, fn) -> None:
    df = pl.read_csv(path)
    fn(df).write_csv(path)


CASES = {
    "malformed_yaml": (lambda p: p.write_text("corpus: {path: corpus.csv\nlabels: [\n"),
                       r"config\.yaml: line \d+: malformed YAML"),
    "unknown_key": (lambda p: edit_config(p, label_modle={"kind": "auto"}),
                    r"config\.yaml: key 'label_modle': unknown key \(did you mean 'label_model'\?\)"),
    "missing_corpus_file": (lambda p: edit_config(p, corpus__path="nope.csv"), r"nope\.csv: file not found"),
    "missing_text_column": (lambda p: edit_config(p, corpus__text_column="body"),
                            r"corpus\.csv: missing column 'body' in corpus"),
    "missing_id_column": (lambda p: rewrite_csv(p.parent / "corpus.csv", lambda d: d.rename({"id": "doc"})),
                          r"corpus\.csv: missing column 'id' in corpus"),
    "duplicate_corpus_ids": (
        lambda p: rewrite_csv(p.parent / "corpus.csv",
                              lambda d: d.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("d00003"))
                                                       .otherwise(pl.col("id")).alias("id"))),
        r"corpus\.csv: duplicate id 'd00003' in corpus \(rows 5 and 9\)"),
    "duplicate_gold_ids": (
        lambda p: rewrite_csv(p.parent / "gold.csv", lambda d: pl.concat([d, d.head(1)])),
        r"gold\.csv: duplicate id '.+' in gold"),
    "gold_id_not_in_corpus": (
        lambda p: rewrite_csv(p.parent / "gold.csv", lambda d: pl.concat([d, pl.DataFrame({"id": ["zz9"], "label": ["pos"]})])),
        r"gold\.csv: row 402: gold id 'zz9' is not in the corpus"),
    "gold_label_outside_set": (
        lambda p: rewrite_csv(p.parent / "gold.csv", lambda d: d.with_columns(
            pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("meh")).otherwise(pl.col("label")).alias("label"))),
        r"gold\.csv: row 5: label 'meh' is not in the label set; expected one of \['pos', 'neg'\]"),
    "invalid_regex": (
        lambda p: add_lf(p, {"name": "bad_re", "label": "pos", "kind": "regex", "pattern": "(great"}),
        r"lfs\.yaml: LF 'bad_re': key 'pattern': invalid regex '\(great'"),
    "regex_matches_empty": (
        lambda p: add_lf(p, {"name": "every_doc", "label": "pos", "kind": "regex", "pattern": "(great)?"}),
        r"lfs\.yaml: LF 'every_doc': key 'pattern': regex '\(great\)\?' matches every text \(it needs no character of its own\), so it fires on every document"),
    "negative_seed": (lambda p: edit_config(p, seed=-1), r"config\.yaml: key 'seed': Input should be greater than or equal to 0"),
    "lf_unknown_label": (
        lambda p: add_lf(p, {"name": "kw_x", "label": "neutral", "kind": "keywords", "keywords": ["ok"]}),
        r"lfs\.yaml: LF 'kw_x': key 'label': unknown label 'neutral'; expected one of \['pos', 'neg'\]"),
    "lf_unknown_column": (
        lambda p: add_lf(p, {"name": "by_price", "label": "pos", "kind": "column", "column": "price", "op": "gt", "value": 3}),
        r"lfs\.yaml: LF 'by_price': key 'column': column 'price' is not in the corpus"),
    "empty_corpus": (lambda p: (p.parent / "corpus.csv").write_text("id,text,stars\n"),
                     r"corpus\.csv: corpus is empty; expected at least one document"),
    "non_utf8_corpus": (
        lambda p: (p.parent / "corpus.csv").write_bytes(
            (p.parent / "corpus.csv").read_bytes().replace(b"\n", b"\n\xff\xfe caf\xe9 ", 1)),
        r"corpus\.csv: line 2: bytes that are not UTF-8"),
    "non_utf8_config": (lambda p: p.write_bytes(p.read_bytes() + b"\n# \xff\n"),
                        r"config\.yaml: bytes that are not UTF-8"),
    "config_wrong_type": (lambda p: edit_config(p, seed="abc"), r"config\.yaml: key 'seed': Input should be a valid integer"),
    "duplicate_lf_names": (
        lambda p: add_lf(p, {"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["ok"]}),
        r"lfs\.yaml: LF name 'kw_pos' is used twice"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(project, case):
    breaker, message = CASES[case]
    breaker(project)
    before = sorted(p.name for p in project.parent.iterdir())
    result = runner.invoke(app, ["apply", str(project)])
    assert result.exit_code == 2, (case, result.output)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    import re

    assert lines[0].startswith("error: ")
    assert re.search(message, lines[0]), lines[0]
    after = sorted(p.name for p in project.parent.iterdir())
    assert after == before, "a failed run must not leave output behind"
    assert not (project.parent / "run").exists()
