"""Shared input and output for the analytics commands (contracts in docs/cli.md).

- stdout carries only the result;
- warnings and errors (``line 12: ...``) go to stderr;
- progress goes to stderr, only on a TTY;
- ``--format`` defaults to ``table`` on a TTY and ``json`` otherwise.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from plusone.core.change import BOUNDS, within_bounds
from plusone.inputs import normalize

FORMATS = ("table", "csv", "json")


class UsageError(Exception):
    """A problem with the command line itself: exit code 2."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format (default: table on a terminal, json otherwise)",
    )


def resolve_format(value: str | None, stream: TextIO | None = None) -> str:
    if value:
        return value
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "json"


# The header is checked on its own before the rest is read: 200 MB of junk took 1.3 GB
# of memory to be refused for a missing column (issue 10). No real header comes near 1 MiB.
MAX_HEADER_BYTES = 1 << 20


def read_bytes(path: str, required: Sequence[str] = ()) -> bytes:
    """The bytes of ``path`` (``-``: standard input), once its header has the ``required`` columns.

    A file's first line is read and checked alone, before the rest; standard
    input is read whole (it cannot be read twice) and checked before it is
    decoded. Raises ``UsageError`` for a missing file, a first line longer than
    MAX_HEADER_BYTES, or a missing column.
    """
    if path == "-":
        raw = sys.stdin.buffer.read()
        end = raw.find(b"\n", 0, MAX_HEADER_BYTES)
        check_header(raw[: MAX_HEADER_BYTES if end < 0 else end + 1], path, required)
        return raw
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{path}: no such file")
    with p.open("rb") as handle:
        first = handle.readline(MAX_HEADER_BYTES)
    check_header(first, path, required)
    return p.read_bytes()


def check_header(first: bytes, path: str, required: Sequence[str]) -> None:
    """Refuse a first line that cannot be the header, or lacks a ``required`` column.

    An empty first line is left to the full read ("the file is empty"), and so is
    a header whose quoted cell runs on past the first line.
    """
    if not first.strip():
        return
    if len(first) >= MAX_HEADER_BYTES and not first.endswith(b"\n"):
        raise UsageError(
            f"{path}: line 1 (the header) is longer than {MAX_HEADER_BYTES:,} bytes; "
            "is this a CSV file with a header row?"
        )
    if first.count(b'"') % 2:
        return
    text = decode_csv(first, path)
    try:
        cells = next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error:
        return
    require_columns([h.strip() for h in cells], *required)


def decode_csv(raw: bytes, path: str) -> str:
    """CSV bytes as text (strict UTF-8, NFC); a refusal is a ``UsageError`` naming the line."""
    try:
        return normalize.csv_text(raw, field=path)
    except normalize.InputError as exc:
        raise UsageError(str(exc)) from None


def read_csv(text: str, path: str) -> tuple[list[str], Iterator[tuple[int, list[str]] | RowError]]:
    """The header of CSV ``text`` (names stripped) and its records, one by one.

    A record is ``(line, cells)`` with the physical line number (the header is
    line 1), or a ``RowError`` for a row the csv module cannot read or one whose
    width is not the header's. Blank rows are skipped. Raises ``UsageError``
    for an empty file, an unreadable header or a control character in it.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        normalize.check_characters(",".join(header), field=path)
    except StopIteration:
        raise UsageError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: {exc}") from exc
    except normalize.InputError as exc:
        raise UsageError(f"{path}: line 1 (the header) {exc.message}") from None

    def records() -> Iterator[tuple[int, list[str]] | RowError]:
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RowError(reader.line_num, str(exc))
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield RowError(
                    reader.line_num, f"expected {len(header)} fields, found {len(values)}"
                )
                continue
            yield reader.line_num, values

    return header, records()


def open_csv(
    path: str, required: Sequence[str] = ()
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV file with a header row that holds the ``required`` columns.

    Returns the header and an iterator of ``(line_number, row)`` where the line
    number is the physical line in the file (the header is line 1).
    Raises ``UsageError`` for a missing file, an empty file, bad encoding or a
    missing column (found from the first line before the rest is read).
    """
    header, records = read_csv(decode_csv(read_bytes(path, required), path), path)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for record in records:
            if isinstance(record, RowError):
                yield record.line, {"__error__": record.reason}
                continue
            line, values = record
            try:
                cells = [
                    normalize.csv_cell(v.strip(), column=h)
                    for h, v in zip(header, values, strict=True)
                ]
            except normalize.InputError as exc:
                yield line, {"__error__": str(exc)}
                continue
            yield line, dict(zip(header, cells, strict=True))

    require_columns(header, *required)
    return header, rows()


# A junk header is shown in part: the message stays one short line.
SHOWN_COLUMNS, SHOWN_NAME = 20, 40


def require_columns(header: Sequence[str], *names: str) -> None:
    missing = [n for n in names if n not in header]
    if missing:
        raise UsageError(
            "missing column(s): " + ", ".join(missing) + " (found: " + _shown(header) + ")"
        )


def _shown(header: Sequence[str]) -> str:
    names = [
        (h if len(h) <= SHOWN_NAME else h[: SHOWN_NAME - 1] + "…")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        for h in header[:SHOWN_COLUMNS]
    ]
    more = f", and {len(header) - SHOWN_COLUMNS} more" if len(header) > SHOWN_COLUMNS else ""
    return ", ".join(names) + more


def report_error(err: RowError) -> None:
    print(f"line {err.line}: {err.reason}", file=sys.stderr)


def progress(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round(value, 6)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(payload: Mapping[str, Any], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    # One string, one write: many small writes dominate on large outputs.
    stream.write(json.dumps(_clean(payload), indent=2, ensure_ascii=False) + "\n")


def write_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    stream: TextIO | None = None,
) -> None:
    """Write rows as CSV or as an aligned text table."""
    write_cells([[_cell(r.get(c)) for c in columns] for r in rows], columns, fmt, stream)


def write_cells(
    cells: Sequence[Sequence[str]],
    columns: Sequence[str],
    fmt: str,
    stream: TextIO | None = None,
) -> None:
    """Write rows of text cells as CSV or as an aligned text table."""
    stream = stream or sys.stdout
    if fmt == "csv":
        w = csv.writer(stream, lineterminator="\n")
        w.writerow(columns)
        w.writerows(cells)
        return
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(columns)).rstrip()]
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    # One string, one write, as for JSON.
    stream.write("\n".join(lines) + "\n")


def _cell(value: Any) -> str:
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    return str(value)


MISSING = frozenset({"", "na", "n/a", "nan", "."})


def parse_number(text: str) -> float | None:
    """A number from a CSV cell; None for a missing value ("", NA, N/A, NaN, ".").

    Raises ValueError for anything else that is not a finite number.
    """
    value = text.strip()
    if value.lower() in MISSING:
        return None
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def parse_score(text: str, *, column: str) -> float | None:
    """A score from a CSV cell, within core's bounds; None for a missing value.

    Raises ValueError with the row's reason, e.g. ``score 'x' is not a number``.
    """
    try:
        score = parse_number(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if score is not None and not within_bounds(score):
        raise ValueError(f"{column} {text!r} is not a number {BOUNDS}")
    return score
