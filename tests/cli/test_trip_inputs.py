"""Issue 22, "one line, exit 2, and config check agrees": inputs that gave a traceback, passed
``config check`` but failed ``apply`` (after the work), or were accepted silently.

Every case runs the real commands on real files (typer's CliRunner, or a subprocess where a
signal or a mount is part of the case) and asserts exit 2 with one line naming the file, the
key or row; the project-level cases run ``config check`` and ``apply`` and assert they agree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from project_edits import add_lf, edit_config, write


runner = CliRunner()
WSLAB = [sys.executable, "-m", "wslab"]


def run(argv) -> tuple[int, list[str]]:
    from wslab.app.cli import app

    res = runner.invoke(app, [str(a) for a in argv])
    return res.exit_code, [ln for ln in res.output.splitlines() if ln.strip()]


def one_line_exit_2(argv, message: str) -> None:
    code, lines = run(argv)
    assert code == 2, (code, lines)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and re.search(message, lines[0]), lines[0]


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch):
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "WSLAB_LLM_MODEL", "WSLAB_LLM_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def split_files(p: Path, *, dup: bool = False, drop_test: bool = False) -> str:
    """wslab_split.csv and wslab_rounds.csv as a first run leaves them (beside gold.csv); return a test id."""
    gold = (p / "gold.csv").read_text().splitlines()[1:]
    ids = [row.split(",")[0] for row in gold]
    split = [(i, "test" if k % 2 else "dev") for k, i in enumerate(ids)]
    test_id = split[1][0]
    rows = [f"{i},{s}" for i, s in split]
    if dup:
        rows.append(rows[0])
    if drop_test:
        rows = [r for r in rows if not r.startswith(f"{test_id},")]
    write(p, "wslab_split.csv", "id,split\n" + "\n".join(rows) + "\n")
    write(p, "wslab_rounds.csv", "round,id,label\n" + "".join(f"0,{i},pos\n" for i, s in split if s == "test"))
    return test_id


def prompt_lf_with_label(p: Path, label: str) -> None:
    add_lf(p, {"name": "llm_pos", "kind": "prompt", "instruction": "Is the review positive?", "labels": ["pos", label]})
    edit_config(p, llm={"base_url": "http://127.0.0.1:9/v1", "model": "m"})


# name: (set-up on the project folder, message regex); config check and apply both give it
AGREE = {
    "csv_row_with_extra_fields": (
        lambda p: write(p, "corpus.csv", (p / "corpus.csv").read_text() + "d999,an extra, field\n"),
        r"corpus\.csv: line 62: 3 fields; expected at most 2 \(the header's columns"),
    "metric_f1_of_unknown_class": (
        lambda p: edit_config(p, selection={"metric": "f1:neutral"}),
        r"config\.yaml: key 'selection\.metric': got 'f1:neutral'; expected accuracy, macro_f1 or f1:<class>"),
    "unknown_pinned_candidate": (
        lambda p: edit_config(p, selection={"candidate": "label_model(best)"}),
        r"config\.yaml: key 'selection\.candidate': no candidate 'label_model\(best\)'; expected one of "
        r"\['majority_vote', 'weighted_vote', 'gold_only'"),
    "prompt_lf_unknown_label": (
        lambda p: prompt_lf_with_label(p, "neutral"),
        r"lfs\.yaml \(LF 'llm_pos'\): key 'labels': 'neutral' is not a label of the task; expected some of"),
    "output_dir_under_a_file": (
        lambda p: (write(p, "afile", "x"), edit_config(p, output__dir="afile/run")),
        r"afile/run: output folder lies under the file .*afile; expected output\.dir under a folder"),
    "split_duplicate_id": (
        lambda p: split_files(p, dup=True),
        r"wslab_split\.csv: duplicate id 'd000' in the frozen split \(rows 2 and 32\); expected each id once"),
    "split_test_row_deleted": (
        lambda p: split_files(p, drop_test=True),
        r"wslab_split\.csv: gold test id 'd001' \(scored as test in wslab_rounds\.csv\) is missing here; expected "
        r"the frozen split unchanged"),
    "duplicate_key_in_config": (
        lambda p: write(p, "config.yaml", (p / "config.yaml").read_text() + "seed: 2\n"),
        r"config\.yaml: line \d+: key 'seed' is written twice \(first on line \d+\); expected each key once"),
    "duplicate_key_in_lf_file": (
        lambda p: write(p, "lfs.yaml", (p / "lfs.yaml").read_text()
                        + "- {name: kw3, label: pos, kind: keywords, keywords: [a], keywords: [b]}\n"),
        r"lfs\.yaml: line \d+: key 'keywords' is written twice"),
    "regex_dot_star_fires_everywhere": (
        lambda p: add_lf(p, {"name": "any_line", "label": "pos", "kind": "regex", "pattern": "^.*$"}),
        r"lfs\.yaml: LF 'any_line': key 'pattern': regex '\^\.\*\$' matches every text"),
    "regex_star_fires_everywhere": (
        lambda p: add_lf(p, {"name": "any_a", "label": "pos", "kind": "regex", "pattern": "a*"}),
        r"lfs\.yaml: LF 'any_a': key 'pattern': regex 'a\*' matches every text"),
}


@pytest.mark.parametrize("case", sorted(AGREE))
def test_config_check_and_apply_agree(project, case):
    setup, message = AGREE[case]
    edit_config(project, evaluation={"bootstrap": 0}, suspicious={"enabled": False})
    setup(project)
    config = project / "config.yaml"
    for argv in (["config", "check", config, "-q"], ["apply", config, "-q"]):
        code, lines = run(argv)
        assert code == 2, (argv[0], code, lines)
        assert len(lines) == 1, lines
        assert re.search(message, lines[0]), (argv[0], lines[0])
    assert not (project / "run" / "labels.parquet").exists()


def test_legitimate_anchored_lf_is_accepted(project):
    """"A comment of at most four words" matches the empty text, and is a fine LF."""
    add_lf(project, {"name": "short_comment", "label": "pos", "kind": "regex",
                     "pattern": r"^\s*(?:\S+(?:\s+|$)){0,4}$"})
    add_lf(project, {"name": "empty_doc", "label": "neg", "kind": "regex", "pattern": "^$"})
    assert run(["config", "check", project / "config.yaml", "-q"]) == (0, [])


def test_lf_on_every_document_is_an_analyze_flag(project):
    """An LF that votes on every document of this corpus is reported, not refused."""
    add_lf(project, {"name": "order", "label": "pos", "kind": "keywords", "keywords": ["order"]})
    code, out = run(["lfs", "analyze", project / "config.yaml", "--json"])
    assert code == 0, out
    rows = {r["lf"]: r for r in json.loads("\n".join(out))["lfs"]}
    assert rows["order"]["coverage"] == 1.0 and "full_coverage" in rows["order"]["flags"]
    assert "full_coverage" not in rows["kw_pos"]["flags"]


def test_output_dir_on_read_only_mount(project, tmp_path):
    """A real read-only bind mount (a user namespace: no root needed); skipped where unshare is missing."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("unshare -rm (user and mount namespaces) is not available")
    ro = project / "ro"
    ro.mkdir()
    edit_config(project, output__dir="ro/run")
    cmds = [" ".join([*WSLAB, *argv, str(project / "config.yaml"), "-q"]) for argv in (["config", "check"], ["apply"])]
    script = f"mount --bind -o ro {ro} {ro} && " + " ; echo rc=$? 1>&2 ; ".join(cmds) + " ; echo rc=$? 1>&2"
    res = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).parents[2])
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines[1::2] == ["rc=2", "rc=2"], res.stderr
    for line in lines[0::2]:
        assert re.search(r"ro/run: cannot write in .*ro \(Read-only file system\); expected a writable output\.dir",
                         line), line


