"""The fuzzing kit: hostile payloads, hypothesis strategies, the case tally, and helpers
that send a request as the persona a route is meant for.

Every request the fuzz tests send goes through :func:`send`, which counts it, fails
on a server error (status >= 500, or an exception the test client re-raises) and on
an unescaped script marker in the response, and checks that nothing was logged at
ERROR.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Profiles (docs/fuzz.md): "ci" is fixed and derandomised; "deep" is for long local runs.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
DEEP_FACTOR = 20


def fuzz_settings(examples: int) -> settings:
    """Settings for one fuzz test: ``examples`` under "ci", DEEP_FACTOR times more under "deep"."""
    deep = PROFILE == "deep"
    return settings(
        max_examples=examples * DEEP_FACTOR if deep else examples,
        deadline=None,
        derandomize=not deep,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


# The tally ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Cases run this session (one request or one CLI run each) and server errors seen."""

    cases: int = 0
    examples: int = 0
    server_errors: int = 0
    by_test: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    exits: dict[int, int] = field(default_factory=dict)

    def count(self, test: str, n: int = 1) -> None:
        self.cases += n
        self.by_test[test] = self.by_test.get(test, 0) + n


TALLY = Tally()


# Payloads -------------------------------------------------------------------------------

# Markers that appear only if a payload is rendered without escaping: escaping turns
# the leading "<" into "&lt;".
SCRIPT_MARKERS = (b"<script>alert(", b"<img src=x onerror=", b"<svg/onload=")

SCRIPT = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7|add:7 }}{% debug %}",
    "</textarea><script>alert(1)</script>",
]
SQL = ["' OR 1=1 --", "'; DROP TABLE clinical_client; --", '" OR ""="', "1; SELECT pg_sleep(0)"]
NUMBERS = [
    str(10**30),
    "-1",
    "0",
    "NaN",
    "1e309",
    "-1e309",
    "Infinity",
    "1.5",
    "0x10",
    "９",
    "٣",
    "9" * 5000,
    "2147483648",
    "-9223372036854775809",
]
ODD_TEXT = [
    "\x00",
    "a\x00b",
    "\x07\x1b[31m\x7f",
    "\u202eevil\u202c",
    "zero\u200bwidth\u200d",
    "\ufeffbom",
    "e\u0301",
    "\U0001f600" * 50,
    "\r\n\r\n",
    " ",
    "",
    "%00",
    "../../etc/passwd",
    "a" * 5000,
]
# Raw bytes that are not valid UTF-8: a stray continuation byte, an overlong NUL, a
# CESU-8 surrogate, and Latin-1 text.
BAD_BYTES = [b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"caf\xe9", b"\x80abc"]
HUGE = "A" * 1_000_000

Value = str | bytes


def hostile_values() -> st.SearchStrategy[Value]:
    """One hostile form value: a known payload, raw bad bytes, or random unicode."""
    return st.one_of(
        st.sampled_from([*SCRIPT, *SQL, *NUMBERS, *ODD_TEXT, HUGE]),
        st.sampled_from(BAD_BYTES),
        # NUL is a classic PostgreSQL 500 ("A string literal cannot contain NUL"): often.
        st.tuples(st.text(max_size=8), st.text(max_size=8)).map(lambda t: f"{t[0]}\x00{t[1]}"),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
        st.integers().map(str),
    )


def _encode(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencoded(pairs: list[tuple[Value, Value]]) -> bytes:
    """An application/x-www-form-urlencoded body; keeps raw bytes and repeated keys."""
    return b"&".join(
        quote_from_bytes(_encode(k), safe=b"").encode()
        + b"="
        + quote_from_bytes(_encode(v), safe=b"").encode()
        for k, v in pairs
    )


@st.composite
def form_bodies(draw: st.DrawFn, fields: dict[str, list[str]]) -> list[tuple[Value, Value]]:
    """Pairs for one POST: the page's real fields, each kept, hostile, or left out;
    then random extra fields and repeated keys."""
    pairs: list[tuple[Value, Value]] = []
    for name, real in sorted(fields.items()):
        choice = draw(st.sampled_from(("real", "hostile", "hostile", "missing")))
        if choice == "missing":
            continue
        if choice == "real" and real:
            pairs.append((name, draw(st.sampled_from(real))))
        else:
            pairs.append((name, draw(hostile_values())))
    extra = draw(
        st.lists(st.tuples(st.one_of(st.text(max_size=12), hostile_values()), hostile_values()))
    )
    pairs.extend(extra[:5])
    if pairs and draw(st.booleans()):
        key = draw(st.sampled_from([k for k, _ in pairs]))
        pairs.append((key, draw(hostile_values())))
    return pairs


def query_strings() -> st.SearchStrategy[bytes]:
    """A raw query string: hostile pairs, or random percent-encoded garbage."""
    pairs = st.lists(st.tuples(hostile_values(), hostile_values()), max_size=4).map(urlencoded)
    garbage = st.binary(max_size=200).map(lambda b: quote_from_bytes(b, safe=b"=&").encode())
    return st.one_of(pairs, garbage, st.sampled_from([b"%", b"%zz", b"a=%00", b"&&==&", b"=" * 50]))


def json_documents() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.sampled_from(SCRIPT + SQL + NUMBERS + ODD_TEXT),
        st.text(max_size=20),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )


