"""``--help`` off a terminal: plain text, aligned, nothing cut.

On a terminal typer draws its rich panels. Piped or redirected (``wslab apply --help | less``,
docs, CI logs) that gave box drawing, ``<bool>`` beside every flag, words broken at their hyphens
(``--fail-`` / ``under``) and command summaries cut with ``...``. Off a terminal the commands here
render click's plain layout instead (the same as ``TYPER_USE_RICH=0``), with hyphens kept inside
their words and every summary whole, wrapped in its column.
"""

from __future__ import annotations

import sys

from typer.core import TyperCommand, TyperGroup
from typer._click.formatting import HelpFormatter

from wslab.core.progress import is_terminal

__all__ = ["PlainHelpCommand", "PlainHelpGroup", "PlainHelpMixin"]

_HOLD = "\u2011"  # a non-breaking hyphen stands in for "-" while the text is wrapped


def _hold(text: str) -> str:
    return text.replace("-", _HOLD)


class _PlainFormatter(HelpFormatter):
    """click's formatter, but a line never breaks at a hyphen inside a word."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(_hold(prog), _hold(args), prefix)

    def write_text(self, text: str) -> None:
        super().write_text(_hold(text))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:  # type: ignore[override]
        super().write_dl([(_hold(a), _hold(b)) for a, b in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        return super().getvalue().replace(_HOLD, "-")


class PlainHelpMixin:
    """Help as plain text when stdout is not a terminal (see the module doc)."""

    def get_help(self, ctx) -> str:  # type: ignore[no-untyped-def]
        if is_terminal(sys.stdout):
            return super().get_help(ctx)  # type: ignore[misc]
        formatter = _PlainFormatter(width=ctx.terminal_width, max_width=ctx.max_content_width)
        mode, self.rich_markup_mode = self.rich_markup_mode, None  # type: ignore[attr-defined]
        try:
            self.format_help(ctx, formatter)  # type: ignore[attr-defined]
        finally:
            self.rich_markup_mode = mode  # type: ignore[attr-defined]
        return formatter.getvalue().rstrip("\n")

    def format_commands(self, ctx, formatter) -> None:  # type: ignore[no-untyped-def]
        """Each subcommand with its whole first sentence (click cuts it to the line with "...")."""
        if is_terminal(sys.stdout) or not hasattr(self, "list_commands"):
            return super().format_commands(ctx, formatter)  # type: ignore[misc]
        rows = []
        for name in self.list_commands(ctx):  # type: ignore[attr-defined]
            cmd = self.get_command(ctx, name)  # type: ignore[attr-defined]
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class PlainHelpCommand(PlainHelpMixin, TyperCommand):
    pass


class PlainHelpGroup(PlainHelpMixin, TyperGroup):
    pass
