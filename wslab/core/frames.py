"""Frames in, frames out: the Python API takes polars or pandas DataFrames alike and returns
what it was given (pandas in, pandas out; polars in, polars out).

Inside, every stage works on polars (:func:`as_polars`); a public function that takes a frame
is wrapped in :func:`returns_like`, which turns the polars frames of its result into pandas when
the frame it was given was pandas.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl

from wslab.core.errors import InputError

__all__ = ["as_polars", "is_pandas", "like_input", "returns_like"]

F = TypeVar("F", bound=Callable[..., Any])


def as_polars(df, *, name: str = "table") -> pl.DataFrame:
    """A polars DataFrame from a polars or pandas one (the Python API accepts both)."""
    if isinstance(df, pl.DataFrame):
        return df
    if isinstance(df, pl.LazyFrame):
        return df.collect()
    if is_pandas(df):
        return pl.from_pandas(df.reset_index(drop=True))
    raise InputError(f"{name}: expected a polars or pandas DataFrame; got {type(df).__name__}")


def is_pandas(obj: Any) -> bool:
    """True for a pandas DataFrame (pandas is imported only if the caller already did)."""
    import sys

    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def like_input(result: Any, given: Any) -> Any:
    """``result`` with its polars frames and series as pandas when ``given`` is a pandas frame:
    a frame, a series, or a dataclass, tuple or list holding them (a dict is JSON: left as is)."""
    if not is_pandas(given):
        return result
    if isinstance(result, (pl.DataFrame, pl.Series)):
        return result.to_pandas()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changes = {f.name: like_input(getattr(result, f.name), given) for f in dataclasses.fields(result)
                   if isinstance(getattr(result, f.name), (pl.DataFrame, pl.Series))}
        return dataclasses.replace(result, **changes) if changes else result
    if isinstance(result, tuple):
        return tuple(like_input(r, given) for r in result)
    if isinstance(result, list):
        return [like_input(r, given) for r in result]
    return result


def returns_like(argument: str) -> Callable[[F], F]:
    """Decorate a public function so it returns what its frame ``argument`` was: pandas in,
    pandas out (:func:`like_input`); polars in, polars out."""

    def wrap(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = signature.bind_partial(*args, **kwargs).arguments.get(argument)
            return like_input(func(*args, **kwargs), given)

        return wrapper  # type: ignore[return-value]

    return wrap
