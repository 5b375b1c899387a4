"""Frames in, frames out: the Python API takes polars or pandas DataFrames alike."""

from __future__ import annotations

import polars as pl

from wslab.core.errors import InputError

__all__ = ["as_polars"]


def as_polars(df, *, name: str = "table") -> pl.DataFrame:
    """A polars DataFrame from a polars or pandas one (the Python API accepts both)."""
    if isinstance(df, pl.DataFrame):
        return df
    if isinstance(df, pl.LazyFrame):
        return df.collect()
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(df, pd.DataFrame):
        return pl.from_pandas(df.reset_index(drop=True))
    raise InputError(f"{name}: expected a polars or pandas DataFrame; got {type(df).__name__}")
