"""Where prompt-LF answers are kept, and the concurrent loop that asks for them.

:class:`VoteStore` is one SQLite file per prompt LF (see :func:`prompt_lf_store_path`) holding
``request key -> (label, confidence, status)``; each answer is written as it arrives, so a crash,
a Ctrl-C or a budget stop loses nothing. :func:`ask_all` asks the requests still to do with
``llm.concurrency`` workers: a document that fails after every retry is stored as ``failed``
(asked again next run), many failures in a row stop the run with
:class:`~wslab.core.llm.LLMUnavailable`, and the first Ctrl-C / SIGTERM lets answers in flight arrive
and be saved before the run stops.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wslab.core.errors import BudgetExceeded, InputError
from wslab.core.llm import Completion, LLMClient, LLMError, LLMUnavailable
from wslab.core.progress import Reporter

__all__ = ["VoteStore", "prompt_lf_store_path", "ask_all", "FAILED", "STORE_FORMAT"]

STORE_FORMAT = "2"  # votes keyed by request; a store of another format is dropped (the cache keeps its answers)
FAILED = "failed"  # the status of a document asked again on the next run


def prompt_lf_store_path(work_dir: str | Path, name: str) -> Path:
    """Where the votes of prompt LF ``name`` are kept (one SQLite file per LF)."""
    return Path(work_dir) / f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.sqlite"


class VoteStore:
    """Answers by request key: ``key -> (label, confidence, status)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != STORE_FORMAT:  # an older store (votes by id): not trusted
            self.conn.execute("BEGIN")
            self.conn.execute("DROP TABLE IF EXISTS votes")
            self.conn.execute("DELETE FROM meta")
            self.conn.execute("INSERT INTO meta VALUES ('format', ?)", (STORE_FORMAT,))
            self.conn.execute("COMMIT")
        self.conn.execute("CREATE TABLE IF NOT EXISTS votes (key TEXT PRIMARY KEY, label TEXT, "
                          "confidence REAL, status TEXT NOT NULL)")

    def put(self, key: str, label: str | None, confidence: float | None, status: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?)", (key, label, confidence, status))

    def get(self, keys: set[str]) -> dict[str, tuple[str | None, float | None, str]]:
        """The stored answers among ``keys``."""
        out: dict[str, tuple[str | None, float | None, str]] = {}
        wanted = list(keys)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            rows = self.conn.execute("SELECT key, label, confidence, status FROM votes WHERE key IN "
                                     f"({','.join('?' * len(chunk))})", chunk)
            out.update({r[0]: (r[1], r[2], r[3]) for r in rows})
        return out

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------- asking


async def ask_all(todo: list[tuple[str, list[dict[str, str]]]], *, client: LLMClient, store: VoteStore,
                  schema: dict[str, Any], interpret: Callable[[Completion], tuple[str | None, float | None, str]],
                  want_logprobs: bool, name: str, rep: Reporter) -> None:
    """Ask every request of ``todo`` (key, messages) and store each answer as it arrives.

    ``interpret`` turns a completion into ``(label or None, confidence, status)``. Raises what
    stopped the run (budget, endpoint down or refusing), ``KeyboardInterrupt`` after a SIGINT and
    ``SystemExit(128 + signum)`` after a SIGTERM, always after saving the answers received.
    """
    run = _Asking(queue=deque(todo), client=client, store=store, schema=schema, interpret=interpret,
                  want_logprobs=want_logprobs, name=name, rep=rep)
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, run.on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    try:
        with rep.task(f"prompt LF {name}", total=len(todo)) as advance:
            run.tasks.extend(asyncio.create_task(run.worker(advance)) for _ in range(client.settings.concurrency))
            await asyncio.gather(*run.tasks)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await client.aclose()
    run.save_unsaved()
    run.raise_stop()


