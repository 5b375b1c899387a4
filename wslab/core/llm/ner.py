"""The optional NER hook of PII masking (``masking.ner``): what regexes cannot find (names,
addresses) comes from a callable, given in a config as ``"package.module:function"``.
:func:`ner_spans` checks what the hook returns; a hook that fails stops the run, so nothing
unmasked is sent.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from wslab.core.errors import ConfigError

__all__ = ["NerHook", "load_ner_hook", "hook_name", "ner_spans", "KIND_NAME"]

NerHook = Callable[[str], Iterable[Any]]
"""``hook(text)`` returns spans ``(start, end, KIND)`` (or spaCy-like objects with ``start_char``,
``end_char``, ``label_``); each span is masked as ``<KIND_n>``."""

KIND_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a placeholder kind: <KIND_1>


def load_ner_hook(path: str) -> NerHook:
    """Import ``"package.module:function"`` and return the function."""
    module_name, sep, attr = path.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z_][\w.]*", module_name) or not re.fullmatch(r"[A-Za-z_][\w.]*", attr):
        raise ValueError(f"expected 'package.module:function'; got {path!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is a config error
        raise ValueError(f"{path!r}: cannot import module {module_name!r} ({type(exc).__name__}: {exc}); "
                         "it must be installed or on PYTHONPATH") from None
    for part in attr.split("."):
        obj = getattr(obj, part, None)
    if obj is None or not callable(obj):
        raise ValueError(f"{path!r}: module {module_name!r} has no function {attr!r}")
    return obj


def hook_name(hook: NerHook) -> str:
    """``module:qualname`` of a hook: how settings, fingerprints and error messages name it."""
    module = getattr(hook, "__module__", None) or type(hook).__module__
    name = getattr(hook, "__qualname__", None) or type(hook).__qualname__
    return f"{module}:{name}"


def ner_spans(text: str, hook: NerHook) -> list[tuple[int, int, str]]:
    """The hook's spans ``(start, end, KIND)``, checked; a hook that fails stops the run."""
    name = hook_name(hook)
    try:
        items = list(hook(text) or ())
    except Exception as exc:  # noqa: BLE001 - reported as one line naming the hook
        raise ConfigError(f"masking.ner {name}: raised {type(exc).__name__}: {exc}") from None
    spans: list[tuple[int, int, str]] = []
    for item in items:
        if hasattr(item, "start_char") and hasattr(item, "end_char"):
            start, end, kind = item.start_char, item.end_char, getattr(item, "label_", "NER")
        else:
            try:
                start, end, kind = item
            except (TypeError, ValueError):
                start = end = kind = None
        if (not isinstance(start, int) or not isinstance(end, int) or not isinstance(kind, str)
                or not 0 <= start < end <= len(text) or not KIND_NAME.fullmatch(kind)):
            raise ConfigError(f"masking.ner {name}: returned {item!r}; expected (start, end, KIND) with "
                              f"0 <= start < end <= {len(text)} and KIND letters, digits and _")
        spans.append((start, end, kind.upper()))
    return spans
