"""Memory stays in proportion to the corpus, not to its longest text (issue 13.12).

One 20 MB text among 500 short ones: ``apply`` (LFs, label model, end model, cleanlab and
cartography) runs in a subprocess, whose peak RSS (``resource.getrusage``) is compared with the
same corpus without the huge text. Without the bound on texts (corpus.max_text_chars), the
character n-grams of that one text took about 5 GB here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import yaml

HUGE = 20_000_000
PEAK = ("import resource, sys\nfrom wslab.app.cli import main\n"
        "try:\n    main(['apply', sys.argv[1], '-q'])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def make_project(folder: Path, *, huge: int) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    words = [["great", "love", "nice"], ["awful", "hate", "bad"]]
    y = rng.integers(0, 2, 500)
    texts = [" ".join(f"the order {words[k][rng.integers(0, 3)]} item{rng.integers(0, 50)}" for _ in range(3))
             for k in y]
    if huge:
        texts[7] = " ".join(f"word{i % 5000} great" for i in range(huge // 12))[:huge]
    ids = [f"{i:04d}" for i in range(500)]
    pl.DataFrame({"id": ids, "text": texts}).write_parquet(folder / "corpus.parquet")
    pl.DataFrame({"id": ids[:100], "label": np.array(["pos", "neg"])[y[:100]]}).write_csv(folder / "gold.csv")
    lfs = {"lfs": [{"name": "kw_pos", "label": "pos", "kind": "keywords", "keywords": ["great", "love"]},
                   {"name": "kw_neg", "label": "neg", "kind": "keywords", "keywords": ["awful", "hate"]}]}
    (folder / "lfs.yaml").write_text(yaml.safe_dump(lfs))
    config = {"task": "t", "corpus": {"path": "corpus.parquet"}, "labels": {"pos": "p", "neg": "n"},
              "gold": {"path": "gold.csv"}, "lfs": {"files": ["lfs.yaml"]}, "output": {"dir": "run"},
              "evaluation": {"bootstrap": 20}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder / "config.yaml"


def peak_rss_mb(config: Path) -> float:
    out = subprocess.run([sys.executable, "-c", PEAK, str(config)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def test_one_huge_text_does_not_blow_up_memory(tmp_path):
    base = peak_rss_mb(make_project(tmp_path / "base", huge=0))
    config = make_project(tmp_path / "huge", huge=HUGE)
    assert len(pl.read_parquet(config.parent / "corpus.parquet")["text"][7]) == HUGE
    huge = peak_rss_mb(config)
    # the huge text is read whole once or twice by the LFs (20 MB each); nothing else may grow with it
    assert huge < base + 150, (base, huge)
    manifest = json.loads((config.parent / "run" / "manifest.json").read_text())
    assert manifest["texts"] == {"max_chars": 20_000, "truncated": 1, "empty": 0}
