"""Progress reporting that library code can use without configuring any display.

Library functions take ``reporter: Reporter | None``; ``None`` means silent. The CLI passes a
:class:`RichReporter` (progress bars on stderr) on a terminal, a :class:`LineReporter` (one plain
line on stderr as each task and each pipeline stage ends, with its time) when stderr is a file, a
pipe or a CI log, and nothing with ``--quiet`` or ``--json``.

    with reporter.task("applying LFs", total=n) as advance:
        ...
        advance(1000)
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO


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


class LineReporter:
    """Off a terminal: one line per finished task (``applying LFs: 5000 in 3.1 s``) and per
    finished pipeline stage (``apply_lfs done in 3.2 s``) on ``stream`` (default: stderr), flushed at
    once, so a log piped to a file or a CI job shows signs of life and where the time went."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def _line(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(text + "\n")
        stream.flush()

    @contextlib.contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Callable[..., None]]:
        t0, done = time.perf_counter(), [0.0]

        def advance(n: float = 1, **fields: object) -> None:
            done[0] += n

        yield advance
        count = f" {done[0]:g}" if done[0] else ""
        self._line(f"{description}:{count} in {time.perf_counter() - t0:.1f} s")

    def stage_done(self, name: str, seconds: float) -> None:
        self._line(f"{name} done in {seconds:.1f} s")

    def info(self, message: str) -> None:
        self._line(message)


def stage_done(reporter: Reporter | None, name: str, seconds: float) -> None:
    """Tell ``reporter`` that pipeline stage ``name`` ended after ``seconds`` (only a
    :class:`LineReporter` prints it: on a terminal the bars already show it)."""
    report = getattr(reporter, "stage_done", None)
    if report is not None:
        report(name, seconds)


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
    """The reporter a command should use: progress bars on an interactive terminal, plain lines
    (:class:`LineReporter`) elsewhere, nothing with ``quiet`` or ``machine_output``."""
    if quiet or machine_output:
        return NullReporter()
    return RichReporter() if is_terminal(sys.stderr) else LineReporter()


def is_terminal(stream) -> bool:
    """``stream`` is a terminal, or rich's ``TTY_COMPATIBLE=1`` says to treat it as one. A CI log
    with FORCE_COLOR set is not: it gets plain text, not bars redrawn in place or tables cut to 80."""
    import os

    return os.environ.get("TTY_COMPATIBLE") == "1" or (hasattr(stream, "isatty") and stream.isatty())
