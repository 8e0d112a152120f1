"""The one input-normalisation layer for input that does not come through a Django form.

Query parameters, JSON bodies, CSV files, token path segments and the check-in's
JSON drafts pass through here before anything else reads them. The rules, the
same everywhere (docs/fuzz.md):

- bytes are decoded as strict UTF-8 (a leading byte-order mark is dropped);
  anything else is refused with the line and byte where decoding failed;
- text is normalised to NFC, so "é" typed two ways is one value;
- NUL and the other C0 control characters (and DEL) are refused, except tab,
  line feed and carriage return; lone surrogates are refused too;
- every field has a length cap, a named constant below;
- integers are parsed within explicit bounds: "must be between A and B",
  never an OverflowError or a 20,000-digit number;
- every refusal is one exception, :class:`InputError` (field, message), that a
  view turns into a 400 page and a CLI command into ``line N: ...``.

Django forms already cover form fields (CharField refuses NUL with its own message).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# Length caps, in characters unless said otherwise.
MAX_TOKEN = 128  # a raw access token is 43 URL-safe characters
MAX_QUERY_VALUE = 500
MAX_CSV_CELL = 10_000
MAX_JSON_BYTES = 1_000_000
MAX_TEXT = 100_000
# Digits in an integer before it is refused without being converted.
MAX_INT_DIGITS = 30

BOM = "\ufeff"
# C0 controls other than \t \n \r, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_CONTROL_BYTES = bytes(
    b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A, 0x0D)) and b != 0x7F
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


class InputError(ValueError):
    """Input refused by this layer: ``field`` names what was wrong, ``message`` says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# Control characters have no Unicode name; these are their usual ones (as in ASCII).
_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
}


def char_name(ch: str) -> str:
    """``U+0000`` and the character's name, for messages that must not echo it."""
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ord(ch), "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def line_of(text: str, index: int) -> int:
    """The 1-based line of ``text`` that holds character ``index``."""
    return text.count("\n", 0, index) + 1


def decode(raw: bytes, *, field: str) -> str:
    """Strict UTF-8 to str, without a leading byte-order mark.

    A wrong encoding raises InputError naming the line and byte, e.g.
    ``line 3: not UTF-8 text (invalid start byte at byte 41); save the file as UTF-8``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            field,
            f"line {line}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8",
        ) from None
    return text[1:] if text.startswith(BOM) else text


def find_control(text: str) -> int | None:
    """Index of the first refused control character or lone surrogate, or None."""
    hits = [m.start() for m in (_CONTROL.search(text), _SURROGATE.search(text)) if m]
    return min(hits) if hits else None


def check_characters(text: str, *, field: str, lines: bool = False) -> None:
    """Refuse NUL, other C0 controls, DEL and lone surrogates; name the line when asked."""
    index = find_control(text)
    if index is None:
        return
    where = f"line {line_of(text, index)}: " if lines else ""
    what = "a lone surrogate" if _SURROGATE.match(text[index]) else "a control character"
    raise InputError(field, f"{where}contains {what} ({char_name(text[index])}); remove it")


def text(value: str | bytes, *, field: str, max_length: int = MAX_TEXT) -> str:
    """One text value: decoded, NFC-normalised, without control characters, within its cap."""
    value = decode(value, field=field) if isinstance(value, bytes) else value
    check_characters(value, field=field)
    value = unicodedata.normalize("NFC", value)
    if len(value) > max_length:
        raise InputError(
            field, f"is {len(value):,} characters long; the limit is {max_length:,} characters"
        )
    return value


def integer(value: str | int, *, field: str, minimum: int, maximum: int) -> int:
    """A whole number between ``minimum`` and ``maximum`` inclusive.

    Accepts ASCII digits with an optional sign and surrounding spaces; refuses
    "1e309", "NaN", "1.5", "١٢" and 10**30 with a message naming the bounds.
    """
    bounds = f"must be a whole number between {minimum} and {maximum}"
    if isinstance(value, bool):
        raise InputError(field, bounds)
    if isinstance(value, int):
        number = value
    else:
        stripped = value.strip()
        if not _INTEGER.fullmatch(stripped):
            raise InputError(field, bounds)
        if len(stripped.lstrip("+-").lstrip("0")) > MAX_INT_DIGITS:
            raise InputError(field, bounds)
        number = int(stripped)
    if not minimum <= number <= maximum:
        raise InputError(field, bounds)
    return number


def token(value: str, *, field: str = "token") -> str:
    """A raw token from a URL path segment: URL-safe characters only, at most MAX_TOKEN."""
    if not value or len(value) > MAX_TOKEN or not _TOKEN.fullmatch(value):
        raise InputError(field, "is not a valid link; check that you opened the whole link")
    return value


def query_param(
    params: Mapping[str, Any], name: str, *, max_length: int = MAX_QUERY_VALUE
) -> str | None:
    """One query parameter (``request.GET``), checked like :func:`text`; None when absent."""
    value = params.get(name)
    if value is None:
        return None
    return text(str(value), field=name, max_length=max_length)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def json_value(raw: str | bytes, *, field: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Parse a JSON document: strict UTF-8, within ``max_bytes``, no NaN/Infinity.

    Every string in the result is checked and NFC-normalised like :func:`text`;
    integers longer than MAX_INT_DIGITS digits are refused.
    """
    size = len(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputError(field, f"is {size:,} bytes; the limit is {max_bytes:,} bytes")
    source = decode(raw, field=field) if isinstance(raw, bytes) else raw

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError(f"a number with more than {MAX_INT_DIGITS} digits")
        return int(digits)

    try:
        parsed = json.loads(source, parse_constant=_no_constant, parse_int=bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            field, f"line {exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        message = "is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(field, f"not valid JSON ({message})") from None
    return _clean_strings(parsed, field)


def _clean_strings(value: Any, field: str) -> Any:
    if isinstance(value, str):
        return text(value, field=field)
    if isinstance(value, list):
        return [_clean_strings(v, field) for v in value]
    if isinstance(value, dict):
        return {text(k, field=field): _clean_strings(v, field) for k, v in value.items()}
    return value


def csv_text(raw: bytes, *, field: str) -> str:
    """A whole CSV file as text: strict UTF-8 and NFC. Control characters are left to
    :func:`csv_cell`, so one bad cell costs one row, not the file."""
    source = decode(raw, field=field)
    if not unicodedata.is_normalized("NFC", source):
        source = unicodedata.normalize("NFC", source)
    return source


def has_control_bytes(raw: bytes) -> bool:
    """True if UTF-8 ``raw`` holds a refused control character (a fast pre-check).

    Deleting every other byte value is several times faster than a regex search
    on a 100 MB caseload export.
    """
    return bool(raw.translate(None, _NOT_CONTROL_BYTES))


def csv_cell(value: str, *, column: str, max_length: int = MAX_CSV_CELL) -> str:
    """One CSV cell: no control characters, within MAX_CSV_CELL. The caller adds ``line N``."""
    index = find_control(value)
    if index is not None:
        raise InputError(column, f"contains a control character ({char_name(value[index])})")
    if len(value) > max_length:
        raise InputError(
            column, f"is {len(value):,} characters long; the limit is {max_length:,} characters"
        )
    return value
