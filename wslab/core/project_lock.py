"""The project lock: every writer of a project-level file (the review loop's answers store,
frozen split and rounds file) holds it while it reads, changes and rewrites the file.

``fcntl.flock`` on ``.NAME.lock`` beside the answers store, waited for (a writer holds it for a
read and one atomic rewrite, well under a second), released by the kernel when the process
dies. The lock file stays (removing it would race with a writer about to lock it)::

    with project_lock(cfg.review_path("answers")):
        store = read_answers(path)
        io.write_table(path, pl.concat([store, new]))
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from wslab.core.errors import InputError

__all__ = ["project_lock"]


@contextlib.contextmanager
def project_lock(store: str | Path) -> Iterator[None]:
    """Hold the exclusive lock of the project whose answers store is ``store`` (wait for it)."""
    store = Path(store)
    path = store.parent / f".{store.name}.lock"
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the project lock ({exc.strerror}); expected a writable "
                         "folder for the answers store (review_loop.answers)") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
