"""Reading what an LLM endpoint returns: the JSON object in a reply (plain, fenced or after prose),
a reply that is just one allowed value, the wait a server asks for (``Retry-After``), and the
message of an error body.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["parse_json_tolerant", "bare_enum_answer", "retry_after", "error_message"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_json_tolerant(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text``: plain, inside a code fence, or after prose.

    >>> parse_json_tolerant('Sure! ```json\\n{"label": "spam"}\\n``` hope it helps')
    {'label': 'spam'}
    >>> parse_json_tolerant('{"label": "sp') is None
    True
    """
    if not text:
        return None
    candidates = [text.strip()] + [m.group(1) for m in _FENCE.finditer(text)]
    decoder = json.JSONDecoder()
    for cand in candidates:
        try:
            obj = json.loads(cand)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            return obj
    for i, ch in enumerate(text):
        if ch == "{":
            try:
                obj, _ = decoder.raw_decode(text, i)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asks to wait (``retry-after-ms``, ``retry-after`` in seconds or as a date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def bare_enum_answer(content: str, schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """A reply that is just one allowed value (``spam``, ``"spam".``) for a one-field enum schema."""
    props = schema.get("properties") or {}
    if len(props) != 1:
        return None
    [(name, prop)] = props.items()
    enum = prop.get("enum") if isinstance(prop, Mapping) else None
    if not enum:
        return None
    word = content.strip().strip("`'\".,:; \n").casefold()
    matches = [v for v in enum if isinstance(v, str) and v.casefold() == word]
    return {name: matches[0]} if len(matches) == 1 else None


def error_message(exc: Any) -> str:
    """The message of an SDK error, from its JSON body when there is one (at most 300 characters)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
