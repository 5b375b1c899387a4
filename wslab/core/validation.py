"""One way to validate user data: strict pydantic models, and one message shape for their errors.

>>> from pydantic import ValidationError
>>> class Box(Strict):
...     width: int = 1
>>> try:
...     Box(widht=2)
... except ValidationError as exc:
...     print(validation_message(exc, Box))
key 'widht': unknown key (did you mean 'width'?)
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["Strict", "validation_message", "model_keys", "did_you_mean"]


class Strict(BaseModel):
    """The base of every user-facing settings model: an unknown key is an error."""

    model_config = ConfigDict(extra="forbid")


def did_you_mean(word: str, options: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validation_message(exc: ValidationError, model: type[BaseModel], *, prefix: str = "") -> str:
    """One line for a pydantic error: ``key 'a.b': what was wrong``.

    An unknown key is reported before any other error (it is usually a typo, and it explains a
    "missing" error beside it), with the closest known key of ``model`` as a suggestion.
    """
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join([prefix] * bool(prefix) + [str(p) for p in err["loc"]])
    msg = str((err.get("ctx") or {}).get("error", err["msg"])) if err["type"] == "value_error" else err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key" + did_you_mean(str(err["loc"][-1]), model_keys(model))
    if err["type"] == "missing":
        msg = "required key is missing"
    return f"key {loc!r}: {msg}" if loc else msg


def model_keys(root: type[BaseModel]) -> list[str]:
    """Every field name of ``root`` and of the pydantic models nested in it."""
    keys: set[str] = set()
    stack: list[type[BaseModel]] = [root]
    while stack:
        model = stack.pop()
        for name, f in model.model_fields.items():
            keys.add(name)
            ann = f.annotation
            for cand in (ann, *getattr(ann, "__args__", ())):
                if isinstance(cand, type) and issubclass(cand, BaseModel) and cand is not model:
                    stack.append(cand)
    return sorted(keys)