@dataclass
class _Asking:
    """What the workers of one :func:`ask_all` share: the queue, and why they stop."""

    queue: deque[tuple[str, list[dict[str, str]]]]
    client: LLMClient
    store: VoteStore
    schema: dict[str, Any]
    interpret: Callable[[Completion], tuple[str | None, float | None, str]]
    want_logprobs: bool
    name: str
    rep: Reporter
    stop: list[BaseException] = field(default_factory=list)
    in_a_row: int = 0  # documents failed in a row
    unsaved: list[tuple[str, str | None, float | None, str]] = field(default_factory=list)
    write_error: OSError | sqlite3.Error | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def down_after(self) -> int:
        """Failures in a row that mean the endpoint is down."""
        return max(10, 2 * self.client.settings.concurrency)

    async def worker(self, advance: Any) -> None:
        client = self.client
        max_tokens = client.settings.max_tokens or 64
        while self.queue and not self.stop:
            key, messages = self.queue.popleft()
            try:
                c = await client.complete_json(messages, self.schema, logprobs=self.want_logprobs,
                                               max_tokens=max_tokens, schema_name="label")
            except LLMUnavailable as exc:  # this document failed after every retry
                self.save(key, None, None, FAILED)
                self.in_a_row += 1
                if self.in_a_row >= self.down_after and not self.stop:
                    self.stop.append(LLMUnavailable(f"{self.in_a_row} documents in a row failed; {exc}"))
                advance(1)
                continue
            except (BudgetExceeded, LLMError) as exc:
                self.stop.append(exc)
                return
            if c.error is not None:  # paid, but no usable answer: asked again on the next run
                label, conf, st = None, None, FAILED
            else:
                label, conf, st = self.interpret(c)
            if not self.save(key, label, conf, st):  # kept in memory, written once the workers stop
                continue
            if st != FAILED:
                self.in_a_row = 0  # counted only once durable
            advance(1, cost=f"${client.usage.cost_usd:.4f}")

    def save(self, key: str, label: str | None, conf: float | None, status: str) -> bool:
        """Write one answer; on a write error (disk full) keep it, stop asking, and say False."""
        try:
            self.store.put(key, label, conf, status)
            return True
        except (OSError, sqlite3.Error) as exc:
            self.unsaved.append((key, label, conf, status))
            if self.write_error is None:
                self.write_error = exc
                self.stop.append(_WriteFailed())
            return False

    def save_unsaved(self) -> None:
        """Try once more to write the answers a write error kept in memory (answers in flight
        arrived meanwhile and were kept too)."""
        left = []
        for row in self.unsaved:
            try:
                self.store.put(*row)
            except (OSError, sqlite3.Error):
                left.append(row)
        saved, self.unsaved = len(self.unsaved) - len(left), left
        if self.write_error is not None:
            err = self.write_error
            why = getattr(err, "strerror", None) or str(err).splitlines()[0]
            self.stop[:] = [InputError(
                f"{self.store.path}: cannot save prompt-LF votes ({why}); asking stopped, {saved} answers "
                f"received were saved on a second try, {len(left)} could not be (asked again next run); "
                "expected free space where the votes are stored")] + [e for e in self.stop
                                                                     if not isinstance(e, _WriteFailed)]

    def on_signal(self, signum: int) -> None:
        """Ctrl-C / SIGTERM: start nothing new, let answers in flight arrive and be saved."""
        if any(isinstance(e, _Interrupted) for e in self.stop):  # a second signal: stop at once
            for t in self.tasks:
                t.cancel()
        else:
            self.rep.info(f"prompt LF {self.name}: interrupted; saving the answers in flight "
                          "(press Ctrl-C again to stop at once)")
        self.stop.append(_Interrupted(signum))

    def raise_stop(self) -> None:
        """Raise what stopped the workers, if anything did (a budget stop counts every call paid,
        those in flight when it was hit included)."""
        if self.stop:
            first = self.stop[0]
            if isinstance(first, BudgetExceeded):
                raise BudgetExceeded(self.client.budget_message())
            if isinstance(first, _Interrupted):
                if first.signum == signal.SIGINT:
                    raise KeyboardInterrupt
                raise SystemExit(128 + first.signum)
            raise first


class _WriteFailed(Exception):
    """A vote could not be written: the workers stop asking (replaced by the message at the end)."""


class _Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum
