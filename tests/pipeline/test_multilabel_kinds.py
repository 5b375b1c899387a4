"""Python and prompt LFs in a multi-label project (issue 19): a Python LF says whether it fires
for its tag, a prompt LF answers yes / no / ABSTAIN about its tag through the fake
OpenAI-compatible server on 127.0.0.1; a rerun pays nothing and a new tag's prompt LF pays only
for itself."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.core.errors import InputError
from wslab.labeling.apply import apply_python_lfs
from wslab.labeling.spec import parse_lf

sys.path.insert(0, str(Path(__file__).parent))  # the project builder beside this file
from multilabel_project import WORDS, make_data, write_multilabel_project  # noqa: E402
from project_edits import add_lf, edit_config  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "fake_openai_server", Path(__file__).parents[1] / "llm" / "fake_openai_server.py")
fos = sys.modules.setdefault("fake_openai_server", importlib.util.module_from_spec(_spec))
if not hasattr(fos, "FakeOpenAIServer"):
    _spec.loader.exec_module(fos)

PY_LFS = '''
def fee_word(x):
    return "fee" in x.text.split() or None


def tariff_word(x):
    return "tariff" if "tariff" in x.text.split() else False


def says_thanks(x):
    return "thanks" in x.text.split()
'''
INSTRUCTIONS = {"card": "Is the message about a card problem?", "tariff": "Is the message about a tariff or fees?"}


def tag_answer(tag: str, text: str) -> str:
    """The fake LLM's answer about ``tag``: yes when a strong word of the tag is in the text, no
    when the text is long without one, ABSTAIN otherwise."""
    words = text.split()
    if any(w in words for w in WORDS[tag][0]):
        return "yes"
    return "no" if len(words) > 6 else "ABSTAIN"


def answer(body: dict) -> dict:
    parts = fos.prompt_parts(body)
    tag = next(t for t in INSTRUCTIONS if INSTRUCTIONS[t] == parts.instruction)
    assert fos._find_enum(body.get("response_format")) == ["no", "yes", "ABSTAIN"]
    return {"label": tag_answer(tag, parts.document)}


@pytest.fixture(scope="module")
def server():
    with fos.FakeOpenAIServer(answer) as srv:
        yield srv


@pytest.fixture(scope="module")
def kinds_run(tmp_path_factory, project_writer, server):
    """Tags card (keywords + a prompt LF) and tariff (keywords + two Python LFs; one Python LF
    against card), applied once by ``wslab apply``."""
    folder = tmp_path_factory.mktemp("tagkinds")
    data = make_data(n=200, n_gold=120)
    cfg = write_multilabel_project(folder, ["card", "tariff"], data=data, writer=project_writer)
    (folder / "tag_lfs.py").write_text(PY_LFS, encoding="utf-8")
    for lf in ({"name": "llm_card", "label": "card", "kind": "prompt", "instruction": INSTRUCTIONS["card"]},
               {"name": "py_fee", "label": "tariff", "kind": "python", "function": "tag_lfs:fee_word"},
               {"name": "py_tariff", "label": "tariff", "kind": "python", "function": "tag_lfs:tariff_word"},
               {"name": "py_not_card", "label": "card", "vote": "against", "kind": "python",
                "function": "tag_lfs:says_thanks"}):
        add_lf(cfg, lf)
    edit_config(cfg, llm={"base_url": server.base_url, "model": "cheap-model", "api_key_env": "TEST_LLM_KEY",
                          "concurrency": 4, "backoff_base_s": 0.01,
                          "prices": {"cheap-model": {"input_per_1m": 0.15, "output_per_1m": 0.6}}},
                suspicious={"enabled": False}, annotations=None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEST_LLM_KEY", "sk-test-not-a-secret-123")
        out = CliRunner().invoke(app, ["apply", str(cfg)])
        assert out.exit_code == 0, out.output
        yield folder, data[0], len(server.paid()), mp


def _apply(cfg: Path) -> dict:
    out = CliRunner().invoke(app, ["apply", str(cfg)])
    assert out.exit_code == 0, out.output
    return json.loads((cfg.parent / "run" / "manifest.json").read_text())


def test_tag_lfs_vote_in_their_tags(kinds_run):
    folder, corpus, paid, _ = kinds_run
    texts = corpus["text"].to_list()
    assert paid == len(set(texts))  # one request per distinct text, for the one prompt LF
    matrix = pl.read_parquet(folder / "run" / "label_matrix.parquet")
    yes_no = {"yes": 1, "no": 0, "ABSTAIN": -1}
    assert matrix["llm_card"].to_list() == [yes_no[tag_answer("card", t)] for t in texts]
    assert set(matrix["llm_card"].to_list()) == {-1, 0, 1}
    words = [t.split() for t in texts]
    assert matrix["py_fee"].to_list() == [1 if "fee" in w else -1 for w in words]
    assert matrix["py_tariff"].to_list() == [1 if "tariff" in w else -1 for w in words]
    assert matrix["py_not_card"].to_list() == [0 if "thanks" in w else -1 for w in words]  # vote: against
    lf_table = pl.read_csv(folder / "run" / "lf_analysis.csv")
    assert dict(zip(lf_table["lf"], lf_table["tag"]))["llm_card"] == "card"
    manifest = json.loads((folder / "run" / "manifest.json").read_text())
    assert manifest["llm"]["calls"] == paid and manifest["llm"]["cost_usd"] > 0
    assert set(manifest["llm"]["lfs"]) == {"llm_card"}
    for path in (folder / "run").rglob("*"):
        if path.is_file():
            assert b"sk-test-not-a-secret-123" not in path.read_bytes()


def test_rerun_pays_nothing_and_a_new_prompt_lf_pays_for_itself(kinds_run, server):
    folder, corpus, paid, _ = kinds_run
    cfg = folder / "config.yaml"
    again = _apply(cfg)
    assert len(server.paid()) == paid and not any(t["computed"] for t in again["tags"].values())
    add_lf(cfg, {"name": "llm_tariff", "label": "tariff", "kind": "prompt", "instruction": INSTRUCTIONS["tariff"]})
    before = {f: f.read_bytes() for f in (folder / "wslab_tags").rglob("*") if f.is_file() and "card" in str(f)}
    grown = _apply(cfg)
    new = server.paid()[paid:]
    assert len(new) == len(set(corpus["text"].to_list()))  # the tariff LF's questions only
    assert all(fos.prompt_parts(r.body).instruction == INSTRUCTIONS["tariff"] for r in new)
    assert grown["tags"]["tariff"]["computed"] and not grown["tags"]["card"]["computed"]
    assert before and all(f.read_bytes() == b for f, b in before.items())  # card's store untouched
    assert set(grown["llm"]["lfs"]) == {"llm_tariff"}


# ------------------------------------------------------------------ bad input: one line, exit 2


@pytest.mark.parametrize("lf, message", [
    ({"name": "p", "kind": "prompt", "instruction": "Card?"},
     r"LF 'p': key 'label': required for a prompt LF in a multi-label project; expected label: <tag>"),
    ({"name": "p", "label": "card", "vote": "against", "kind": "prompt", "instruction": "Card?"},
     r"LF 'p': key 'vote': a prompt LF votes both ways"),
    ({"name": "p", "label": "card", "kind": "prompt", "instruction": "Card?", "labels": ["card"]},
     r"LF 'p': key 'labels': a tag's prompt LF answers yes or no about its tag 'card'"),
    ({"name": "f", "kind": "python", "function": "tag_lfs:fee_word"},
     r"LF 'f': key 'label': required for a python LF in a multi-label project"),
])
def test_tag_lf_without_its_tag_is_one_line(tmp_path, project_writer, lf, message):
    cfg = write_multilabel_project(tmp_path, ["card", "fraud"], writer=project_writer, data=make_data(n=40, n_gold=20))
    add_lf(cfg, lf)
    out = CliRunner().invoke(app, ["config", "check", str(cfg)])
    assert out.exit_code == 2, out.output
    assert out.output.startswith("error: ") and "Traceback" not in out.output
    assert re.search(message, " ".join(out.output.split())), out.output  # one message (the console wraps it)


def test_python_lf_of_a_tag_returning_another_value_is_one_line(tmp_path):
    (tmp_path / "odd_lfs.py").write_text("def other(x):\n    return 'tariff'\n\n\ndef one(x):\n    return 1\n")
    frame = pl.DataFrame({"id": ["a"], "text": ["card fee"]})
    for fn in ("other", "one"):
        spec = parse_lf({"name": fn, "label": "card", "kind": "python", "function": f"odd_lfs:{fn}"})
        with pytest.raises(InputError, match=r"^python LF '(other|one)': id 'a': returned ('tariff'|1); expected True "
                                             r"or 'card' \(the LF fires"):
            apply_python_lfs(frame, [spec], ["not:card", "card"], id_column="id", paths=[tmp_path], tag="card")
    fires = parse_lf({"name": "t", "label": "tariff", "kind": "python", "function": "odd_lfs:other"})
    votes = apply_python_lfs(frame, [fires], ["not:tariff", "tariff"], id_column="id", paths=[tmp_path], tag="tariff")
    assert np.array_equal(votes, [[1]])


# ------------------------------------------------------------------ votes files: lfs.precomputed, llm_labels


def _files_project(folder: Path, project_writer) -> tuple[Path, pl.DataFrame, np.ndarray]:
    """Tags card and tariff with a precomputed votes file (LF ``ext``: card where the text says
    card, against tariff where it says thanks) and an LLM labeler's tag sets (the truth with every
    7th document's tags dropped) on the first 150 documents."""
    corpus, truth, rows = data = make_data(n=200, n_gold=120)
    cfg = write_multilabel_project(folder, ["card", "tariff"], data=data, writer=project_writer)
    words = [t.split() for t in corpus["text"].to_list()]
    cells = [";".join([*(["card"] if "card" in w else []), *(["not:tariff"] if "thanks" in w else [])]) for w in words]
    pl.DataFrame({"id": corpus["id"], "lf": "ext", "label": cells}).write_csv(folder / "votes.csv")
    llm = [";".join(t for j, t in enumerate(["card", "tariff", "fraud", "app"]) if truth[i, j] and j < 2 and i % 7)
           for i in range(150)]
    pl.DataFrame({"id": corpus["id"][:150], "annotator": "gpt", "label": llm}).write_csv(folder / "llm.csv")
    edit_config(cfg, lfs__precomputed="votes.csv", llm_labels="llm.csv", suspicious={"enabled": False})
    return cfg, corpus, truth


