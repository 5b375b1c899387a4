"""``wslab config check``: validate a project without running it.

:func:`check_project` runs every check that ``wslab apply`` runs before it does any work, and
no more: the config schema (already done by :func:`wslab.config.load_config`), the LF files
(keys, labels, regexes, columns), prompt-LF and LLM settings, the corpus (columns, rows, unique
ids), the gold file (columns, labels, ids in the corpus), the annotations file and a precomputed
label matrix. No LF is applied and no LLM is called; the first problem raises the same one-line
:class:`~wslab.errors.InputError` that ``apply`` would.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl

from wslab import io
from wslab.config import Config

__all__ = ["check_project"]


def check_project(cfg: Config) -> dict[str, Any]:
    """Validate every input of ``cfg``; return what was checked (JSON-ready)."""
    from wslab.data import load_gold
    from wslab.labeling.apply import load_precomputed, load_python_lf
    from wslab.labeling.baseline import check_llm_baseline
    from wslab.pipeline import load_lfs, open_corpus, validate_prompt_lfs

    specs = load_lfs(cfg)
    validate_prompt_lfs(cfg, specs)
    check_llm_baseline(cfg)
    paths = [cfg.base_dir, *(cfg.resolve(p) for p in cfg.lfs.python_paths)]
    for spec in specs:
        if spec.kind == "python":
            load_python_lf(spec.condition.function, paths=paths)  # type: ignore[union-attr]
    corpus = open_corpus(cfg, specs)  # columns exist, ids unique, every regex compiles
    corpus_path = cfg.resolve(cfg.corpus.path)
    ids = corpus.select(pl.col(cfg.corpus.id_column)).collect().to_series()
    out: dict[str, Any] = {
        "config": str(cfg.config_path) if cfg.config_path else None,
        "config_hash": cfg.hash(),
        "labels": cfg.label_names,
        "lfs": {"total": len(specs), "by_kind": dict(sorted(Counter(s.kind for s in specs).items())),
                "files": [str(cfg.resolve(f)) for f in cfg.lfs.files]},
        "corpus": {"path": str(corpus_path), "documents": len(ids),
                   "columns": corpus.collect_schema().names()},
        "gold": None, "annotations": None, "precomputed": None,
        "output_dir": str(cfg.resolve(cfg.output.dir)),
    }
    if cfg.lfs.precomputed is not None:
        votes = load_precomputed(cfg.resolve(cfg.lfs.precomputed), ids, n_labels=len(cfg.label_names))
        out["precomputed"] = {"path": str(cfg.resolve(cfg.lfs.precomputed)), "lfs": votes.width - 1}
    if cfg.gold is not None:
        gold_path = cfg.resolve(cfg.gold.path)
        gold = load_gold(gold_path, labels=cfg.label_names, id_column=cfg.gold.id_column,
                         label_column=cfg.gold.label_column, split_column=cfg.gold.split_column,
                         dev_fraction=cfg.gold.dev_fraction, seed=cfg.seed, corpus_ids=ids, corpus_path=corpus_path)
        out["gold"] = {"path": str(gold_path), "items": len(gold.y), "dev": int(gold.is_dev.sum()),
                       "test": int((~gold.is_dev).sum())}
    if cfg.annotations is not None:
        ann_path = cfg.resolve(cfg.annotations)
        ann = io.read_table(ann_path, required=["id", "annotator", "label"], what="annotations")
        out["annotations"] = {"path": str(ann_path), "ratings": ann.height,
                              "annotators": ann["annotator"].n_unique(), "items": ann["id"].n_unique()}
    return out
