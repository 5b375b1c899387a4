"""The one redaction step every message passes before it leaves wslab.

:func:`redact` replaces with ``***``

* the value of every API key wslab has read, whatever its length, and each form in which the
  client sends it (the LLM client registers the key it reads and the credentials of its base URL
  with :func:`register_secret`: the value, and for URL credentials the password, ``user:pass``
  and its ``Basic`` base64 form), and of environment variables whose name says they hold a secret
  (``*_API_KEY``, ``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``; values of 8 or more
  characters);
* credentials inside URLs (``https://user:pass@host`` -> ``https://***@host``);
* HTTP credentials (``Bearer ...``, ``Basic ...``: a server may echo the Authorization header,
  and ``Basic`` is how URL credentials travel).

The CLI's one error wrapper (:mod:`wslab.app.cli`) and the LLM client's errors and warnings call it;
nothing else needs to.

>>> redact("GET https://bob:hunter2@example.org/v1 failed")
'GET https://***@example.org/v1 failed'
"""

from __future__ import annotations

import base64
import os
import re
from urllib.parse import unquote, urlsplit

__all__ = ["redact", "register_secret", "register_url_credentials", "contains_secret"]

MASK = "***"
MIN_SECRET_CHARS = 8
_SECRETS: set[str] = set()
_SECRET_ENV = re.compile(r"(API_?KEY|_KEY$|TOKEN|SECRET|PASSWORD|PASSWD)", re.I)
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*:/{1,2})[^\s/@'\"<>]+@")
_AUTH_HEADER = re.compile(r"\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=\-]{8,}", re.I)


def register_secret(value: str | None) -> None:
    """Remember ``value`` (an API key just read) so that :func:`redact` hides it from now on,
    whatever its length, with its ``Basic`` base64 form."""
    if value:
        _SECRETS.add(value)
        _SECRETS.add(base64.b64encode(value.encode()).decode())


def register_url_credentials(url: str | None) -> None:
    """Register the credentials inside ``url`` (``scheme://user:pass@host``) as sent: the password,
    ``user:pass`` and its ``Basic`` base64 form (how an HTTP client sends URL credentials)."""
    if not url:
        return
    parts = urlsplit(url)
    user, password = parts.username, parts.password
    if password:
        _SECRETS.add(unquote(password))
        _SECRETS.add(password)
    if user or password:
        plain = f"{unquote(user or '')}:{unquote(password or '')}"
        _SECRETS.add(plain)
        _SECRETS.add(base64.b64encode(plain.encode()).decode())


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a registered secret in any registered form (e.g. a key echoed in an answer)."""
    return any(secret in text for secret in _SECRETS)


def _secrets() -> list[str]:
    found = set(_SECRETS)
    for name, value in os.environ.items():
        if _SECRET_ENV.search(name) and len(value) >= MIN_SECRET_CHARS:
            found.add(value)
    return sorted(found, key=len, reverse=True)  # a longer secret before a secret inside it


def redact(text: str) -> str:
    """``text`` with every known secret value, URL credential and bearer token replaced by ``***``."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(rf"\1{MASK}@", text)
    return _AUTH_HEADER.sub(rf"\1{MASK}", text)