def test_precomputed_votes_and_llm_labels_per_tag(tmp_path, project_writer):
    cfg, corpus, truth = _files_project(tmp_path, project_writer)
    out = CliRunner().invoke(app, ["apply", str(cfg)])
    assert out.exit_code == 0, out.output
    run = tmp_path / "run"
    matrix = pl.read_parquet(run / "label_matrix.parquet")
    words = [t.split() for t in corpus["text"].to_list()]
    assert matrix["ext:card"].to_list() == [1 if "card" in w else -1 for w in words]
    assert matrix["ext:tariff"].to_list() == [0 if "thanks" in w else -1 for w in words]
    metrics = json.loads((run / "metrics.json").read_text())
    for tag in ("card", "tariff"):  # the LLM labeler's tags are each tag's LLM candidates
        assert any("llm" in r["name"] for r in metrics["candidates"][tag]["rows"]), metrics["candidates"][tag]["rows"]
    agreement = json.loads((run / "agreement.json").read_text())
    gold = pl.read_csv(tmp_path / "gold.csv", infer_schema=False)
    annotated = set(pl.read_csv(tmp_path / "annotations.csv", infer_schema=False)["id"].to_list())
    llm = dict(pl.read_csv(tmp_path / "llm.csv", infer_schema=False).select("id", "label").rows())
    both = [(c or "", llm[i] or "") for i, c in gold.select("id", "label").rows() if i in annotated and i in llm]
    right = np.mean([("card" in g.split(";")) == ("card" in l.split(";")) for g, l in both])
    row = next(s for s in agreement["per_tag"]["card"]["vs_gold"]["sources"] if s["name"] == "llm:gpt")
    assert row["accuracy"]["n"] == len(both) and row["accuracy"]["value"] == pytest.approx(right)
    # a changed vote of the tariff LF reruns tariff only
    votes = pl.read_csv(tmp_path / "votes.csv", infer_schema=False).with_row_index("r").with_columns(
        pl.when(pl.col("r") == 3).then(pl.lit("not:tariff")).otherwise(pl.col("label")).alias("label")).drop("r")
    votes.write_csv(tmp_path / "votes.csv")
    out = CliRunner().invoke(app, ["apply", str(cfg)])
    assert out.exit_code == 0, out.output
    tags = json.loads((run / "manifest.json").read_text())["tags"]
    assert tags["tariff"]["computed"] and not tags["card"]["computed"]


@pytest.mark.parametrize("edit, message", [
    (lambda p: (p / "votes.csv").write_text("id,lf,label\nm0001,ext,card;loan\n"),
     r"votes\.csv: precomputed votes row 2: unknown tag 'loan'; expected tags among \['card', 'tariff'\]"),
    (lambda p: (p / "votes.csv").write_text("id,lf,label\nm0001,ext,card\nm0001,ext,tariff\n"),
     r"votes\.csv: precomputed votes row 3: LF 'ext' votes twice on id 'm0001'"),
    (lambda p: (p / "llm.csv").write_text("id,label\nm0001,card;cards\n"),
     r"llm\.csv: llm_labels row 2: unknown tag 'cards'; expected tags among"),
])
def test_bad_votes_files_are_one_line(tmp_path, project_writer, edit, message):
    cfg, _, _ = _files_project(tmp_path, project_writer)
    edit(tmp_path)
    out = CliRunner().invoke(app, ["config", "check", str(cfg)])
    assert out.exit_code == 2 and out.output.startswith("error: "), out.output
    assert re.search(message, " ".join(out.output.split())), out.output
