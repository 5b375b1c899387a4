"""The library names its arguments, the CLI its options (issue 20.4): the same bad value gives
``'order'`` from a Python call and ``--order`` from ``wslab agreement``."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from wslab.app.cli import app
from wslab.app.llm_label import llm_label
from wslab.core.errors import ArgumentError
from wslab.quality import agreement_report

RATINGS = pd.DataFrame({"id": ["1", "1", "2", "2"], "annotator": ["a", "b"] * 2, "label": ["lo", "hi", "hi", "hi"]})


def test_library_names_the_argument_cli_the_option(tmp_path):
    with pytest.raises(ArgumentError) as exc:
        agreement_report(RATINGS, level="ordinal", n_boot=0)
    assert "declare 'order' (e.g. hi,lo)" in str(exc.value) and "--" not in str(exc.value)

    RATINGS.to_csv(tmp_path / "r.csv", index=False)
    res = CliRunner().invoke(app, ["agreement", "--annotations", str(tmp_path / "r.csv"), "--level", "ordinal"])
    assert res.exit_code == 2
    assert "declare --order (e.g. hi,lo)" in res.output


def test_llm_label_names_arguments(tmp_path):
    with pytest.raises(ArgumentError, match=r"^llm-label: expected 'config', or both 'corpus' and 'labels'$"):
        llm_label(tmp_path / "out.csv")
    res = CliRunner().invoke(app, ["llm-label", "--out", str(tmp_path / "out.csv")])
    assert res.exit_code == 2
    assert res.output.strip() == "error: llm-label: expected --config, or both --corpus and --labels"


def test_braces_in_a_quoted_value_are_kept():
    err = ArgumentError("{labels}: got 'a,{0}'", "labels")  # not str.format: a value may hold braces
    assert (str(err), err.render({"labels": "--labels"})) == ("'labels': got 'a,{0}'", "--labels: got 'a,{0}'")
