"""Edits of a generated project folder (config.yaml, lfs.yaml, any file) shared by the tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def _config_path(p: Path) -> Path:
    return p if p.suffix in (".yaml", ".yml") else p / "config.yaml"


def edit_config(p: Path, **changes) -> None:
    """Set config keys in ``p`` (a config file, or a project folder's config.yaml); ``output__dir`` =
    output.dir; missing sections are made."""
    path = _config_path(p)
    cfg = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = cfg
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))


def add_lf(p: Path, lf: dict) -> None:
    """Append one LF to the project's lfs.yaml (``p``: the project folder or its config file)."""
    path = _config_path(p).parent / "lfs.yaml"
    data = yaml.safe_load(path.read_text())
    data["lfs"].append(lf)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def write(p: Path, name: str, text: str) -> None:
    (p / name).write_text(text, encoding="utf-8")
