"""Reading and writing files. Only this module touches the disk for data artefacts.

Every writer is atomic: it writes a temporary file in the destination folder and renames it
into place, so an interrupted run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from wslab.core.errors import InputError

_UMASK = os.umask(0)
os.umask(_UMASK)

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
                  ".jsonl": "jsonl", ".ndjson": "jsonl"}


def table_format(path: str | Path) -> str:
    """Return ``csv``, ``parquet`` or ``jsonl`` from a file name, or raise InputError."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; expected one of "
            f"{', '.join(sorted(TABLE_SUFFIXES))}"
        )
    return TABLE_SUFFIXES[suffix]


def check_utf8(path: str | Path, *, chunk_size: int = 1 << 20, quotes: str | None = None) -> None:
    """Raise InputError naming the line of the first byte sequence that is not UTF-8.

    ``quotes``: the file is CSV with this separator; also raise when a quoted field is never
    closed (a stray ``"`` would swallow the rest of the file into one field).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    n_quotes = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(chunk_size)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                line += chunk[: exc.start].count(b"\n")
                raise InputError(
                    f"{path}: line {line}: bytes that are not UTF-8 ({exc.reason}); "
                    "expected a UTF-8 encoded file"
                ) from None
            if final:
                break
            line += chunk.count(b"\n")
            n_quotes += chunk.count(b'"')
    if quotes is not None and n_quotes % 2:  # a well-formed CSV has an even number of quotes
        _check_csv_quotes(Path(path), quotes)


def _check_csv_quotes(path: Path, sep: str) -> None:
    """Raise InputError at the line where a quoted field opens and never closes.

    Only a quote at the start of a field opens a quoted field (``5" screen`` is text)."""
    in_quote, opened, line_no = False, 0, 0
    with open(path, encoding="utf-8", newline="") as fh:
        for line_no, line in enumerate(fh, start=1):
            i, n = 0, len(line)
            while i < n:
                ch = line[i]
                if in_quote:
                    if ch == '"':
                        if i + 1 < n and line[i + 1] == '"':
                            i += 1
                        else:
                            in_quote = False
                elif ch == '"' and (i == 0 or line[i - 1] == sep):
                    in_quote, opened = True, line_no
                i += 1
    if in_quote:
        raise InputError(f"{path}: line {opened}: a quoted field opens here and is never closed; expected "
                         'a closing " (a quote inside a quoted field is written "")')


def check_csv_rows(path: Path, lf: pl.LazyFrame, sep: str) -> None:
    """Raise InputError naming the first line with more fields than the header.

    One streaming pass over every column (a query that reads some columns only never notices a
    ragged line, so the error would otherwise surface deep inside a run); the line is then
    looked for with the csv module, only when there is one."""
    try:
        lf.select(pl.all().null_count()).collect(engine="streaming")
    except Exception as exc:
        _raise_ragged(path, exc, sep)


def _raise_ragged(path: Path, exc: Exception, sep: str) -> None:
    """Re-raise ``exc`` unless it is polars' ragged-line error; then raise the InputError naming the line."""
    if "more fields" not in str(exc):
        raise exc
    line, found, expected = _ragged_line(path, sep)
    where = f"line {line}: {found} fields" if line else "a line with more fields than the header"
    raise InputError(f"{path}: {where}; expected at most {expected} (the header's columns; a field "
                     "with the separator in it must be quoted)") from None


def _ragged_line(path: Path, sep: str) -> tuple[int, int, int]:
    """(line, fields, header fields) of the first record with more fields than the header."""
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        header = next(reader, [])
        start = 2
        for record in reader:
            if len(record) > len(header):
                return start, len(record), len(header)
            start = reader.line_num + 1
    return 0, 0, len(header)


def _require_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a file")
    return p


def scan_table(path: str | Path, *, required: Sequence[str] = (), what: str = "table",
               id_columns: Sequence[str] = ("id",), check_rows: bool = True) -> pl.LazyFrame:
    """Lazily scan a csv, parquet or jsonl file and check that ``required`` columns exist.

    Text formats are checked for UTF-8 first, so a bad byte is reported with its line. The
    ``id_columns`` that the file has are read as text, exactly as written (``007`` stays
    ``007``, and ``1`` followed by ``A1`` is no type clash): every reader of an id goes here.
    ``check_rows=False`` skips the ragged-line pass (:func:`check_csv_rows`) for a caller that
    reads every column anyway (:func:`read_table`).
    """
    p = _require_file(path)
    fmt = table_format(p)
    try:
        if fmt == "csv":
            sep = "\t" if p.suffix.lower() == ".tsv" else ","
            check_utf8(p, quotes=sep)
            # types inferred from every row: a column of numbers with text in row 10,050 is text,
            # not a parse error in the middle of a run
            lf = pl.scan_csv(p, separator=sep, infer_schema_length=None,
                             schema_overrides={c: pl.String for c in id_columns})
            if check_rows:
                check_csv_rows(p, lf, sep)
        elif fmt == "jsonl":
            check_utf8(p)
            lf = pl.scan_ndjson(p, infer_schema_length=None)
            present = [c for c in id_columns if c in lf.collect_schema().names()]
            if present:
                lf = pl.scan_ndjson(p, infer_schema_length=None, schema_overrides={c: pl.String for c in present})
        else:
            lf = pl.scan_parquet(p)
        schema = lf.collect_schema()
        text_ids = [c for c in id_columns if c in schema.names() and schema[c] != pl.String]
        if text_ids:  # parquet keeps its types: integers become their decimal text
            lf = lf.with_columns(pl.col(c).cast(pl.String) for c in text_ids)
            schema = lf.collect_schema()
    except InputError:
        raise
    except Exception as exc:  # polars raises several error types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{p}: cannot read {what} as {fmt}: {first}") from None
    missing = [c for c in required if c not in schema.names()]
    if missing:
        raise InputError(
            f"{p}: missing column {missing[0]!r} in {what}; found columns {schema.names()}"
        )
    return lf


def read_table(path: str | Path, *, required: Sequence[str] = (), what: str = "table",
               id_columns: Sequence[str] = ("id",)) -> pl.DataFrame:
    """Read a whole csv, parquet or jsonl file into memory (see :func:`scan_table`)."""
    lf = scan_table(path, required=required, what=what, id_columns=id_columns, check_rows=False)
    try:
        df = lf.collect()  # every column: a ragged line fails here, and is named
    except Exception as exc:
        if table_format(path) == "csv" and "more fields" in str(exc):
            _raise_ragged(Path(path), exc, "\t" if Path(path).suffix.lower() == ".tsv" else ",")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read {what}: {first}") from None
    if df.height == 0:
        raise InputError(f"{path}: {what} has no rows; expected at least one")
    return df


def check_unique(df: pl.DataFrame | pl.LazyFrame, column: str, *, path: str | Path, what: str,
                 in_memory: bool = False) -> None:
    """Raise InputError naming the first duplicated value of ``column`` and two rows that hold it.

    Rows are counted as in the file (the header is line 1, so the first row is row 2), or, with
    ``in_memory`` (a frame handed to the Python API), as row positions from 0.
    """
    lf = df.lazy() if isinstance(df, pl.DataFrame) else df
    dup = (
        lf.select(pl.col(column))
        .with_row_index("_row")
        .filter(pl.col(column).is_duplicated())
        .filter(pl.col(column) == pl.col(column).first())  # the first duplicated value, every row of it
        .head(2)
        .collect()
    )
    if dup.height:
        value = dup[column][0]
        first, second = (r if in_memory else r + 2 for r in dup["_row"].to_list())
        rows = f"row positions {first} and {second}, from 0" if in_memory else f"rows {first} and {second}"
        raise InputError(f"{path}: duplicate {column} {value!r} in {what} ({rows}); expected each {column} once")


def check_not_null(df: pl.DataFrame, column: str, *, path: str | Path, what: str, in_memory: bool = False) -> None:
    """Raise InputError naming the first row where ``column`` is missing (rows as :func:`check_unique`)."""
    idx = df.select(pl.col(column).is_null().arg_true().first()).item()
    if idx is not None:
        row = f"row position {idx}, from 0" if in_memory else f"row {idx + 2}"
        raise InputError(f"{path}: {row}: missing value in column {column!r} of {what}")


def check_outputs_spare_inputs(outputs: Iterable[str | Path], inputs: Mapping[str, str | Path | None]) -> None:
    """Raise InputError before any work when an output path names an input file (``inputs``:
    what -> path), followed through links: no command writes over a file it reads."""
    seen = {}
    for what, given in inputs.items():
        if given is not None:
            seen[os.path.realpath(given)] = (what, given)
    for out in outputs:
        hit = seen.get(os.path.realpath(out))
        if hit is not None:
            raise InputError(f"{out}: is the input {hit[0]} {hit[1]}; expected an output path that is not an input "
                             "(no command writes over a file it reads)")


# ---------------------------------------------------------------- atomic writing


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file ordinary permissions
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except Exception as exc:  # a full disk, met by Python or inside polars (Rust): an OSError naming the file
        code = disk_errno(exc)
        if code is None:
            raise
        raise OSError(code, os.strerror(code), str(dest)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def disk_errno(exc: BaseException) -> int | None:
    """ENOSPC, EDQUOT or EROFS when ``exc`` is (or, from polars, says it is) a full or read-only disk.

    >>> disk_errno(RuntimeError("parquet: underlying IO error: No space left on device (os error 28)"))
    28
    """
    if isinstance(exc, OSError):
        return exc.errno if exc.errno in DISK_ERRNOS else None
    m = re.search(r"\(os error (\d+)\)", str(exc))
    return int(m.group(1)) if m and int(m.group(1)) in DISK_ERRNOS else None


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False, default=_json_default)


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, to_json(obj) + "\n")


def write_table(path: str | Path, df: pl.DataFrame, *, metadata: dict[str, str] | None = None) -> Path:
    """Write a DataFrame as parquet, csv or jsonl (by suffix), atomically; ``metadata``: parquet
    key-value metadata (parquet only)."""
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            df.write_parquet(tmp, metadata=metadata)
        elif fmt == "csv":
            df.write_csv(tmp, separator="\t" if Path(path).suffix.lower() == ".tsv" else ",")
        else:
            df.write_ndjson(tmp)
    return Path(path)


def sink_parquet(lf: pl.LazyFrame, path: str | Path) -> Path:
    """Stream a LazyFrame into a parquet file, atomically, without collecting it in memory."""
    with atomic_path(path) as tmp:
        lf.sink_parquet(tmp)
    return Path(path)

