"""Reading the user's YAML files (config.yaml, LF spec files): one loader, one message shape.

A key written twice in one mapping is an error naming both lines (PyYAML keeps the last one
silently, so a second ``lfs:`` or ``output:`` would quietly replace the first).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
>>> _ = p.write_text("seed: 1\\nseed: 2\\n")
>>> try:
...     read_yaml(p)
... except ConfigError as exc:
...     print(str(exc).split(": ", 1)[1])
line 2: key 'seed' is written twice (first on line 1); expected each key once
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from wslab.core.errors import ConfigError

__all__ = ["read_yaml"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: SafeLoader reports it itself
                continue
            if first is not None:
                raise _DuplicateKey(key, first, key_node.start_mark.line + 1)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, line: int) -> None:
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; ConfigError (one line, naming the file and line) when it is
    not UTF-8, not YAML, or writes a key twice."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: bytes that are not UTF-8; expected a UTF-8 YAML file") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as dup:
        raise ConfigError(f"{path}: line {dup.line}: key {dup.key!r} is written twice (first on line {dup.first}); "
                          "expected each key once") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: {line}malformed YAML ({problem})") from None
