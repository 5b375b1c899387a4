"""Bad input to every command (``apply`` has its own matrix in tests/pipeline/test_bad_input.py).

Each case: the input, the one-line message (regex), exit code 2, and nothing new or changed in
the project folder (no half-written output).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from project_edits import add_lf, edit_config, write

runner = CliRunner()


def rewrite_corpus(p: Path, **columns) -> None:
    import polars as pl

    df = pl.read_csv(p / "corpus.csv")
    df.with_columns(**{k: v if isinstance(v, pl.Expr) else pl.Series(k, v) for k, v in columns.items()}).write_csv(
        p / "corpus.csv")


def wrench_folder(p: Path, label_map: dict, readme: str | None = None) -> None:
    import json

    (p / "wr").mkdir()
    item = {"data": {"text": "a text"}, "label": 0, "weak_labels": [0, -1]}
    for split in ("train", "valid", "test"):
        write(p, f"wr/{split}.json", json.dumps({"1": item, "2": {**item, "label": 1}}))
    write(p, "wr/label.json", json.dumps(label_map))
    if readme is not None:
        write(p, "wr/readme.txt", readme)


def one_annotator(p: Path) -> None:
    rows = (p / "annotations.csv").read_text().splitlines()
    write(p, "annotations.csv", "\n".join([rows[0], *[r for r in rows[1:] if r.split(",")[1] == "a"]]) + "\n")


CHECK = ["config", "check", "{p}/config.yaml"]
LF_WHERE = r"lfs\.yaml: lfs\[2\] \(LF 'bad'\): "

# name: (set-up on the project folder or None, argv (with {p} = project folder), message regex)
CASES = {
    # agreement
    "agreement_no_input": (None, ["agreement"], r"nothing to measure: pass --gold"),
    "agreement_missing_gold": (None, ["agreement", "--gold", "{p}/nope.csv"], r"nope\.csv: file not found"),
    "agreement_long_without_annotator": (
        lambda p: write(p, "ann.csv", "id,label\nd000,pos\n"),
        ["agreement", "--annotations", "{p}/ann.csv"], r"ann\.csv: missing column 'annotator'"),
    "agreement_bad_metric": (None, ["agreement", "--gold", "{p}/gold.csv", "--metric", "kappa"],
                             r"--metric must be one of .*Got 'kappa' instead"),
    "agreement_bad_labels_spec": (None, ["agreement", "--gold", "{p}/gold.csv", "--annotations",
                                         "{p}/annotations.csv", "--labels", "llm"], r"expected NAME=FILE"),
    "agreement_non_utf8": (lambda p: (p / "ann.csv").write_bytes(b"id,annotator,label\nd000,a,\xff\n"),
                           ["agreement", "--annotations", "{p}/ann.csv"], r"ann\.csv: line 2: bytes that are not UTF-8"),
    # issues
    "issues_missing_data": (None, ["issues", "--data", "{p}/nope.csv", "--out", "{p}/issues"], r"nope\.csv: file not found"),
    "issues_missing_label_column": (None, ["issues", "--data", "{p}/corpus.csv", "--out", "{p}/issues"],
                                    r"corpus\.csv: missing column 'label' in labelled table"),
    "issues_unsupported_type": (lambda p: write(p, "labeled.txt", "x"),
                                ["issues", "--data", "{p}/labeled.txt", "--out", "{p}/issues"],
                                r"labeled\.txt: unsupported file type '\.txt'"),
    # relabel
    "relabel_export_queue_columns": (None, ["relabel", "export", "--queue", "{p}/corpus.csv", "--out", "{p}/tasks.json"],
                                     r"corpus\.csv: missing column 'given_label' in queue"),
    "relabel_export_out_type": (None, ["relabel", "export", "--queue", "{p}/queue.csv", "--out", "{p}/tasks.txt"],
                                r"tasks\.txt: unsupported output type '\.txt'; expected \.json"),
    "relabel_import_bad_json": (lambda p: write(p, "export.json", "[{"),
                                ["relabel", "import", "--answers", "{p}/export.json", "--into", "{p}/gold.csv"],
                                r"export\.json: line 1: not valid JSON"),
    "relabel_import_missing_into": (lambda p: write(p, "answers.csv", "id,new_label\nd000,neg\n"),
                                    ["relabel", "import", "--answers", "{p}/answers.csv", "--into", "{p}/nope.csv"],
                                    r"nope\.csv: file not found"),
    # llm-label
    "llm_label_no_corpus": (None, ["llm-label", "--out", "{p}/llm.csv"], r"expected --config, or both --corpus and --labels"),
    "llm_label_one_label": (None, ["llm-label", "--corpus", "{p}/corpus.csv", "--labels", "pos", "--out", "{p}/llm.csv"],
                            r"--labels: expected at least two distinct comma-separated names"),
    # import wrench
    "import_wrench_not_a_folder": (None, ["import", "wrench", "{p}/nope", "{p}/out"], r"nope: not a folder"),
    "import_wrench_missing_split": (lambda p: (p / "wr").mkdir(), ["import", "wrench", "{p}/wr", "{p}/out"],
                                    r"wr/\w+\.json: file not found; a WRENCH dataset folder needs"),
    # report
    "report_missing_run": (None, ["report", "{p}/nope"], r"nope: run folder not found"),
    "report_not_a_run": (lambda p: (p / "empty").mkdir(), ["report", "{p}/empty"],
                         r"empty/manifest\.json: file not found; expected a run folder written by wslab apply"),
    "report_bad_metrics": (lambda p: write(p, "run/metrics.json", "{oops"), ["report", "{p}/run"],
                           r"run/metrics\.json: line 1: not valid JSON"),
    "report_out_is_folder": (None, ["report", "{p}/run", "--out", "{p}/run"], r"run: is a folder; expected an HTML file"),
    # config check
    "config_check_missing": (None, ["config", "check", "{p}/nope.yaml"], r"nope\.yaml: config file not found"),
    "config_check_unknown_key": (lambda p: edit_config(p, label_modle={"kind": "auto"}),
                                 ["config", "check", "{p}/config.yaml"],
                                 r"config\.yaml: key 'label_modle': unknown key \(did you mean 'label_model'\?\)"),
    "config_check_missing_corpus": (lambda p: edit_config(p, corpus__path="nope.csv"),
                                    ["config", "check", "{p}/config.yaml"], r"nope\.csv: file not found"),
    "config_check_invalid_regex": (lambda p: add_lf(p, {"name": "bad_re", "label": "pos", "kind": "regex", "pattern": "(great"}),
                                   ["config", "check", "{p}/config.yaml"],
                                   r"lfs\.yaml: LF 'bad_re': key 'pattern': invalid regex"),
    "config_check_gold_label": (lambda p: write(p, "gold.csv", "id,label\nd000,pos\nd001,meh\n"),
                                ["config", "check", "{p}/config.yaml"],
                                r"gold\.csv: row 3: label 'meh' is not in the label set"),
    # multi-label cells (issue 19): the row, the tag, what was expected
    "config_check_gold_multi_cell_single_label": (lambda p: write(p, "gold.csv", "id,label\nd000,pos\nd001,pos;neg\n"),
                                                  ["config", "check", "{p}/config.yaml"],
                                                  r"gold\.csv: row 3: label 'pos;neg' holds several labels separated "
                                                  r"by ';'; expected one label of \['pos', 'neg'\] \(a multi-label "
                                                  r"project sets multilabel: true\)"),
    "config_check_vote_against_single_label": (
        lambda p: add_lf(p, {"name": "not_pos", "label": "pos", "vote": "against", "kind": "keywords",
                             "keywords": ["meh"]}),
        ["config", "check", "{p}/config.yaml"],
        r"lfs\.yaml: LF 'not_pos': key 'vote': 'against' needs a multi-label project \(multilabel: true in "),
    "config_check_tag_unknown": (lambda p: edit_config(p, multilabel=True) or write(p, "gold.csv",
                                                                                   "id,label\nd000,pos\nd001,neg; meh\n"),
                                 ["config", "check", "{p}/config.yaml"],
                                 r"gold\.csv: row 3: column 'label': unknown tag 'meh'; expected tags among "
                                 r"\['pos', 'neg'\]"),
    "config_check_tag_twice": (lambda p: edit_config(p, multilabel=True) or write(p, "gold.csv",
                                                                                 "id,label\nd000,\nd001,neg;pos;neg\n"),
                               ["config", "check", "{p}/config.yaml"],
                               r"gold\.csv: row 3: column 'label': tag 'neg' is listed twice; expected each tag at "
                               r"most once"),
    "config_check_annotations_columns": (lambda p: edit_config(p, annotations="corpus.csv"),
                                         ["config", "check", "{p}/config.yaml"],
                                         r"corpus\.csv: missing column 'annotator' in annotations"),
    "config_check_regex_matches_empty": (
        lambda p: add_lf(p, {"name": "every_doc", "label": "pos", "kind": "any_of",
                             "conditions": [{"kind": "keywords", "keywords": ["great"]}, {"kind": "regex", "pattern": "x*"}]}),
        ["config", "check", "{p}/config.yaml"],
        r"lfs\.yaml: LF 'every_doc': key 'pattern': regex 'x\*' matches every text \(it needs no character of its own\), so it fires on every document"),
    # LF values (issue 13.10): the file, the LF, its key and what was expected
    "config_check_lf_no_keywords": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "keywords", "keywords": []}),
                                    CHECK, LF_WHERE + r"key 'keywords': expected at least 1 item\(s\); got \[\]$"),
    "config_check_lf_blank_keyword": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "keywords", "keywords": [" "]}),
                                      CHECK, LF_WHERE + r"key 'keywords': expected keywords that are not blank; got \[' '\]$"),
    "config_check_lf_empty_pattern": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "regex", "pattern": ""}),
                                      CHECK, LF_WHERE + r"key 'pattern': expected a non-empty text; got ''$"),
    "config_check_lf_min_over_max": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "text_length", "min": 9, "max": 3}),
                                     CHECK, LF_WHERE + r"key 'max': expected max >= min \(9\); got 3$"),
    "config_check_lf_no_bounds": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "text_length"}),
                                  CHECK, LF_WHERE + r"key 'min': expected min and/or max \(characters\); got neither$"),
    "config_check_lf_in_one_value": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "column", "column": "text",
                                                          "op": "in", "value": "x"}),
                                     CHECK, LF_WHERE + r"key 'value': expected a non-empty list of values for op 'in'; got 'x'$"),
    "config_check_lf_gt_text_value": (lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "column", "column": "text",
                                                           "op": "gt", "value": "x"}),
                                      CHECK, LF_WHERE + r"key 'value': expected a number for op 'gt'; got 'x'$"),
    "config_check_lf_nested_no_keywords": (
        lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "all_of", "conditions": [
            {"kind": "regex", "pattern": "x"}, {"kind": "not", "condition": {"kind": "keywords", "keywords": []}}]}),
        CHECK, LF_WHERE + r"key 'conditions\.1\.condition\.keywords': expected at least 1 item\(s\); got \[\]$"),
    "config_check_lf_nested_bad_kind": (
        lambda p: add_lf(p, {"name": "bad", "label": "pos", "kind": "any_of", "conditions": [{"kind": "keyword", "keywords": ["x"]}]}),
        CHECK, LF_WHERE + r"key 'conditions\.0\.kind': expected one of keywords, regex, .*; got 'keyword'$"),
    # what apply rejects, config check finds (issue 13.11)
    "config_check_too_many_labels": (
        lambda p: edit_config(p, labels={"pos": "p", "neg": "n", **{f"c{i}": "x" for i in range(126)}}), CHECK,
        r"config\.yaml: key 'labels': expected at most 127 labels \(votes are stored as Int8\); got 128$"),
    "config_check_lf_named_id": (lambda p: add_lf(p, {"name": "id", "label": "pos", "kind": "keywords", "keywords": ["x"]}),
                                 CHECK, r"lfs\.yaml: lfs\[2\]: key 'name': 'id' is reserved \(the id column of the label matrix\)"),
    "config_check_numeric_rule_on_text_column": (
        lambda p: (rewrite_corpus(p, channel=["web"] * 59 + ["12"]),
                   add_lf(p, {"name": "ch", "label": "pos", "kind": "column", "column": "channel", "op": "ge", "value": 3})),
        CHECK, r"lfs\.yaml: LF 'ch': key 'value': cannot compare string with numeric type .*column 'channel' is String\); "
               r"expected a value of the column's type$"),
    "config_check_text_rule_on_numeric_column": (
        lambda p: (rewrite_corpus(p, stars=list(range(60))),
                   add_lf(p, {"name": "st", "label": "pos", "kind": "column", "column": "stars", "op": "eq", "value": "high"})),
        CHECK, r"lfs\.yaml: LF 'st': key 'value': cannot compare string with numeric type .*column 'stars' is Int64\)"),
    "config_check_all_texts_empty": (lambda p: rewrite_corpus(p, text=[""] * 30 + [" "] * 30), CHECK,
                                     r"corpus\.csv: column 'text' is empty in every document; expected some text for "
                                     r"end_model and suspicious"),
    "config_check_span_column_missing": (lambda p: edit_config(p, corpus__spans={"e1": ["s1", "t1"], "e2": ["s2", "t2"]}),
                                         CHECK, r"corpus\.csv: missing span column 's1' \(corpus\.spans\.e1\); found columns"),
    "config_check_span_out_of_range": (
        lambda p: (rewrite_corpus(p, s1=[0] * 60, t1=[3] * 60, s2=[4] * 59 + [20], t2=[9] * 59 + [90]),
                   edit_config(p, corpus__spans={"e1": ["s1", "t1"], "e2": ["s2", "t2"]})),
        CHECK, r"corpus\.csv: row 61: entity span e2 = \[20, 90\] is out of range \(columns 's2', 't2'\); "
               r"expected 0 <= start <= end <= \d+, the text's length in characters$"),
    "config_check_span_markers_missing": (lambda p: edit_config(p, corpus__spans={"markers": True}), CHECK,
                                          r"corpus\.csv: row 2: text without both entity marks \(corpus\.spans\.markers\)"),
    "config_check_spans_both_styles": (lambda p: edit_config(p, corpus__spans={"e1": ["a", "b"], "e2": ["c", "d"],
                                                                             "markers": True}),
                                       CHECK, r"key 'corpus\.spans': expected either e1 and e2 \(span columns\) or "
                                              r"markers: true, not both"),
    "config_check_unclosed_quote": (lambda p: write(p, "corpus.csv", "id,text\nd000,great\nd001,\"awful\nd002,ok\n"), CHECK,
                                    r"corpus\.csv: line 3: a quoted field opens here and is never closed"),
    "config_check_output_is_a_file": (lambda p: (write(p, "out.txt", "x"), edit_config(p, output__dir="out.txt")), CHECK,
                                      r"out\.txt: output folder is a file; expected a folder for the run"),
    "config_check_output_holds_the_inputs": (lambda p: edit_config(p, output__dir="."), CHECK,
                                             r"output folder holds the input .*config\.yaml; expected an output\.dir "
                                             r"that holds no input"),
    # apply checks the run folder before the inputs; config check reports the same first problem
    "config_check_output_before_inputs": (lambda p: (write(p, "gold.csv", "id,label\nd000,meh\n"),
                                                     edit_config(p, output__dir=".")), CHECK,
                                          r"output folder holds the input .*config\.yaml"),
    "lfs_analyze_output_holds_the_inputs": (lambda p: edit_config(p, output__dir="."), ["lfs", "analyze", "{p}/config.yaml"],
                                            r"output folder holds the input .*config\.yaml; expected an output\.dir"),
    "issues_one_annotator": (one_annotator, ["issues", "--data", "{p}/annotations.csv", "--annotator-col", "annotator",
                                             "--text-col", "label", "--out", "{p}/issues"],
                             r"annotations\.csv: column 'annotator' names one annotator \('a'\); expected at least two"),
    "import_wrench_duplicate_labels": (lambda p: wrench_folder(p, {"0": "Spam", "1": "SPAM"}),
                                       ["import", "wrench", "{p}/wr", "{p}/out"],
                                       r"wr/label\.json: label 'spam' is listed twice; expected distinct label names"),
    "import_wrench_invalid_label": (lambda p: wrench_folder(p, {"0": "ham", "1": "abstain"}),
                                    ["import", "wrench", "{p}/wr", "{p}/out"],
                                    r"wr/label\.json: ABSTAIN is reserved; it is not a label"),
    "import_wrench_blank_label": (lambda p: wrench_folder(p, {"0": "ham", "1": "  "}),
                                  ["import", "wrench", "{p}/wr", "{p}/out"],
                                  r"wr/label\.json: label names must be non-empty strings"),
    # negative counts: every count option has a minimum, and the message is one line
    "agreement_negative_n_boot": (None, ["agreement", "--gold", "{p}/gold.csv", "--n-boot", "-1"],
                                  r"Invalid value for '--n-boot': Input should be greater than or equal to 0"),
    "agreement_negative_seed": (None, ["agreement", "--gold", "{p}/gold.csv", "--seed", "-1"],
                                r"Invalid value for '--seed': Input should be greater than or equal to 0"),
    "issues_zero_top": (None, ["issues", "--data", "{p}/labeled.csv", "--out", "{p}/issues", "--top", "0"],
                        r"Invalid value for '--top': Input should be greater than or equal to 1"),
    "issues_negative_folds": (None, ["issues", "--data", "{p}/labeled.csv", "--out", "{p}/issues", "--folds", "-3"],
                              r"Invalid value for '--folds': Input should be greater than or equal to 2"),
    "relabel_export_negative_top": (None, ["relabel", "export", "--queue", "{p}/queue.csv", "--out", "{p}/t.json", "--top", "-1"],
                                    r"Invalid value for '--top': Input should be greater than or equal to 1"),
    "lfs_author_negative_rounds": (None, ["lfs", "author", "{p}/config.yaml", "--out", "{p}/o.yaml", "--rounds", "-1"],
                                   r"Invalid value for '--rounds': Input should be greater than or equal to 1"),
    "lfs_author_negative_dry_run_docs": (None, ["lfs", "author", "{p}/config.yaml", "--out", "{p}/o.yaml", "--dry-run-docs", "-5"],
                                         r"Invalid value for '--dry-run-docs': Input should be greater than or equal to 0"),
    "llm_label_zero_concurrency": (None, ["llm-label", "--corpus", "{p}/corpus.csv", "--labels", "pos,neg",
                                          "--out", "{p}/llm.csv", "--concurrency", "0"],
                                   r"Invalid value for '--concurrency': Input should be greater than or equal to 1"),
    "demo_negative_docs": (None, ["demo", "{p}/demo", "--docs", "-1"],
                           r"Invalid value for '--docs': Input should be greater than or equal to 1"),
    "import_wrench_negative_seed": (None, ["import", "wrench", "{p}/nope", "{p}/out", "--seed", "-1"],
                                    r"Invalid value for '--seed': Input should be greater than or equal to 0"),
    "config_check_negative_seed": (lambda p: edit_config(p, seed=-2), ["config", "check", "{p}/config.yaml"],
                                   r"config\.yaml: key 'seed': Input should be greater than or equal to 0"),
    # lfs
    "lfs_analyze_unknown_label": (lambda p: add_lf(p, {"name": "kw_x", "label": "neutral", "kind": "keywords", "keywords": ["ok"]}),
                                  ["lfs", "analyze", "{p}/config.yaml"],
                                  r"lfs\.yaml: LF 'kw_x': key 'label': unknown label 'neutral'"),
    "lfs_author_no_llm": (None, ["lfs", "author", "{p}/config.yaml", "--out", "{p}/lfs_llm.yaml"], r"llm\.model: no model configured; expected llm\.model in the config"),
    # demo
    "demo_not_empty": (lambda p: (p / "demo").mkdir() or write(p, "demo/keep.txt", "x"), ["demo", "{p}/demo"],
                       r"demo: folder is not empty; pass --force"),
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(project, case, monkeypatch):
    from wslab.app.cli import app

    setup, argv, message = CASES[case]
    if argv[0] == "demo" and "demo" not in {c.name for c in app.registered_commands}:
        pytest.skip("wslab demo is not a registered command yet")
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "WSLAB_LLM_MODEL", "WSLAB_LLM_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    if setup is not None:
        setup(project)
    (project / "empty").mkdir(exist_ok=True)
    before = snapshot(project)
    dirs_before = sorted(str(d.relative_to(project)) for d in project.rglob("*") if d.is_dir())
    result = runner.invoke(app, [a.replace("{p}", str(project)) for a in argv])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 2, (case, result.output)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    assert re.search(message, lines[0]), lines[0]
    assert snapshot(project) == before, "a failed command must not write or change files"
    assert sorted(str(d.relative_to(project)) for d in project.rglob("*") if d.is_dir()) == dirs_before


# ---------------------------------------------------------------- config check agrees with apply (issue 13.11)
# Every project-level case above (config check), plus valid variants, runs through both commands:
# both exit 2 with the same one line, or both succeed.

VALID = {
    "valid_project": None,
    "valid_one_annotator_in_annotations": lambda p: (one_annotator(p), edit_config(p, annotations="annotations.csv")),
    "valid_numbers_then_text_in_an_unused_column": lambda p: rewrite_corpus(p, code=[str(i) for i in range(59)] + ["A1"]),
    "valid_empty_texts_without_text_stages": lambda p: (rewrite_corpus(p, text=[""] * 60),
                                                         edit_config(p, end_model={"enabled": False},
                                                                     suspicious={"enabled": False})),
}
# name: (set-up, config path with {p} = the project folder)
PROJECT_CASES = {**{name: (setup, argv[2]) for name, (setup, argv, _) in CASES.items() if argv[:2] == ["config", "check"]},
                 **{name: (setup, "{p}/config.yaml") for name, setup in VALID.items()}}


def _first_line(argv) -> tuple[int, str]:
    from wslab.app.cli import app

    res = runner.invoke(app, [str(a) for a in argv])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    return res.exit_code, (lines[0] if res.exit_code else "")


@pytest.mark.parametrize("case", sorted(PROJECT_CASES))
def test_config_check_and_apply_agree(project, case, monkeypatch):
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "WSLAB_LLM_MODEL", "WSLAB_LLM_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    setup, config = PROJECT_CASES[case]
    edit_config(project, evaluation={"bootstrap": 20})
    if setup is not None:
        setup(project)
    config = config.replace("{p}", str(project))
    check = _first_line(["config", "check", config, "-q"])
    applied = _first_line(["apply", config, "-q"])
    assert check == applied, (case, check, applied)
    assert check[0] in (0, 2), check
    if case in VALID:
        assert check[0] == 0 and (project / "run" / "labels.parquet").is_file()
    else:
        assert check[0] == 2 and check[1].startswith("error: ")


def test_wrench_readme_lf_named_id_keeps_the_id_column(project):
    """A readme that names an LF ``id`` (or any name that is not an LF name) gets a numbered name, and
    the imported project passes config check and apply with its ids intact."""
    from wslab.app.cli import app

    wrench_folder(project, {"0": "ham", "1": "spam"},
                  readme="Labeling functions list:\n    keyword_free,\n    id,\n")
    res = runner.invoke(app, ["import", "wrench", str(project / "wr"), str(project / "imp")])
    assert res.exit_code == 0, res.output
    import polars as pl

    votes = pl.read_parquet(project / "imp" / "votes.parquet")
    assert votes.columns == ["id", "keyword_free", "lf_01"]
    assert votes["id"].to_list()[:2] == ["train-1", "train-2"]
    assert _first_line(["config", "check", project / "imp" / "config.yaml", "-q"]) == (0, "")
