"""Issue 22, "Data and money" (items 1, 2, 3, 5): paid and expert work is never deleted or lost.

Through the real CLI on real files: a run never deletes a run folder it did not create; the
answers store never lives in a run folder; concurrent ``relabel import`` processes lose no row;
no command writes over a file it reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from project_edits import edit_config
from wslab.app.cli import app

runner = CliRunner()


def invoke(*argv) -> tuple[int, list[str]]:
    res = runner.invoke(app, [str(a) for a in argv])
    return res.exit_code, [ln for ln in res.output.splitlines() if ln.strip()]


def one_line_exit_2(argv, pattern: str) -> None:
    code, lines = invoke(*argv)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert pattern in lines[0], lines[0]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def fast(project: Path) -> None:
    edit_config(project, suspicious__enabled=False, end_model__enabled=False, evaluation={"bootstrap": 20})


# ---------------------------------------------------------------- 1. nested run folders


def test_a_run_never_deletes_a_run_folder_it_did_not_create(project, tmp_path):
    fast(project)
    code, lines = invoke("apply", project / "config.yaml", "-q")
    assert code == 0, lines
    run = project / "run"
    # project B writes its run folder inside A's: refused before any work
    b = tmp_path / "B"
    b.mkdir()
    cfg = yaml.safe_load((project / "config.yaml").read_text())
    cfg["corpus"]["path"] = str(project / "corpus.csv")
    cfg["gold"]["path"] = str(project / "gold.csv")
    cfg["lfs"]["files"] = [str(project / "lfs.yaml")]
    cfg["output"]["dir"] = str(run / "exp")
    cfg["review_loop"] = {"answers": str(b / "answers.csv")}
    (b / "config.yaml").write_text(yaml.safe_dump(cfg))
    before = snapshot(run)
    one_line_exit_2(["apply", b / "config.yaml", "-q"], "the run folder of another wslab run")
    one_line_exit_2(["config", "check", b / "config.yaml"], "the run folder of another wslab run")
    assert snapshot(run) == before
    # B's run folder already there (paid votes inside): A's next run refuses and keeps it
    (run / "exp" / "prompt_lfs").mkdir(parents=True)
    (run / "exp" / ".wslab-run").write_text("a wslab run folder\n")
    (run / "exp" / "prompt_lfs" / "votes.sqlite").write_bytes(b"paid votes")
    one_line_exit_2(["apply", project / "config.yaml", "-q"], "'exp', the run folder of another wslab run")
    assert (run / "exp" / "prompt_lfs" / "votes.sqlite").read_bytes() == b"paid votes"
    # anything else the previous run did not write is kept too
    (run / "exp" / ".wslab-run").unlink()
    one_line_exit_2(["apply", project / "config.yaml", "-q"], "'exp', which the previous run did not write")
    assert (run / "exp" / "prompt_lfs" / "votes.sqlite").read_bytes() == b"paid votes"
    os.rename(run / "exp", tmp_path / "exp")
    code, lines = invoke("apply", project / "config.yaml", "-q")  # only its own files left: runs again
    assert code == 0, lines


# ---------------------------------------------------------------- 2. answers inside the run folder


def test_answers_store_inside_the_run_folder_is_refused(project):
    fast(project)
    edit_config(project, review_loop={"answers": "run/review/answers.csv"})
    message = "review_loop.answers: "
    one_line_exit_2(["config", "check", project / "config.yaml"], message)
    one_line_exit_2(["apply", project / "config.yaml", "-q"], message)
    (project / "answers.csv").write_text("id,new_label,expert,time\nd000,neg,ann,2024-01-01T00:00:00Z\n")
    one_line_exit_2(["relabel", "import", "--answers", project / "answers.csv", "--config", project / "config.yaml"],
                    message)
    assert not (project / "run" / "review").exists()
    edit_config(project, review_loop={"split": "run/split.csv"})
    one_line_exit_2(["config", "check", project / "config.yaml"], "review_loop.split: ")


# ---------------------------------------------------------------- 3. concurrent relabel import

IMPORTER = """
import sys, time
from pathlib import Path
from wslab.app.cli import main
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
main(sys.argv[2:])
"""


def test_concurrent_relabel_imports_lose_no_row(project):
    """Six processes import 2 answers each at the same moment: 12 rows, rounds 1..6 once each."""
    n = 6
    ids = pl.read_csv(project / "corpus.csv")["id"].to_list()
    go = project / "go"
    procs = []
    for k in range(n):
        form = project / f"answers_{k}.csv"
        pl.DataFrame({"id": ids[2 * k:2 * k + 2], "new_label": ["pos", "neg"], "expert": [f"e{k}"] * 2,
                      "time": ["2024-01-01T00:00:00Z"] * 2}).write_csv(form)
        procs.append(subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(go), "relabel", "import", "--answers", str(form),
             "--config", str(project / "config.yaml"), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(3.0)  # every process has imported wslab and waits
    go.write_text("go")
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [o[1] for o in outs]
    store = pl.read_csv(project / "wslab_answers.csv", infer_schema=False)
    assert store.height == 2 * n
    assert sorted(store["id"].to_list()) == sorted(ids[:2 * n])
    assert sorted(set(store["round"].to_list()), key=int) == [str(r) for r in range(1, n + 1)]
    assert store.group_by("round").agg(pl.col("expert").n_unique())["expert"].to_list() == [1] * n


# ---------------------------------------------------------------- 5. no command writes over a file it reads


def test_issues_out_folder_holding_its_input_is_refused(project):
    data = project / "in" / "queue.csv"  # named like the queue that issues writes
    data.parent.mkdir()
    data.write_bytes((project / "labeled.csv").read_bytes())
    before = data.read_bytes()
    one_line_exit_2(["issues", "--data", data, "--out", data.parent, "-q"], "is the input labelled table")
    assert data.read_bytes() == before and sorted(p.name for p in data.parent.iterdir()) == ["queue.csv"]


@pytest.mark.parametrize("case", ["export_over_queue", "import_out_over_answers", "audit_over_into"])
def test_relabel_outputs_never_overwrite_inputs(project, case):
    p = project
    (p / "answers.csv").write_text("id,new_label,expert,time\nd000,neg,ann,2024-01-01T00:00:00Z\n")
    (p / "g.audit.csv").write_bytes((p / "gold.csv").read_bytes())
    argv, message = {
        "export_over_queue": (["relabel", "export", "--queue", p / "queue.csv", "--out", p / "queue.csv"],
                              "is the input queue"),
        "import_out_over_answers": (["relabel", "import", "--answers", p / "answers.csv", "--into", p / "gold.csv",
                                     "--out", p / "answers.csv"], "is the input answers"),
        "audit_over_into": (["relabel", "import", "--answers", p / "answers.csv", "--into", p / "g.audit.csv",
                             "--out", p / "g.csv"], "g.audit.csv: is the input labelled table (--into)"),
    }[case]
    before = snapshot(p)
    one_line_exit_2(argv, message)
    assert snapshot(p) == before
