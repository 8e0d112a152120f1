"""A caseload CSV into columns: each text column as its distinct values and row codes.

A file without quotes, blank lines or ragged rows is parsed by polars (the
fast path); any other file by Python's csv module, through the same reader
as the other analytics commands (``plusone.analytics.io.read_csv``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from plusone.analytics.io import RowError, UsageError, decode_csv, read_bytes, read_csv
from plusone.inputs import normalize

MAX_CELL = normalize.MAX_CSV_CELL
REQUIRED = ("client", "date", "session", "instrument", "phase", "primary", "prior_therapy")

# A text column as (distinct stripped values, row codes), or a numeric column as floats.
Column = tuple[list[str], np.ndarray] | np.ndarray


class Table(NamedTuple):
    """The header, the columns, each kept row's line number, and the rows refused while reading."""

    header: list[str]
    columns: list[Column]
    lines: np.ndarray
    errors: list[RowError]


def read_columns(path: str) -> Table:
    """The file at ``path`` (``-``: standard input) as columns.

    Rows with the wrong number of fields are dropped and returned as errors;
    blank lines are skipped.
    """
    raw = read_bytes(path, REQUIRED)
    text = decode_csv(raw, path)
    if not text.strip():
        raise UsageError(f"{path}: the file is empty")
    # Control characters are refused row by row, which only the csv module path does.
    if normalize.has_control_bytes(raw):
        return _slow_columns(text, path)
    if not text.isascii():
        # NFC may have changed the text: parse what was normalised.
        raw = text.encode("utf-8")
    fast = _fast_columns(raw)
    if fast is not None:
        return fast
    return _slow_columns(text, path)


def _fast_columns(raw: bytes) -> Table | None:
    """Parse with polars when every line is plain: no quotes, no blank lines, no ragged rows.

    Returns None for any other file (the csv module then reads it, with exact
    line numbers). Answer and total columns are read as numbers; a column
    holding text makes polars refuse, and the columns are read as text instead.
    """
    # Imported on the fast path only: polars takes about 0.1 s to import.
    import polars as pl

    if b'"' in raw or b"\r" in raw:
        return None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if not body.endswith(b"\n"):
        body += b"\n"
    if b"\n\n" in body or body.startswith(b"\n"):
        return None
    head = body[: body.index(b"\n")].decode("utf-8")
    width = head.count(",") + 1
    # Equal comma totals, and polars refusing any row with extra fields, mean no row is ragged.
    if body.count(b",") != (width - 1) * body.count(b"\n"):
        return None
    names = [h.strip() for h in head.split(",")]
    numeric = {
        raw_name: pl.Float64
        for raw_name, name in zip(head.split(","), names, strict=True)
        if name == "total" or (name.startswith("item") and name[4:].isdigit())
    }
    try:
        try:
            df = pl.read_csv(body, schema_overrides=numeric, has_header=True, quote_char=None)
        except pl.exceptions.PolarsError:
            df = pl.read_csv(body, infer_schema=False, has_header=True, quote_char=None)
    except pl.exceptions.PolarsError:
        return None
    if df.width != width:
        return None
    columns: list[Column] = []
    for name in df.columns:
        s = df.get_column(name)
        if s.dtype == pl.Float64:
            columns.append(s.fill_null(np.nan).to_numpy().astype(np.float64))
            continue
        s = s.fill_null("")
        uniq = s.unique(maintain_order=True)
        codes = s.cast(pl.Enum(uniq.to_list())).to_physical().to_numpy().astype(np.int64)
        columns.append(([v.strip() for v in uniq.to_list()], codes))
    lines = np.arange(2, df.height + 2, dtype=np.int64)
    return Table(names, columns, lines, [])


def _slow_columns(text: str, path: str) -> Table:
    header, records = read_csv(text, path)
    errors: list[RowError] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    for record in records:
        if isinstance(record, RowError):
            errors.append(record)
            continue
        line, row = record
        refused = _refused_cell(header, row)
        if refused:
            errors.append(RowError(line, refused))
            continue
        rows.append(row)
        lines.append(line)
    columns = [_codes(list(c)) for c in zip(*rows, strict=True)] if rows else []
    if not rows:
        columns = [([], np.zeros(0, dtype=np.int64)) for _ in header]
    return Table(header, columns, np.asarray(lines, dtype=np.int64), errors)


def _refused_cell(header: list[str], row: list[str]) -> str | None:
    """Why the normalisation layer refuses one of the row's cells, or None."""
    if normalize.find_control(",".join(row)) is None and max(map(len, row)) <= MAX_CELL:
        return None
    for name, value in zip(header, row, strict=True):
        try:
            normalize.csv_cell(value, column=name)
        except normalize.InputError as exc:
            return str(exc)
    return None


def _codes(values: list[str]) -> Column:
    """The distinct values (stripped) and each row's index into them."""
    raw = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(raw.__getitem__, values), dtype=np.int64, count=len(values))
    return [v.strip() for v in raw], codes
