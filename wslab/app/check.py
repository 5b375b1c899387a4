"""``wslab config check``: validate a project without running it.

:func:`check_project` runs exactly the checks that ``wslab apply`` runs before it does any work
(:func:`wslab.core.rundir.check_run_folder`: the output folder, first as in ``apply``; then
:func:`wslab.app.project.open_project`: the config schema, LF files, prompt-LF and LLM settings, the
corpus, the gold file, the annotations file and a precomputed label matrix), and no more. No LF
is applied and no LLM is called; the first problem raises the same one-line
:class:`~wslab.core.errors.InputError` that ``apply`` would.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wslab.core.config import Config
from wslab.app.project import open_project
from wslab.core.rundir import check_run_folder

__all__ = ["check_project"]


def check_project(cfg: Config) -> dict[str, Any]:
    """Validate every input of ``cfg``; return what was checked (JSON-ready)."""
    check_run_folder(cfg)
    p = open_project(cfg)
    out: dict[str, Any] = {
        "config": str(cfg.config_path) if cfg.config_path else None,
        "config_hash": cfg.hash(),
        "labels": cfg.label_names,
        "lfs": {"total": len(p.specs), "by_kind": dict(sorted(Counter(s.kind for s in p.specs).items())),
                "files": [str(cfg.resolve(f)) for f in cfg.lfs.files]},
        "corpus": {"path": str(p.corpus.path), "documents": len(p.corpus), "columns": p.corpus.columns},
        "gold": None, "annotations": None, "precomputed": None,
        "output_dir": str(cfg.resolve(cfg.output.dir)),
    }
    if cfg.lfs.precomputed is not None:  # "compared": columns named like a spec LF, checked against it, not used
        out["precomputed"] = {"path": str(cfg.resolve(cfg.lfs.precomputed)),
                              "lfs": p.precomputed.width - 1 if p.precomputed is not None else 0,
                              "compared": p.stored_votes.width - 1 if p.stored_votes is not None else 0}
    if p.gold is not None:
        out["gold"] = {"path": str(cfg.resolve(cfg.gold.path)), "items": len(p.gold.y),
                       "dev": int(p.gold.is_dev.sum()), "test": int((~p.gold.is_dev).sum())}
    if p.annotations is not None:
        ann = p.annotations
        out["annotations"] = {"path": str(cfg.resolve(cfg.annotations)), "ratings": ann.height,
                              "annotators": ann["annotator"].n_unique(), "items": ann["id"].n_unique()}
    return out
