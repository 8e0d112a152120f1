"""A request id on every request: in each log line, on the response, on the error page.

A proxy's ``X-Request-ID`` is kept when it is a safe token (so one id follows the request
from nginx to the log), otherwise a new one is made: a header is untrusted input, and a
log line must not carry whatever a client chose to send.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from plusone.web.logging import current_request_id, redact

log = logging.getLogger("plusone.request")

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,99}")
# Probes poll these every few seconds: logged at DEBUG so they do not drown the log.
_PROBES = ("/healthz", "/readyz")


def request_id_for(header: str | None) -> str:
    """The proxy's id when it is 8-100 letters, digits, '.', '_' or '-', else a fresh one."""
    if header and _SAFE.fullmatch(header):
        return header
    return secrets.token_hex(16)


def request_id_of(request: HttpRequest) -> str:
    """The id :class:`RequestIdMiddleware` gave ``request`` (or the one in the log context)."""
    return str(getattr(request, "request_id", "") or current_request_id.get())


class RequestIdMiddleware:
    """Outermost: names the request, logs one line when it ends, sets the response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        reset = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            level = logging.DEBUG if request.path in _PROBES else logging.INFO
            # The path only, redacted: never the query string, the body or who asked.
            log.log(
                level,
                "%s %s %s",
                request.method,
                redact(request.path),
                response.status_code,
                extra={
                    "method": request.method or "",
                    "path": redact(request.path),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000),
                },
            )
            return response
        finally:
            current_request_id.reset(reset)
