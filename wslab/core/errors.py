"""The exception hierarchy. The CLI catches :class:`WslabError` once and exits 2."""

from __future__ import annotations


class WslabError(Exception):
    """Base class of every error that wslab reports to a user as one line."""

    exit_code = 2


class InputError(WslabError):
    """A file, a column, a row or a value in the user's input is not what was expected."""


class ArgumentError(InputError):
    """A bad argument of a library call. The message names each argument as the library calls it
    (``'order'``); the CLI shows the option that sets it instead (``--order``), so the library never
    names a CLI flag and the CLI never shows a Python name.

    >>> err = ArgumentError("{labels}: expected at least two names; got 'pos'", "labels")
    >>> str(err)
    "'labels': expected at least two names; got 'pos'"
    >>> err.render({"labels": "--labels"})
    "--labels: expected at least two names; got 'pos'"
    """

    def __init__(self, template: str, *arguments: str) -> None:
        self.template, self.arguments = template, arguments
        super().__init__(self.render({}))

    def render(self, names: dict[str, str]) -> str:
        """The message with each argument shown as ``names[argument]`` (default: ``'argument'``)."""
        text = self.template  # replace, not str.format: a value quoted in the message may hold braces
        for a in self.arguments:
            text = text.replace("{" + a + "}", names.get(a, f"'{a}'"))
        return text


class ConfigError(InputError):
    """config.yaml or an LF spec file is malformed or names something invalid."""


class BudgetExceeded(WslabError):
    """An LLM run stopped because the configured cost budget was reached."""

    exit_code = 3
