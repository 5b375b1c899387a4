"""The exception hierarchy. The CLI catches :class:`WslabError` once and exits 2."""

from __future__ import annotations


class WslabError(Exception):
    """Base class of every error that wslab reports to a user as one line."""

    exit_code = 2


class InputError(WslabError):
    """A file, a column, a row or a value in the user's input is not what was expected."""


class ConfigError(InputError):
    """config.yaml or an LF spec file is malformed or names something invalid."""


class BudgetExceeded(WslabError):
    """An LLM run stopped because the configured cost budget was reached."""

    exit_code = 3
