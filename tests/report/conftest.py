"""A small seeded project (corpus, gold, annotations, LFs) and one run folder per test module.

Built inside fixtures with a local ``np.random.default_rng``; the texts carry HTML on purpose
(a ``<script>`` in a document must never execute in the report).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

HOSTILE = ("<script>document.documentElement.setAttribute('data-pwned','1');console.error('pwned')</script>"
           "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> & 'quoted' </textarea>")


def make_corpus(build, n: int, rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """The shared review corpus (``build`` = the make_review_corpus fixture) with a hostile first text."""
    df, y = build(n, rng, endings=(".",), id_digits=4)
    texts = df["text"].to_list()
    texts[0] = f"great {HOSTILE}"  # covered by kw_pos, so it reaches the queue and the data map
    return df.with_columns(pl.Series("text", texts)), y


def report_project(folder: Path, build, writer, lfs: dict, *, seed: int = 11, n: int = 400, n_gold: int = 160,
                   annotations: bool = True, quality: bool = True) -> Path:
    """corpus.csv, gold.csv, annotations.csv, ``lfs`` as lfs.yaml and config.yaml through ``writer``
    (the root conftest's project writer); return the config path."""
    rng = np.random.default_rng(seed)
    df, y = make_corpus(build, n, rng)
    names = np.array(["pos", "neg"])
    gold_idx = np.sort(rng.choice(n, n_gold, replace=False))
    tables = {"corpus.csv": df, "gold.csv": pl.DataFrame({"id": df["id"].gather(gold_idx), "label": names[y[gold_idx]]})}
    config = {
        "seed": 3,
        "gold": {"path": "gold.csv", "dev_fraction": 0.5},
        "lfs": {"files": ["lfs.yaml"]},
        "label_model": {"n_epochs": 100},
        "end_model": {"max_features": 2000},
        "evaluation": {"bootstrap": 100},
        "suspicious": {"enabled": quality, "folds": 2, "epochs": 2, "max_items": 100},
    }
    if annotations:
        rows = []
        for i in gold_idx[:80]:
            for a, acc in (("ann_a", 0.9), ("ann_b", 0.8), ("ann_c", 0.7)):
                lab = y[i] if rng.random() < acc else 1 - y[i]
                rows.append((df["id"][int(i)], a, names[lab]))
        tables["annotations.csv"] = pl.DataFrame(rows, schema=["id", "annotator", "label"], orient="row")
        config["annotations"] = "annotations.csv"
    return writer(folder, tables=tables, lfs=lfs, config=config)


@pytest.fixture(scope="module")
def project(tmp_path_factory, make_review_corpus, make_review_lfs, project_writer) -> Path:
    return report_project(tmp_path_factory.mktemp("project"), make_review_corpus, project_writer, make_review_lfs())


@pytest.fixture(scope="module")
def run_dir(project: Path) -> Path:
    """``wslab apply`` on the small project, once per module; the run folder."""
    from wslab.core.config import load_config
    from wslab.app.pipeline import run_apply

    return run_apply(load_config(project)).run_dir


class Chromium:
    """Debian's headless ``chromium``: the DOM after scripts ran, console messages, screenshots."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=3000"]

    def __init__(self, binary: str, profile: Path) -> None:
        self.binary = binary
        self.profile = profile

    def run(self, page: Path, *extra: str) -> tuple[str, list[str]]:
        """Return (stdout, console lines: every ``CONSOLE`` entry Chromium logged for the page)."""
        import subprocess

        proc = subprocess.run([self.binary, *self.FLAGS, f"--user-data-dir={self.profile}", *extra,
                               page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
        console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout, console

    def dump_dom(self, page: Path) -> tuple[str, list[str]]:
        return self.run(page, "--dump-dom")

    def screenshot(self, page: Path, out: Path, *, width: int = 1366, height: int = 5400) -> list[str]:
        out.parent.mkdir(parents=True, exist_ok=True)
        _, console = self.run(page, f"--screenshot={out.resolve()}", f"--window-size={width},{height}")
        return console


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Chromium:
    import shutil

    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("Debian's `chromium` is not installed (make setup installs it as root); "
                    "the report is not rendered in a browser")
    return Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
