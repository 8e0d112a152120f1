"""What the record tells the floors above it, so that it never imports them.

``flag_raised`` is sent inside the transaction that opens a flag, or raises a
closed one again, with ``flag_id`` and ``slot`` ("first" or "reopened"). The
notify app enqueues the therapist's email from its receiver, so the message is
queued in the same transaction as the flag (DESIGN.md, Risk): both commit, or
neither does. A flag nobody hears of is a lost risk answer, so sending it with
no receiver connected is an error (``require_receiver``, and check E020).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

flag_raised = Signal()


def send_flag_raised(flag_id: Any, slot: str = "first") -> None:
    """Tell the receivers that a flag needs someone; raise when nobody listens."""
    if not flag_raised.has_listeners():
        raise ImproperlyConfigured(
            "No receiver for clinical.signals.flag_raised: is notify installed?"
        )
    flag_raised.send(sender=None, flag_id=str(flag_id), slot=slot)


# Sent inside intake's transaction with ``episode`` and ``today``: measures judges the new
# episode's summary there, so the caseload shows it judged from its first day.
episode_opened = Signal()
