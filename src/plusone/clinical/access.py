"""The two rules of access that live above the record, plugged in from there.

Who reads a client is the record's rule (``clinical.queries``), widened by an
admin's break-glass grant (the privacy app) and narrowed by a consent directive
naming the reader (the lockbox app). Those apps sit on a higher floor
(docs/architecture.md) and register their rule here from their ``ready()``, so
the record never imports them. Access fails closed: a read with a rule missing
raises ImproperlyConfigured rather than skip the lockbox, and ``check`` reports
it as plusone.E021.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

# user, now -> a values("client") queryset of client ids opened by break-glass.
BreakGlass = Callable[[Any, dt.datetime], QuerySet[Any]]
# user, the lookup reaching the Client's pk -> a Q true where a directive names the user.
NamedBlock = Callable[[Any, str], Q]

_break_glass: list[BreakGlass] = []
_named_block: list[NamedBlock] = []


def register_break_glass(rule: BreakGlass) -> None:
    """Set the break-glass rule (the privacy app's); once per process."""
    _break_glass[:] = [rule]


def register_named_block(rule: NamedBlock) -> None:
    """Set the consent-directive rule (the lockbox app's); once per process."""
    _named_block[:] = [rule]


def missing() -> list[str]:
    """The names of the rules nobody has registered."""
    return [
        name
        for name, slot in (("break-glass", _break_glass), ("consent directive", _named_block))
        if not slot
    ]


def break_glass_client_ids(user: Any, now: dt.datetime) -> QuerySet[Any]:
    if not _break_glass:
        raise ImproperlyConfigured("No break-glass rule registered: is plusone.privacy installed?")
    return _break_glass[0](user, now)


def named_clinician_block(user: Any, client_ref: str) -> Q:
    if not _named_block:
        raise ImproperlyConfigured(
            "No consent-directive rule registered: is plusone.lockbox installed?"
        )
    return _named_block[0](user, client_ref)
