"""Edits of a generated project folder (config.yaml, lfs.yaml, any file) shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def edit_config(p: Path, **changes) -> None:
    """Set config keys in ``p/config.yaml`` (``output__dir`` = output.dir; missing sections are made)."""
    cfg = yaml.safe_load((p / "config.yaml").read_text())
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = cfg
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    (p / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def add_lf(p: Path, lf: dict) -> None:
    """Append one LF to ``p/lfs.yaml``."""
    data = yaml.safe_load((p / "lfs.yaml").read_text())
    data["lfs"].append(lf)
    (p / "lfs.yaml").write_text(yaml.safe_dump(data))


def write(p: Path, name: str, text: str) -> None:
    (p / name).write_text(text, encoding="utf-8")
