"""Build backend: setuptools' own, with its scratch folders outside the source tree.

setuptools writes ``build/`` and ``wslab.egg-info/`` into the folder it builds from, so
``pip install <checkout>`` or ``pip wheel <checkout>`` would leave both in a user's checkout.
This wrapper points setuptools' ``build_base`` and ``egg_base`` at a temporary folder (through
distutils' ``DIST_EXTRA_CONFIG``, an extra config file it reads after setup.cfg) for the
duration of each hook, and otherwise defers to :mod:`setuptools.build_meta` unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile

from setuptools import build_meta as _setuptools


@contextlib.contextmanager
def _out_of_tree():
    with tempfile.TemporaryDirectory(prefix="wslab-build-") as tmp:
        cfg = os.path.join(tmp, "out-of-tree.cfg")
        with open(cfg, "w", encoding="utf-8") as fh:
            fh.write(f"[build]\nbuild_base = {os.path.join(tmp, 'build')}\n[egg_info]\negg_base = {tmp}\n")
        old = os.environ.get("DIST_EXTRA_CONFIG")
        os.environ["DIST_EXTRA_CONFIG"] = cfg
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("DIST_EXTRA_CONFIG", None)
            else:
                os.environ["DIST_EXTRA_CONFIG"] = old


def _wrap(hook):
    @functools.wraps(hook)
    def wrapper(*args, **kwargs):
        with _out_of_tree():
            return hook(*args, **kwargs)
    return wrapper


get_requires_for_build_wheel = _wrap(_setuptools.get_requires_for_build_wheel)
get_requires_for_build_sdist = _wrap(_setuptools.get_requires_for_build_sdist)
get_requires_for_build_editable = _wrap(_setuptools.get_requires_for_build_editable)
prepare_metadata_for_build_wheel = _wrap(_setuptools.prepare_metadata_for_build_wheel)
prepare_metadata_for_build_editable = _wrap(_setuptools.prepare_metadata_for_build_editable)
build_wheel = _wrap(_setuptools.build_wheel)
build_sdist = _wrap(_setuptools.build_sdist)
build_editable = _wrap(_setuptools.build_editable)
