"""Business-hours arithmetic for the risk promise: the read-by time and the escalation.

Pure functions: the clock, the working days and hours, the closed days and the
time zone are passed in. A business day is one of ``weekdays`` (Monday = 0)
that is not in ``closed`` (statutory holidays and the practice's own closure
days, as data: :mod:`plusone.core.calendars`); its business hours run from
``opens`` to ``closes`` in ``zone``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True)
class BusinessHours:
    """When a practice counts as working: weekdays, opening and closing time, time zone."""

    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Toronto"))
    # Days on which no business time passes: public holidays and closure days.
    closed: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)")
        if self.closes <= self.opens:
            raise ValueError("business hours must close after they open")


def _aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("pass an aware datetime")


def _window(day: dt.date, hours: BusinessHours) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, hours.opens, tzinfo=hours.zone),
        dt.datetime.combine(day, hours.closes, tzinfo=hours.zone),
    )


def add_business_hours(
    start: dt.datetime, amount: dt.timedelta, hours: BusinessHours
) -> dt.datetime:
    """The moment when ``amount`` of business time has passed since ``start``.

    Time outside business hours (evenings, nights, non-working days) does not
    count. Returns an aware datetime in ``hours.zone``. A zero ``amount`` from
    outside business hours gives ``start`` itself.
    """
    _aware(start)
    if amount < dt.timedelta(0):
        raise ValueError("amount must not be negative")
    local = start.astimezone(hours.zone)
    if amount == dt.timedelta(0):
        return local
    remaining = amount
    day = local.date()
    # Each loop consumes one calendar day; a year of days bounds any sane amount.
    for _ in range(366 * 50):
        if hours.is_business_day(day):
            opens, closes = _window(day, hours)
            begin = max(opens, local)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError("amount is too large")


def business_time_between(
    start: dt.datetime, end: dt.datetime, hours: BusinessHours
) -> dt.timedelta:
    """How much business time lies between ``start`` and ``end`` (zero if end <= start)."""
    _aware(start)
    _aware(end)
    if end <= start:
        return dt.timedelta(0)
    local_start = start.astimezone(hours.zone)
    local_end = end.astimezone(hours.zone)
    total = dt.timedelta(0)
    day = local_start.date()
    while day <= local_end.date():
        if hours.is_business_day(day):
            opens, closes = _window(day, hours)
            begin, finish = max(opens, local_start), min(closes, local_end)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def subtract_business_hours(
    end: dt.datetime, amount: dt.timedelta, hours: BusinessHours
) -> dt.datetime:
    """The latest moment from which ``amount`` of business time reaches ``end``.

    The mirror of :func:`add_business_hours`: the escalation time is the
    promised read-by time minus the lead time, counted backwards through
    business hours only. A zero ``amount`` gives ``end`` itself.
    """
    _aware(end)
    if amount < dt.timedelta(0):
        raise ValueError("amount must not be negative")
    local = end.astimezone(hours.zone)
    if amount == dt.timedelta(0):
        return local
    remaining = amount
    day = local.date()
    for _ in range(366 * 50):
        if hours.is_business_day(day):
            opens, closes = _window(day, hours)
            finish = min(closes, local)
            if finish > opens:
                available = finish - opens
                if remaining <= available:
                    return finish - remaining
                remaining -= available
        day -= dt.timedelta(days=1)
    raise ValueError("amount is too large")


def first_business_day_from(day: dt.date, hours: BusinessHours) -> dt.date:
    """``day`` itself when it is a business day, else the next one."""
    for _ in range(366 * 50):
        if hours.is_business_day(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("no business day within fifty years")


def closing_time(day: dt.date, hours: BusinessHours) -> dt.datetime:
    """The moment business hours end on ``day``, in ``hours.zone``."""
    return _window(day, hours)[1]


def end_of_next_business_day(now: dt.datetime, hours: BusinessHours) -> dt.datetime:
    """Closing time of the first business day after ``now``'s own date (in ``hours.zone``).

    This is the truthful "next business day" of the crisis text: a check-in
    sent on Friday evening is read by Monday's close, or Tuesday's when the
    Monday is a holiday.
    """
    _aware(now)
    day = now.astimezone(hours.zone).date() + dt.timedelta(days=1)
    return closing_time(first_business_day_from(day, hours), hours)
