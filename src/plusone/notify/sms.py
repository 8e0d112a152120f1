"""SMS through a pluggable backend, like Django's email backends.

``settings.SMS_BACKEND`` (``PLUSONE_SMS_BACKEND``) names a class by dotted path. A
backend is any class with ``send(self, to: str, body: str) -> None`` that raises on
failure; the gateway's credentials are the backend's own business (read from its own
``*_FILE`` settings). Shipped: :class:`ConsoleBackend` (dev: prints to stdout, like
Django's console email backend) and :class:`LocmemBackend` (tests: keeps every message
in :data:`outbox`). No health information ever goes in an SMS: callers send a link only.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    """One text message as a backend was asked to send it."""

    to: str
    body: str


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


# What the locmem backend has sent, oldest first (tests empty it between tests).
outbox: list[Sms] = []
_lock = threading.Lock()


class LocmemBackend:
    """Keeps each message in :data:`outbox`; for tests."""

    def send(self, to: str, body: str) -> None:
        with _lock:
            outbox.append(Sms(to, body))


class ConsoleBackend:
    """Writes each message to stdout; for dev (``make run`` shows it in the worker's output)."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()


def send_sms(to: str, body: str) -> None:
    """Send ``body`` to ``to`` through the configured backend; raises when it fails."""
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(to, body)
