"""Log hygiene: tokens never reach a log line, nor do query strings, nor an exception's
message; the prod profile writes one JSON object a line, each with the id of the request
it belongs to."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import re
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

# /c/<token> and /o/<token> carry bearer tokens; anything after "?" may carry anything.
_TOKEN_PATH = re.compile(r"(/[co]/)[^/\s?\"']+")
_QUERY = re.compile(r"\?[^\s\"']*")


def redact(text: str) -> str:
    """Replace tokens in /c/ and /o/ paths with [redacted] and drop query strings."""
    return _QUERY.sub("?[redacted]", _TOKEN_PATH.sub(r"\1[redacted]", text))


# Exceptions whose messages name a host, a port, a lock or a timeout, never a row's values:
# their messages stay (they are what an operator needs at 3 a.m.).
_SAFE_MESSAGE_TYPES = frozenset({"OperationalError", "InterfaceError"})
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
WITHHELD = "[message withheld: it may quote health information]"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _safe_message(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return any(k.__name__ in _SAFE_MESSAGE_TYPES for k in type(exc).__mro__)


def withheld_traceback(exc_info: ExcInfo) -> str:
    """The traceback as Python prints it (the chain, every frame and its source line,
    each exception's type), with each exception's message withheld: a message may quote
    what a client wrote or, like a unique violation's DETAIL, a row's values."""
    parts: list[str] = []
    exc: BaseException | None = exc_info[1]
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        kind = type(exc)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else (f"{kind.__module__}.{kind.__qualname__}")
        )
        message = redact(str(exc)) if _safe_message(exc) else WITHHELD
        block = "".join(traceback.format_tb(exc.__traceback__)) if exc.__traceback__ else ""
        head = "Traceback (most recent call last):\n" if block else ""
        parts.append(f"{head}{block}{name}: {message}\n")
        if exc.__cause__ is not None:
            parts.append(_CAUSE)
            exc = exc.__cause__
        elif exc.__context__ is not None and not exc.__suppress_context__:
            parts.append(_CONTEXT)
            exc = exc.__context__
        else:
            exc = None
    # Python prints the first cause first; the chain was walked from the last.
    return "".join(reversed(parts)).rstrip("\n")


class TaskFailed(Exception):
    """A background task failed; its message is the original traceback, messages withheld."""


P = ParamSpec("P")
R = TypeVar("R")


def withheld_failures(func: Callable[P, R]) -> Callable[P, R]:
    """Let a task fail with :class:`TaskFailed` (the traceback with every message withheld)
    instead of its exception: django-tasks stores a failed task's traceback in the task
    table, in plain text, where a message quoting an address or a row's values would stay.
    Put it under ``@task()``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            text = withheld_traceback((type(exc), exc, exc.__traceback__))
            raise TaskFailed(text) from None

    return wrapper


class RedactFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` (after %-formatting), and its
    exception as :func:`withheld_traceback` (so no formatter can print the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info)  # type: ignore[arg-type]
            record.exc_info = None
        # django.request attaches the request; never let a handler format it.
        if hasattr(record, "request"):
            record.request = None
        return True


# The request being served on this thread (gunicorn's gthread workers serve one per thread).
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "plusone_request_id", default=""
)

# The attributes every LogRecord has; anything else was passed in ``extra=`` and is kept.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, and any
    ``extra=`` fields (ints, strings and bools only). The message is redacted again here,
    so a record that skipped :class:`RedactFilter` still leaks no token or query string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "") or current_request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line and isinstance(value, int | str | bool):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = withheld_traceback(record.exc_info)  # type: ignore[arg-type]
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)
