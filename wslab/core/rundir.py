"""Run folders: one run per folder, replaced as a whole, never mixed with another run.

:func:`run_folder` is the one way a run writes its folder::

    with run_folder(run_dir, inputs=project_inputs(cfg)) as staging:
        ...  # write every artefact into staging

Before any work it refuses an output folder that is a filesystem root or a mount point, that
is (or holds) an input file, that holds files that are not a previous wslab run, that lies
inside another run's folder, or that holds anything the previous run did not write (another
project's run folder above all: a run never deletes what it did not create; the ``.wslab-run``
marker lists what each run wrote); takes an
OS lock (``fcntl.flock`` on ``.NAME.lock`` beside the folder, released by the kernel when the
process dies, so a crash never leaves a stale lock) so a second run into the same folder fails
at once; removes staging folders left by a killed run; and checks that the folder can be
written. The run is staged in ``.NAME.partial-*`` beside the folder (the same filesystem).

On success the staging folder replaces the run folder as a whole: a rerun that writes fewer
files keeps none of the previous run's. Paid work that lives in the run folder (``prompt_lfs``:
prompt-LF votes and the LLM response cache) is moved into the new run first. The swap is one
atomic ``renameat2(RENAME_EXCHANGE)`` where the kernel has it; elsewhere the old folder is
renamed aside, the new one in, and the old one removed. A crash at any moment leaves the old
complete run or the new one (in the two-rename fallback, the next run puts the old one back
if it finds no run folder); paid work is moved back from a stale folder by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from wslab.core.errors import InputError

if TYPE_CHECKING:
    from wslab.core.config import Config

__all__ = ["MARKER", "KEEP", "run_folder", "project_inputs", "check_output_folder", "check_run_folder",
           "check_project_stores", "output_lock"]

MARKER = ".wslab-run"
"""Written into every run folder; a folder holding it is a previous wslab run."""

KEEP = ("prompt_lfs",)
"""Entries of a run folder that hold paid work and move from each run into the next."""

_PARTIAL = "partial-"
_OLD = "old-"


def project_inputs(cfg: Config) -> list[Path]:
    """Every file or folder of a project that a run reads: config, corpus, gold, annotations,
    LLM labels, LF files, precomputed votes, Python LF folders, and a custom LLM response cache."""
    paths = [cfg.config_path, cfg.resolve(cfg.corpus.path)]
    if cfg.gold is not None:
        paths.append(cfg.resolve(cfg.gold.path))
    if cfg.annotations is not None:
        paths.append(cfg.resolve(cfg.annotations))
    if cfg.llm_labels is not None:
        paths.append(cfg.resolve(cfg.llm_labels))
    paths += [cfg.resolve(p) for p in cfg.lfs.files]
    if cfg.lfs.precomputed is not None:
        paths.append(cfg.resolve(cfg.lfs.precomputed))
    paths += [cfg.resolve(p) for p in cfg.lfs.python_paths]
    cache = cfg.llm.cache_path if cfg.llm is not None else None
    if isinstance(cache, str) and cache:
        cache_path = cfg.resolve(cache)
        run_dir = _real(cfg.resolve(cfg.output.dir))
        if not any(_inside(cache_path, run_dir / name) for name in KEEP):  # a kept cache moves with the run
            paths.append(cache_path)
    return [p for p in paths if p is not None]


@contextlib.contextmanager
def run_folder(run_dir: str | Path, *, inputs: Iterable[str | Path] = (),
               keep: Iterable[str] = KEEP) -> Iterator[Path]:
    """Yield a staging folder for a run into ``run_dir``; on success it becomes ``run_dir``.

    Raises :class:`InputError` (one line, before any work) when ``run_dir`` is refused by
    :func:`check_output_folder`, cannot be written, or another run holds its lock. When the
    block raises, ``run_dir`` stays exactly as it was (the staging folder is removed).
    """
    final = _real(run_dir)
    keep = tuple(keep)
    check_output_folder(final, inputs=inputs, keep=keep)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{final}: cannot create the folder of the run folder ({exc.strerror}); "
                         "expected a writable output.dir") from None
    with _lock(final):
        _clean_stale(final, keep)
        _probe_writable(final)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.{_PARTIAL}", dir=final.parent))
        try:
            _write_marker(staging)
            yield staging
            _write_marker(staging, written=sorted(p.name for p in staging.iterdir()))
            _swap_in(staging, final, keep)
        finally:
            if staging.exists():  # a failed run, or the previous run after the swap
                _salvage(staging, final, keep)
                shutil.rmtree(staging, ignore_errors=True)


def check_run_folder(cfg: Config) -> None:
    """The check :func:`run_folder` makes first, on ``cfg``'s output.dir and inputs, for commands
    that check a project without running it (``config check``, ``lfs analyze``)."""
    check_output_folder(cfg.resolve(cfg.output.dir), inputs=project_inputs(cfg))
    check_project_stores(cfg)


def check_project_stores(cfg: Config) -> None:
    """Refuse a review store (answers, split, rounds) inside output.dir: a run replaces that
    folder as a whole, so the expert's answers would be wiped by the next run."""
    run_dir = _real(cfg.resolve(cfg.output.dir))
    for which in ("answers", "split", "rounds"):
        path = cfg.review_path(which)  # type: ignore[arg-type]
        for p in {Path(os.path.abspath(path)), _real(path)}:
            if p == run_dir or _inside(p, run_dir):
                raise InputError(f"{cfg.config_path}: review_loop.{which}: {path} is inside output.dir {run_dir}, which "
                                 "every run replaces as a whole; expected a path outside the run folder")


