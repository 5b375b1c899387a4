"""``wslab demo``'s project files: the config, the README and :func:`write_demo`, which writes the
data of :func:`wslab.app.demo.generate.build_demo` into a folder as a ready-to-run wslab project
(the layout is in :mod:`wslab.app.demo.generate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wslab.app.demo.generate import (ASSESSOR_ACCURACY, BATCH_SIZE, CLASS_SHARES, LABELS, MISSING_RATE, DemoData,
                                 build_demo, data_text, lfs_yaml)
from wslab.core.errors import InputError
from wslab.core.io import write_table, write_text
from wslab.core.progress import Reporter, get_reporter


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote."""

    out_dir: Path
    seed: int
    n_docs: int
    n_gold: int
    n_annotated_items: int
    n_annotations: int
    n_lfs: int
    class_counts: dict[str, int]
    files: list[Path] = field(default_factory=list)
    multilabel: bool = False
    """``class_counts`` then counts messages per tag (a message may carry several)."""

    def as_dict(self) -> dict:
        """JSON-ready (``wslab demo --json``)."""
        return {"out_dir": self.out_dir, "seed": self.seed, "n_docs": self.n_docs, "n_gold": self.n_gold,
                "n_annotated_items": self.n_annotated_items, "n_annotations": self.n_annotations,
                "n_lfs": self.n_lfs, "class_counts": self.class_counts, "files": self.files,
                "multilabel": self.multilabel}


PIPELINE_SEED = 13
"""The config's seed (gold split, label model, end model). Independent of the generator's seed:
Snorkel's LabelModel scales its initial parameters by one ``np.random.random()`` draw after
seeding, and some seeds (7: 0.076, 9: 0.010) start it so close to zero that it collapses."""


def config_dict(*, data_prefix: str = "", output_dir: str = "runs/demo", seed: int = PIPELINE_SEED) -> dict:
    """The demo config as a mapping; ``data_prefix`` is prepended to every project path."""
    p = data_prefix
    return {
        "task": "Route bank customer-support messages (Russian, English and mixed) to the team that "
                "handles them: tariffs and fees, card problems, loans, fraud reports, or other.",
        "seed": seed,
        "corpus": {"path": f"{p}data/corpus.parquet", "id_column": "id", "text_column": "text"},
        "labels": dict(LABELS),
        "gold": {"path": f"{p}data/gold.csv", "dev_fraction": 0.5},
        "annotations": f"{p}data/annotations.csv",
        "lfs": {"files": [f"{p}lfs.yaml"]},
        "end_model": {"enabled": True},
        # cleanlab + cartography on a 20,000-label sample keeps the demo run to about two minutes
        "suspicious": {"enabled": True, "max_items": 20_000},
        "output": {"dir": output_dir},
    }


def config_yaml(**kwargs) -> str:
    head = "# wslab demo project, written by `wslab demo`. Run: wslab apply config.yaml\n"
    return head + yaml.safe_dump(config_dict(**kwargs), sort_keys=False, allow_unicode=True, width=100)


def _readme(data: DemoData, seed: int) -> str:
    """The project README: ``README.md.tmpl`` filled with the generated data's numbers."""
    counts = data.truth.group_by("label").len()
    share = {lab: n / data.truth.height for lab, n in counts.iter_rows()}
    n_annotated = data.annotations["id"].n_unique()
    return data_text("README.md.tmpl").format(
        seed=seed, n_docs=data.corpus.height, n_gold=data.gold.height, n_annotated_items=n_annotated,
        n_rated_beyond_gold=n_annotated - data.gold.height, batch_size=BATCH_SIZE, missing_rate=MISSING_RATE,
        n_lfs=_n_lfs(), pipeline_seed=PIPELINE_SEED,
        mix=", ".join(f"{lab} {share.get(lab, 0):.0%}" for lab in CLASS_SHARES),
        acc=", ".join(f"{a} {v:.2f}" for a, v in ASSESSOR_ACCURACY.items()),
    )


def _n_lfs() -> int:
    return len(yaml.safe_load(lfs_yaml())["lfs"])


def write_demo(out_dir: Path, *, n_docs: int = 50_000, n_gold: int = 2000, seed: int = 7,
               force: bool = False, multilabel: bool = False, reporter: Reporter | None = None) -> DemoSummary:
    """Write the demo project into ``out_dir``; refuse a non-empty folder unless ``force``.
    ``multilabel``: the multi-tag variant (:mod:`wslab.app.demo.tags`)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file; expected a folder for the demo project")
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(f"{out}: folder is not empty; pass --force to overwrite the demo files in it")
    rep = get_reporter(reporter)
    if multilabel:
        return _write_tag_demo(out, n_docs=n_docs, n_gold=n_gold, seed=seed, rep=rep)
    with rep.task("generating demo messages", total=None):
        data = build_demo(n_docs, n_gold, seed=seed)
    files = []
    with rep.task("writing demo project", total=8) as advance:
        for rel, df in (("data/corpus.parquet", data.corpus), ("data/truth.parquet", data.truth),
                        ("data/gold.csv", data.gold), ("data/annotations.csv", data.annotations),
                        ("data/gold_wide.csv", data.gold_wide)):
            files.append(write_table(out / rel, df))
            advance(1)
        files.append(write_text(out / "lfs.yaml", lfs_yaml()))
        files.append(write_text(out / "config.yaml", config_yaml()))
        files.append(write_text(out / "README.md", _readme(data, seed)))
        advance(3)
    counts = dict(data.truth.group_by("label").len().sort("label").iter_rows())
    return DemoSummary(out_dir=out, seed=seed, n_docs=data.corpus.height, n_gold=data.gold.height,
                       n_annotated_items=data.annotations["id"].n_unique(), n_annotations=data.annotations.height,
                       n_lfs=_n_lfs(), class_counts={k: counts.get(k, 0) for k in CLASS_SHARES}, files=files)


def _write_tag_demo(out: Path, *, n_docs: int, n_gold: int, seed: int, rep: Reporter) -> DemoSummary:
    from wslab.app.demo.tags import TAGS, build_tag_demo, tag_lfs_yaml, write_tag_files

    with rep.task("generating demo messages", total=None):
        data = build_tag_demo(n_docs, n_gold, seed=seed)
    with rep.task("writing demo project", total=None):
        files = write_tag_files(out, data, seed)
    return DemoSummary(out_dir=out, seed=seed, n_docs=data.corpus.height, n_gold=data.gold.height,
                       n_annotated_items=data.annotations["id"].n_unique(), n_annotations=data.annotations.height,
                       n_lfs=len(yaml.safe_load(tag_lfs_yaml())["lfs"]),
                       class_counts={t: int(data.truth["tags"].list.contains(t).sum()) for t in TAGS},
                       files=files, multilabel=True)
