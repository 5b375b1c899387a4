"""The ``wslab`` command line: parse, load, call one library function, render.

Each command lives in ``wslab/app/commands/<name>.py`` and exposes ``register(app)``. This module
only assembles them and turns a :class:`~wslab.core.errors.WslabError` into a one-line message and
its exit code (2 for bad input). Every message it prints passes :func:`wslab.core.redact.redact`,
so an API key or a password inside a URL never reaches the terminal.
"""

from __future__ import annotations

import errno
import functools
import importlib
import inspect
import sys
import traceback
from typing import NoReturn

INTERRUPTED = "error: interrupted (Ctrl-C); files are written atomically, so none was left half-written"
"""The one line a Ctrl-C becomes, at any moment (exit 130, the shell's code for SIGINT)."""


def _exit_interrupted() -> NoReturn:
    """While the libraries load nothing is open or written: exit at once (a normal interpreter
    shutdown with half-imported native libraries could still die of the signal, exit -2)."""
    import os

    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    os._exit(130)


try:  # the libraries load for seconds: a Ctrl-C meanwhile is one line too, not a traceback
    import typer
    from typer.core import TyperCommand, TyperGroup
    from typer.models import OptionInfo

    from wslab.app.help_text import PlainHelpCommand, PlainHelpGroup, PlainHelpMixin
    from wslab.core.errors import ArgumentError, WslabError
    from wslab.core.redact import redact
except KeyboardInterrupt:
    _exit_interrupted()


class _OneLineBadValues(PlainHelpMixin, TyperGroup):
    """An option value typer rejects (e.g. a count below its ``min``) is one line too, exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            typer.echo(f"error: {exc.format_message()}", err=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_OneLineBadValues,
    name="wslab",
    help="Weak supervision lab: labeling functions -> label model -> end model, agreement "
    "statistics, and label-quality queues for expert relabeling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



def _version() -> str:
    """The installed distribution's version (the wheel's or the editable install's metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wslab")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        from wslab import __version__
        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"wslab {_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the installed version and exit."),
) -> None:
    """wslab: weak supervision lab. Every command has --help with an example."""


# One module per command (or command group). A module adds itself with register(app).
COMMAND_MODULES = [
    "apply",
    "demo",
    "lfs",
    "importers",
    "agreement",
    "issues",
    "relabel",
    "llm",
    "prompts",
    "report",
    "config_cmd",
]


def _error_line(exc: BaseException, flags: dict[str, str] | None = None) -> str:
    """The one line a WslabError becomes, redacted. An :class:`ArgumentError` names the option
    that sets the argument (``flags``: the command's parameter name -> its option)."""
    if isinstance(exc, ArgumentError):
        return redact(f"error: {exc.render(flags or {})}")
    return redact(f"error: {exc}")


def _option_flags(callback) -> dict[str, str]:
    """Parameter name -> its longest option (``label_sources`` -> ``--labels``) of a typer command."""
    flags = {}
    for name, param in inspect.signature(callback).parameters.items():
        if isinstance(param.default, OptionInfo):
            decls = [d for d in (param.default.param_decls or ()) if d.startswith("--")]
            flags[name] = max(decls, key=len) if decls else f"--{name.replace('_', '-')}"
    return flags


def _one_line_errors(callback):
    """Wrap a command so a WslabError becomes ``error: ...`` on stderr and its exit code.

    Done here, once, for every command, so the behaviour is the same under the console script,
    ``python -m wslab`` and typer's CliRunner.
    """
    flags = _option_flags(callback)

    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except WslabError as exc:
            typer.echo(_error_line(exc, flags), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo(INTERRUPTED, err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a full disk (OSError, or a polars error that says so), else a bug: re-raised
            line = _disk_line(exc)
            if line is None:
                raise
            typer.echo(line, err=True)
            raise typer.Exit(2) from None

    return wrapper


_DISK_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "read-only file system"}


def _disk_line(exc: Exception) -> str | None:
    """One line for a full (or read-only) disk met while writing; None for any other error."""
    from wslab.core.io import disk_errno

    code = disk_errno(exc)
    if code is None:
        return None
    what = _DISK_ERRORS[code]
    filename = getattr(exc, "filename", None)
    where = f"{filename}: " if filename else ""
    return redact(f"error: {where}{what}; expected room to write the outputs (files are written atomically: "
                  "nothing was left half-written)")


def _wrap_commands(typer_app: typer.Typer) -> None:
    """One-line errors for every command; plain ``--help`` off a terminal (:mod:`wslab.app.help_text`)."""
    for info in typer_app.registered_commands:
        if info.callback is not None and not getattr(info.callback, "_wslab_wrapped", False):
            info.callback = _one_line_errors(info.callback)
            info.callback._wslab_wrapped = True  # type: ignore[attr-defined]
        if info.cls in (None, TyperCommand):
            info.cls = PlainHelpCommand
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            group.cls = PlainHelpGroup
            _wrap_commands(group.typer_instance)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"wslab.app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"wslab.app.commands.{name}":
                continue  # command not built yet
            raise
        module.register(app)
    _wrap_commands(app)


try:
    _register_all()
except KeyboardInterrupt:
    _exit_interrupted()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. A bug's traceback is printed redacted too (exit 1)."""
    try:
        app(args=argv, prog_name="wslab")
    except WslabError as exc:
        typer.echo(_error_line(exc), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _exit_interrupted()
    except Exception:  # a bug: keep the traceback, but never with a secret in it
        sys.stderr.write(redact(traceback.format_exc()))
        sys.exit(1)