def test_python_lf_that_raises_names_the_lf_and_row(project):
    write(project, "mylfs.py", "def picky(x):\n    if x.id == 'd007':\n        raise KeyError('stars')\n    return None\n")
    add_lf(project, {"name": "picky", "kind": "python", "function": "mylfs:picky"})
    edit_config(project, evaluation={"bootstrap": 0}, suspicious={"enabled": False})
    one_line_exit_2(["apply", project / "config.yaml", "-q"],
                    r"python LF 'picky' \(mylfs:picky\): id 'd007' \(document 8\): raised KeyError: 'stars'; "
                    r"expected a label name, class index or None")


def test_label_model_nan_is_one_line(project):
    """A learning rate at which Snorkel's loss is NaN at every tenth too: one line naming the key."""
    add_lf(project, {"name": "kw_order", "label": "pos", "kind": "keywords", "keywords": ["order"]})
    edit_config(project, label_model={"lr": 1e9, "restarts": 1}, evaluation={"bootstrap": 0},
                suspicious={"enabled": False}, selection={"enabled": False})
    one_line_exit_2(["apply", project / "config.yaml", "-q"],
                    r"config\.yaml: key 'label_model\.lr': Snorkel's loss became NaN at lr 1e\+09 and at every tenth")


def test_500_keyword_lfs_are_fitted(project):
    """500 keyword LFs made Snorkel's loss NaN at lr 0.01 (even with label_model.kind: majority, as both were fitted):
    the fit is repeated at a tenth of the rate and the run completes."""
    import numpy as np

    rng = np.random.default_rng(0)
    words = ["the", "order", "was", "today", "great", "love", "nice", "awful", "hate", "bad"]
    lfs = [{"name": f"kw{i}", "label": str(rng.choice(["pos", "neg"])), "kind": "keywords",
            "keywords": [str(rng.choice(words))]} for i in range(500)]
    write(project, "lfs.yaml", yaml.safe_dump({"lfs": lfs}))
    edit_config(project, label_model={"restarts": 1, "n_epochs": 100}, evaluation={"bootstrap": 0},
                suspicious={"enabled": False}, selection={"enabled": False}, end_model={"enabled": False})
    code, lines = run(["apply", project / "config.yaml", "-q"])
    assert code == 0, lines
    assert (project / "run" / "labels.parquet").is_file()