def check_output_folder(run_dir: str | Path, *, inputs: Iterable[str | Path] = (),
                        keep: Iterable[str] = KEEP) -> None:
    """Raise InputError unless ``run_dir`` may be replaced by a run (see module doc)."""
    final = _real(run_dir)
    if final.parent == final:
        raise InputError(f"{final}: output folder is a filesystem root; expected a folder of its own for the run")
    if final.exists() and not final.is_dir():
        raise InputError(f"{final}: output folder is a file; expected a folder for the run")
    if final.is_dir() and os.path.ismount(final):
        raise InputError(f"{final}: output folder is a mount point; the run folder is replaced as a whole, "
                         "so expected a folder inside it")
    for given in inputs:
        for path in {Path(os.path.abspath(given)), _real(given)}:  # the link and what it points to
            if path == final or _inside(path, final):
                raise InputError(f"{final}: output folder holds the input {given}; expected an output.dir "
                                 "that holds no input (a run replaces its folder as a whole)")
    for parent in final.parents:
        if (parent / MARKER).is_file():
            raise InputError(f"{final}: output folder is inside {parent}, the run folder of another wslab run "
                             "(which replaces it as a whole); expected an output.dir outside any run folder")
    _check_writable(final)
    if final.is_dir() and not _is_run(final, tuple(keep)):
        foreign = sorted(p.name for p in final.iterdir() if p.name not in (*keep, MARKER))
        raise InputError(f"{final}: output folder holds files that are not a wslab run (e.g. {foreign[0]!r}); "
                         "expected an empty folder, a previous run, or a new path")
    if final.is_dir():
        _check_nothing_foreign(final, tuple(keep))


# ---------------------------------------------------------------------- checks


def _check_writable(final: Path) -> None:
    """A run is staged beside ``final``: its nearest existing ancestor must be a folder this
    process may write in (not a file, not a read-only mount); probed with a temporary file."""
    ancestor = final.parent
    while not ancestor.exists() and ancestor.parent != ancestor:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{final}: output folder lies under the file {ancestor}; expected output.dir under a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".wslab-probe-", dir=ancestor)
    except OSError as exc:
        raise InputError(f"{final}: cannot write in {ancestor} ({exc.strerror}); expected a writable output.dir") from None
    os.close(fd)
    os.unlink(probe)


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(path)))


def _inside(path: Path, folder: Path) -> bool:
    return folder in path.parents


def _is_run(folder: Path, keep: tuple[str, ...]) -> bool:
    names = {p.name for p in folder.iterdir()}
    if MARKER in names or names <= {*keep, MARKER}:
        return True
    if "manifest.json" in names:  # a run written before the marker existed
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(manifest, dict) and "config_hash" in manifest
    return False


