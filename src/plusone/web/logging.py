"""Log hygiene: tokens never reach a log line, nor do query strings."""

from __future__ import annotations

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
