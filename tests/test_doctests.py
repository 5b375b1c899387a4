"""The docstring examples of every wslab module run as tests (snorkel's habit: tiny examples a
reader can check by hand). A module with examples that stopped matching fails here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

SKIP = {"wslab.__main__", "wslab.labeling.spark"}  # the CLI entry point; Spark needs a JVM to import fully


def _modules() -> list[str]:
    # the stage packages are mapped from top-level folders (pyproject package-dir), so walk each one
    names = []
    for pkg_name in ("wslab", "wslab.core", "wslab.app", "wslab.labeling", "wslab.quality", "wslab.cartography",
                     "wslab.core.stats", "wslab.core.llm", "wslab.app.commands", "wslab.app.demo", "wslab.app.report"):
        pkg = importlib.import_module(pkg_name)
        names.append(pkg_name)
        for info in pkgutil.iter_modules(pkg.__path__, prefix=pkg_name + "."):
            if info.name not in SKIP and not info.ispkg:
                names.append(info.name)
    return sorted(set(names))


MODULES = _modules()


def test_every_stage_package_is_walked():
    assert {"wslab.labeling.apply", "wslab.quality.agreement", "wslab.cartography.regions",
            "wslab.core.stats.ties", "wslab.core.artifacts", "wslab.app.report.charts", "wslab.app.pipeline",
            "wslab.labeling.majority"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