def _write_marker(folder: Path, *, written: list[str] | None = None) -> None:
    text = "a wslab run folder; replaced as a whole by the next run\n"
    if written is not None:  # what this run wrote: the next run removes nothing else
        text += "written: " + json.dumps(written) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def _written(folder: Path) -> set[str] | None:
    """The entries the run in ``folder`` wrote (its marker's list); None for a run that kept no list."""
    try:
        lines = (folder / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        if line.startswith("written: "):
            try:
                names = json.loads(line.removeprefix("written: "))
            except ValueError:
                return None
            return {str(n) for n in names} if isinstance(names, list) else None
    return None


def _check_nothing_foreign(final: Path, keep: tuple[str, ...]) -> None:
    """Refuse a previous run folder that holds what no run of this folder wrote: another
    project's run folder (a ``.wslab-run`` marker inside), or any entry its marker does not list.
    A run never deletes a folder or file it did not create."""
    written = _written(final)
    for entry in sorted(final.iterdir()):
        if entry.name in (*keep, MARKER):
            continue
        if entry.is_dir() and not entry.is_symlink() and (entry / MARKER).exists():
            raise InputError(f"{final}: output folder holds {entry.name!r}, the run folder of another wslab run; "
                             "expected a run folder that holds no other run (move it, or set another output.dir)")
        if written is not None and entry.name not in written:
            raise InputError(f"{final}: output folder holds {entry.name!r}, which the previous run did not write; "
                             "expected only that run's files (a run replaces its folder as a whole): move it, "
                             "or set another output.dir")


def _probe_writable(final: Path) -> None:
    """Create and remove a file where the run will write: beside the folder and inside it."""
    for folder in (final.parent, final) if final.is_dir() else (final.parent,):
        try:
            fd, probe = tempfile.mkstemp(prefix=".wslab-probe-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise InputError(f"{folder}: cannot write ({exc.strerror}); expected a writable output.dir "
                             "(checked before any work)") from None


# ---------------------------------------------------------------------- the lock


def output_lock(path: str | Path, *, what: str) -> contextlib.AbstractContextManager[None]:
    """The lock a run holds on its output (``.NAME.lock`` beside ``path``), for commands that
    write one output file (``llm-label``): a second run into the same output fails at once."""
    return _lock(_real(path), what=what)


@contextlib.contextmanager
def _lock(final: Path, *, what: str = "run folder") -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``.NAME.lock`` beside ``final``; fail at once if taken.

    The file is removed on release while still locked; a process that opened it just before
    sees on locking that the path now names another file (or none) and starts over.
    """
    path = final.parent / f".{final.name}.lock"
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise InputError(f"{final.parent}: cannot write ({exc.strerror}); expected a writable output.dir "
                             "(checked before any work)") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise InputError(f"{final}: another wslab run{holder} is writing this {what} (lock {path}); "
                             f"expected one run per {what}: wait for it, or choose another") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)  # releases the lock


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {text})" if text.isdigit() else ""


# ---------------------------------------------------------------------- staging and swap


def _stale(final: Path) -> list[Path]:
    prefix = f".{final.name}."
    return sorted(p for p in final.parent.iterdir()
                  if p.name.startswith(prefix) and p.name[len(prefix):].startswith((_PARTIAL, _OLD))
                  and p.is_dir() and not p.is_symlink())


def _clean_stale(final: Path, keep: tuple[str, ...]) -> None:
    """Remove staging folders of runs that died (the lock is held, so none is alive)."""
    stale = _stale(final)
    aside = [p for p in stale if p.name.startswith(f".{final.name}.{_OLD}")]
    if aside and not final.exists():  # the two-rename swap died between its renames
        os.rename(aside[0], final)
        stale.remove(aside[0])
    for folder in stale:
        _salvage(folder, final, keep)
        shutil.rmtree(folder, ignore_errors=True)


def _salvage(folder: Path, final: Path, keep: tuple[str, ...]) -> None:
    """Move paid work (``keep`` entries) from ``folder`` into ``final`` where ``final`` lacks it."""
    for name in keep:
        src = folder / name
        if src.exists() and not (final / name).exists():
            final.mkdir(parents=True, exist_ok=True)
            os.rename(src, final / name)


def _swap_in(staging: Path, final: Path, keep: tuple[str, ...]) -> None:
    for name in keep:  # paid work moves into the new run first
        if (final / name).exists() and not (staging / name).exists():
            os.rename(final / name, staging / name)
    if not final.exists():
        os.rename(staging, final)
    elif not _exchange(staging, final):
        aside = Path(tempfile.mkdtemp(prefix=f".{final.name}.{_OLD}", dir=final.parent))
        os.rename(final, aside)  # replaces the empty folder mkdtemp made
        os.rename(staging, final)
        shutil.rmtree(aside, ignore_errors=True)
    # after an exchange, ``staging`` names the previous run; the caller removes it


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
