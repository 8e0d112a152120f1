"""The 30-day clock of PHIPA s.54(2) and s.55(3), with one 30-day extension (s.54(3), s.55(4)).

Plain date arithmetic, no Django: the clock is passed ``today`` and never reads it.
"""

from __future__ import annotations

import datetime as dt
import enum

RESPONSE_DAYS = 30
EXTENSION_DAYS = 30
DUE_SOON_DAYS = 7


class Urgency(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due soon"
    ON_TIME = "on time"


def due_on(received_on: dt.date, *, extended: bool) -> dt.date:
    """The day a response is due: 30 days after receipt, or 60 with the one extension.

    >>> due_on(dt.date(2026, 1, 10), extended=False)
    datetime.date(2026, 2, 9)
    >>> due_on(dt.date(2026, 1, 10), extended=True)
    datetime.date(2026, 3, 11)
    """
    days = RESPONSE_DAYS + (EXTENSION_DAYS if extended else 0)
    return received_on + dt.timedelta(days=days)


def urgency(due: dt.date, today: dt.date) -> Urgency:
    """Overdue after the due day; due soon within 7 days of it (the due day included)."""
    if today > due:
        return Urgency.OVERDUE
    if (due - today).days <= DUE_SOON_DAYS:
        return Urgency.DUE_SOON
    return Urgency.ON_TIME
