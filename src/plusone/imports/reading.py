"""Reading an uploaded file: its encoding, its CSV rows and the column mapping.

Shared by the scores and the schedule imports, the web pages and the commands.
UTF-8 (with or without a byte-order mark) is read by default; Windows-1252 only
when the person chose it; anything else (UTF-16, invalid bytes) is refused with
a sentence naming the problem (docs/imports.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from plusone.inputs import normalize

UTF8 = "utf-8"
CP1252 = "cp1252"
ENCODINGS = {UTF8: "UTF-8", CP1252: "Windows-1252"}
# An upload larger than this is refused before it is read (a practice's history is far smaller).
MAX_BYTES = 20 * 1024 * 1024


class ImportRefused(ValueError):
    """The file as a whole cannot be read: wrong encoding, no header, a missing column."""


@dataclass(frozen=True)
class RowError:
    """One reason a row cannot be imported: its physical line (the header is line 1), the
    column (a target field name, or "" for the whole row) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return f"line {self.line}: {where}{self.reason}"


@dataclass(frozen=True)
class Row:
    """One CSV record by target field name, with the line it starts on."""

    line: int
    cells: dict[str, str]


def decode(raw: bytes, *, encoding: str = UTF8) -> str:
    """The file's text, or ImportRefused naming why it cannot be read."""
    if encoding not in ENCODINGS:
        raise ImportRefused(f"unknown encoding {encoding!r}; choose utf-8 or cp1252")
    if len(raw) > MAX_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            "the file is UTF-16 text, which is not accepted; save it as CSV UTF-8 and try again"
        )
    # UTF-16 without a byte-order mark shows as NUL bytes between the letters.
    if b"\x00" in raw[:4096]:
        raise ImportRefused(
            "the file holds NUL bytes: it looks like UTF-16 or a binary file, not text; "
            "save it as CSV UTF-8 and try again"
        )
    if encoding == CP1252:
        if raw.startswith(b"\xef\xbb\xbf"):
            raise ImportRefused(
                "the file starts with a UTF-8 byte-order mark; choose UTF-8, not Windows-1252"
            )
        try:
            text = raw.decode(CP1252)
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ImportRefused(
                f"line {line}: byte {exc.start} is not Windows-1252 text; save it as CSV UTF-8"
            ) from None
        return normalize.csv_text(text.encode(UTF8), field="file")
    try:
        return normalize.csv_text(raw, field="file")
    except normalize.InputError as exc:
        raise ImportRefused(
            f"{exc.message}. If the file was saved as Windows-1252 (Excel's plain CSV), "
            "choose that encoding"
        ) from None


def parse_mapping(text: str) -> dict[str, str]:
    """``Header = field`` lines (one per line) as {header: field}; blank lines are skipped."""
    mapping: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        header, sep, target = raw.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise ImportRefused(f"column mapping, line {number}: write it as 'Header = field'")
        mapping[header.strip()] = target.strip()
    return mapping


def rows(
    text: str,
    *,
    required: Sequence[str],
    mapping: Mapping[str, str] | None = None,
) -> tuple[list[str], Iterator[Row]]:
    """The header (as target names) and the rows of a CSV text.

    ``mapping`` renames the file's headers to target field names; a header already
    named like a field needs no mapping. Raises ImportRefused when a ``required``
    field has no column.
    """
    mapping = dict(mapping or {})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        found = next(reader)
    except StopIteration:
        raise ImportRefused("the file is empty: it needs a header row") from None
    except csv.Error as exc:
        raise ImportRefused(f"line 1: {exc}") from None
    header = [mapping.get(h.strip(), h.strip()) for h in found]
    missing = [f for f in required if f not in header]
    if missing:
        shown = ", ".join(h.strip() for h in found[:20])
        raise ImportRefused(f"missing column(s): {', '.join(missing)} (found: {shown})")
    seen = [h for h in header if h]
    if len(seen) != len(set(seen)):
        twice = sorted({h for h in seen if seen.count(h) > 1})
        raise ImportRefused(f"column(s) given twice: {', '.join(twice)}")
    return header, _records(reader, header)


def _records(reader: Iterator[list[str]], header: list[str]) -> Iterator[Row]:
    line = 2
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRefused(f"line {line}: {exc}") from None
        start = line
        line = getattr(reader, "line_num", line) + 1
        if not any(cell.strip() for cell in record):
            continue
        yield Row(start, {h: c for h, c in zip(header, record, strict=False) if h})
