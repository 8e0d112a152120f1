"""Log hygiene: tokens never reach a log line, nor do query strings; the prod profile
writes one JSON object a line, each with the id of the request it belongs to."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re

# /c/<token> and /o/<token> carry bearer tokens; anything after "?" may carry anything.
_TOKEN_PATH = re.compile(r"(/[co]/)[^/\s?\"']+")
_QUERY = re.compile(r"\?[^\s\"']*")


def redact(text: str) -> str:
    """Replace tokens in /c/ and /o/ paths with [redacted] and drop query strings."""
    return _QUERY.sub("?[redacted]", _TOKEN_PATH.sub(r"\1[redacted]", text))


class RedactFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` (after %-formatting)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
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
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)
