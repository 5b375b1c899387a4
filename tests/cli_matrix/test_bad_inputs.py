"""Bad input to every command (``apply`` has its own matrix in tests/spine/test_bad_input.py).

Each case: the input, the one-line message (regex), exit code 2, and nothing new or changed in
the project folder (no half-written output).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

runner = CliRunner()


def edit_config(p: Path, **changes) -> None:
    cfg = yaml.safe_load((p / "config.yaml").read_text())
    for dotted, value in changes.items():
        node = cfg
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    (p / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def add_lf(p: Path, lf: dict) -> None:
    data = yaml.safe_load((p / "lfs.yaml").read_text())
    data["lfs"].append(lf)
    (p / "lfs.yaml").write_text(yaml.safe_dump(data))


def write(p: Path, name: str, text: str) -> None:
    (p / name).write_text(text, encoding="utf-8")


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
    "config_check_annotations_columns": (lambda p: edit_config(p, annotations="corpus.csv"),
                                         ["config", "check", "{p}/config.yaml"],
                                         r"corpus\.csv: missing column 'annotator' in annotations"),
    "config_check_regex_matches_empty": (
        lambda p: add_lf(p, {"name": "every_doc", "label": "pos", "kind": "any_of",
                             "conditions": [{"kind": "keywords", "keywords": ["great"]}, {"kind": "regex", "pattern": "x*"}]}),
        ["config", "check", "{p}/config.yaml"],
        r"lfs\.yaml: LF 'every_doc': key 'pattern': regex 'x\*' matches the empty string anywhere, so it fires on every document"),
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
    from wslab.cli import app

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
