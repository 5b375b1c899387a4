"""Progress reporting that library code can use without configuring any display.

Library functions take ``reporter: Reporter | None``; ``None`` means silent. The CLI passes a
:class:`RichReporter` (progress bars on stderr) unless ``--quiet`` or ``--json`` is given.

    with reporter.task("applying LFs", total=n) as advance:
        ...
        advance(1000)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol


class Reporter(Protocol):
    def task(self, description: str, total: float | None = None) -> contextlib.AbstractContextManager[Callable[..., None]]: ...

    def info(self, message: str) -> None: ...


class NullReporter:
    """Reports nothing."""

    @contextlib.contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[..., None]]:
        yield lambda advance=1, **fields: None

    def info(self, message: str) -> None:
        pass


class RichReporter:
    """Progress bars and messages on stderr through rich."""

    def __init__(self, console=None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)

    @contextlib.contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[..., None]]:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)

        columns = [SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                   BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                   TextColumn("{task.fields[extra]}")]
        with Progress(*columns, console=self.console, transient=False) as progress:
            task_id = progress.add_task(description, total=total, extra="")

            def advance(n: float = 1, **fields: object) -> None:
                extra = " ".join(f"{k}={v}" for k, v in fields.items())
                progress.update(task_id, advance=n, **({"extra": extra} if fields else {}))

            yield advance
            done = progress.tasks[0].completed
            # finished: the bar full and a count, also for a task whose size was not known ("0/?")
            final = total if total is not None else max(done, 1)
            progress.update(task_id, total=final, completed=final)

    def info(self, message: str) -> None:
        self.console.print(message)


def get_reporter(reporter: Reporter | None) -> Reporter:
    return reporter if reporter is not None else NullReporter()


def cli_reporter(*, quiet: bool = False, machine_output: bool = False) -> Reporter:
    """The reporter a command should use: progress bars only on an interactive terminal."""
    import sys

    if quiet or machine_output or not is_terminal(sys.stderr):
        return NullReporter()
    return RichReporter()


def is_terminal(stream) -> bool:
    """``stream`` is a terminal, or rich's ``TTY_COMPATIBLE=1`` says to treat it as one. A CI log
    with FORCE_COLOR set is not: it gets plain text, not bars redrawn in place or tables cut to 80."""
    import os

    return os.environ.get("TTY_COMPATIBLE") == "1" or (hasattr(stream, "isatty") and stream.isatty())