def _ls_task(i: int, item: str, annotations) -> dict:
    return {"id": i, "data": {"wslab_id": item, "text": "t", "given_label": "pos"}, "annotations": annotations}


def _ann(choice: str, when: str) -> dict:
    return {"id": 1, "completed_by": 3, "updated_at": when, "was_cancelled": False,
            "result": [{"type": "choices", "from_name": "label", "to_name": "text", "value": {"choices": [choice]}}]}


@pytest.mark.parametrize("tasks, message", [
    ([_ls_task(1, "d000", [_ann("neg", "2024-05-01T10:00:00Z")]), 7],
     r"export\.json: task 1: a JSON number; expected a task object"),
    ([_ls_task(1, "d000", {"1": _ann("neg", "2024-05-01T10:00:00Z")})],
     r"export\.json: task 0 \(id 'd000'\): key 'annotations' is a JSON object; expected a list of annotations"),
    ([_ls_task(1, "d000", ["neg"])],
     r"export\.json: task 0 \(id 'd000'\): annotations\[0\] is a JSON string; expected an annotation object"),
    ([_ls_task(1, "d000", [_ann("neg", "yesterday")])],
     r"export\.json: task 0 \(id 'd000'\): time 'yesterday' is not an ISO 8601 date and time"),
], ids=["element_not_an_object", "annotations_an_object", "annotation_not_an_object", "time_not_a_time"])
def test_label_studio_export_shapes(project, tasks, message):
    write(project, "export.json", json.dumps(tasks))
    for argv in (["--config", project / "config.yaml"], ["--into", project / "gold.csv"]):
        one_line_exit_2(["relabel", "import", "--answers", project / "export.json", *argv], message)
    assert not (project / "wslab_answers.csv").exists() and not (project / "gold.v2.csv").exists()


def test_label_studio_annotation_times_compared_with_zones(project):
    """Two annotations of one task: 12:00+02:00 (10:00 UTC) is earlier than 11:00Z, though not as text."""
    task = _ls_task(1, "d000", [_ann("neg", "2024-05-01T11:00:00Z"), _ann("pos", "2024-05-01T12:00:00+02:00")])
    write(project, "export.json", json.dumps([task]))
    code, lines = run(["relabel", "import", "--answers", project / "export.json", "--config",
                       project / "config.yaml", "-q"])
    assert code == 0, lines
    store = (project / "wslab_answers.csv").read_text().splitlines()
    assert len(store) == 2 and store[1].startswith("d000,neg,1,"), store


def _interrupt(argv: list[str], cwd: Path, *, after_seconds: float | None = None) -> tuple[int, list[str]]:
    """SIGINT after a fixed delay (while the libraries load), or, with ``after_seconds=None``, as soon
    as the run prints its first stage line: an event, not a clock, so a fast machine cannot finish first."""
    proc = subprocess.Popen([*WSLAB, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    seen: list[str] = []
    if after_seconds is not None:
        time.sleep(after_seconds)
    else:
        for line in proc.stderr:  # stage lines go to stderr off a terminal
            seen.append(line)
            if " done in " in line:
                break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, [ln for ln in ("".join(seen) + out + err).splitlines() if ln.strip()]


ONE_LINE = "error: interrupted (Ctrl-C); files are written atomically, so none was left half-written"


def test_ctrl_c_while_the_libraries_load_is_one_line(project):
    """Within the first second the libraries are still loading: one line, exit 130, no run folder."""
    code, lines = _interrupt(["apply", str(project / "config.yaml"), "-q"], project, after_seconds=0.8)
    assert code == 130, (code, lines)
    assert lines == [ONE_LINE]
    assert not (project / "run" / "labels.parquet").exists()


def test_ctrl_c_after_the_first_stage_is_one_line(project):
    """Mid-run (right after the first stage line): the stage lines so far, then the one line, exit 130."""
    code, lines = _interrupt(["apply", str(project / "config.yaml")], project)
    assert code == 130, (code, lines)
    assert lines[-1] == ONE_LINE and all(" done in " in ln for ln in lines[:-1]), lines
    assert len(lines) >= 2 and not any("Traceback" in ln for ln in lines)
    assert not (project / "run" / "labels.parquet").exists()


def test_disk_full_is_one_line(tmp_path):
    """A real full disk: a 64 KiB tmpfs in a user and mount namespace (skipped where unshare is missing)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"]).returncode != 0:
        pytest.skip("unshare -rm (user and mount namespaces) is not available")
    small = tmp_path / "small"
    small.mkdir()
    cmd = " ".join([*WSLAB, "demo", str(small / "demo"), "--docs", "5000", "-q"])
    res = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {small} && {cmd}"],
                         capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    assert res.returncode == 2, (res.returncode, lines[-5:])
    assert len(lines) == 1 and re.search(r"^error: .*demo.*: no space left on the device; expected room to write",
                                         lines[0]), lines