def json_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        json_documents().map(lambda d: json.dumps(d).encode()),
        st.sampled_from(
            [b"", b"{", b"[" * 5000, b'{"a": NaN}', b"\xff\xfe{}", b"1" * 10000, b'"\\ud800"']
        ),
    )


# Pages ----------------------------------------------------------------------------------


class _Fields(HTMLParser):
    """Names and candidate values of every <input>, <select> and <textarea> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        # Fields a person types free text into: <textarea> and text-like <input>.
        self.typed: set[str] = set()
        # The HTML type of each <input>, for plausible values ("date", "email", ...).
        self.types: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag in ("input", "textarea", "select", "button") and name:
            values = self.fields.setdefault(name, [])
            if a.get("value") is not None and name != "csrfmiddlewaretoken":
                values.append(a["value"] or "")
            if tag == "select":
                self._select = name
            if tag == "input":
                self.types[name] = a.get("type") or "text"
            if tag == "textarea" or (
                tag == "input" and (a.get("type") or "text") in ("text", "search")
            ):
                self.typed.add(name)
        elif tag == "option" and self._select is not None:
            self.fields[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_fields(html: bytes) -> dict[str, list[str]]:
    """The fields of every form on a page (the CSRF token left out)."""
    return _parse(html).fields


def typed_fields(html: bytes) -> set[str]:
    """The names of a page's free-text fields."""
    return _parse(html).typed


def input_types(html: bytes) -> dict[str, str]:
    """The HTML type of each <input> on a page, by name."""
    return _parse(html).types


def _parse(html: bytes) -> _Fields:
    parser = _Fields()
    parser.feed(html.decode("utf-8", "replace"))
    parser.fields.pop("csrfmiddlewaretoken", None)
    return parser


# Sending --------------------------------------------------------------------------------


class ServerError(AssertionError):
    """A fuzz case that produced a 5xx, a logged error or an unescaped script marker."""


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """Collect records at ERROR or above from the root, django and django.request loggers."""
    handler = _Errors()
    loggers = [
        logging.getLogger(),
        logging.getLogger("django"),
        logging.getLogger("django.request"),
    ]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def unescaped_marker(content: bytes) -> bytes | None:
    for marker in SCRIPT_MARKERS:
        if marker in content:
            return marker
    return None


def send(test: str, web: Any, method: str, url: str, **kwargs: Any) -> Any:
    """One fuzz case: request, then fail on a server error, a logged error or stored script."""
    TALLY.count(test)
    with logged_errors() as errors:
        try:
            if isinstance(kwargs.get("data"), bytes):
                # generic() sends the bytes as they are; post() would re-encode them.
                response = web.generic(method, url, **kwargs)
            else:
                response = getattr(web, method.lower())(url, **kwargs)
        except Exception as exc:
            TALLY.server_errors += 1
            raise ServerError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    TALLY.statuses[response.status_code] = TALLY.statuses.get(response.status_code, 0) + 1
    if response.status_code >= 500:
        TALLY.server_errors += 1
        raise ServerError(f"{method} {url} -> {response.status_code}")
    # Django logs a refused oversized or malformed request (SuspiciousOperation) on
    # django.security.* at ERROR, with its 400: that is the intended answer, not a failure.
    errors = [
        r
        for r in errors
        if not (r.name.startswith("django.security.") and response.status_code == 400)
    ]
    if errors:
        TALLY.server_errors += 1
        raise ServerError(f"{method} {url} logged: {errors[0].getMessage()}")
    # Only HTML is rendered by a browser; a JSON or CSV export rightly holds the text as typed.
    html = response.get("Content-Type", "").startswith("text/html")
    streaming = getattr(response, "streaming", False)
    content = response.content if html and not streaming else b""
    marker = unescaped_marker(content)
    if marker is not None:
        raise ServerError(f"{method} {url} rendered {marker!r} unescaped")
    return response


# Error messages that say nothing about the field: a re-rendered form must do better.
GENERIC = re.compile(
    rb"(invalid input|something went wrong|an error occurred|bad request|"
    rb"please correct the errors? below)",
    re.IGNORECASE,
)


def generic_message(content: bytes) -> bytes | None:
    match = GENERIC.search(content)
    return match.group(0) if match else None


BOUNDARY = "fuzzBoundary7MA4YWxkTrZu0gW"


def multipart(pairs: list[tuple[Value, Value]]) -> bytes:
    """A multipart/form-data body (boundary BOUNDARY) that keeps raw bytes and repeated keys."""
    out = []
    for k, v in pairs:
        name = _encode(k).replace(b'"', b"%22").replace(b"\r", b"").replace(b"\n", b"")
        out.append(
            b"--"
            + BOUNDARY.encode()
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + _encode(v)
            + b"\r\n"
        )
    return b"".join(out) + b"--" + BOUNDARY.encode() + b"--\r\n"
