"""wslab: weak supervision lab.

Turns a large unlabeled text corpus and a small expert golden set into trustworthy
training labels, and says which labels to send back to an expert.

The Python API: the stage packages :mod:`wslab.labeling`, :mod:`wslab.quality` and
:mod:`wslab.cartography`, and here the whole pipeline and the joins of stages (imported on first
use, so ``import wslab`` stays light):

- :func:`run_apply` (with :func:`load_config`): ``wslab apply`` from Python;
- :func:`find_suspicious_labels`: cleanlab + cartography on a labelled polars or pandas frame;
- :class:`Corpus`: a corpus file or frame opened once.
"""

from importlib import import_module, metadata

from wslab.core.errors import BudgetExceeded, ConfigError, InputError, WslabError

try:
    __version__ = metadata.version("wslab")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

_LAZY = {"run_apply": "wslab.app.pipeline", "RunResult": "wslab.app.pipeline", "load_config": "wslab.core.config",
         "Config": "wslab.core.config", "find_suspicious_labels": "wslab.app.suspicious", "SuspicionResult": "wslab.app.suspicious",
         "Corpus": "wslab.core.data", "open_project": "wslab.app.project"}

__all__ = ["WslabError", "InputError", "ConfigError", "BudgetExceeded", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wslab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
