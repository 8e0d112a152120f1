"""Business-hours arithmetic: worked examples on the Toronto calendar, and properties."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.business_hours import (
    BusinessHours,
    add_business_hours,
    business_time_between,
    closing_time,
    end_of_next_business_day,
    first_business_day_from,
    subtract_business_hours,
)

TORONTO = ZoneInfo("America/Toronto")
HOURS = BusinessHours()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TORONTO)


# 2026-11-27 is a Friday; 2026-11-30 a Monday.
@pytest.mark.parametrize(
    ("start", "hours", "expected", "why"),
    [
        (
            at(2026, 11, 27, 16),
            24,
            at(2026, 12, 2, 16),
            "Fri 16:00: 1 h Fri + 8 Mon + 8 Tue + 7 Wed",
        ),
        (at(2026, 11, 27, 16), 16, at(2026, 12, 1, 16), "Fri 16:00 + 16 h: Tuesday 16:00"),
        (at(2026, 11, 30, 20), 1, at(2026, 12, 1, 10), "an evening counts nothing"),
        (at(2026, 11, 28, 12), 1, at(2026, 11, 30, 10), "a Saturday counts nothing"),
        (at(2026, 11, 30, 8), 8, at(2026, 11, 30, 17), "before opening starts at 09:00"),
        (at(2026, 11, 30, 10), 8, at(2026, 12, 1, 10), "a full day spills over"),
        (at(2026, 11, 30, 17), 0, at(2026, 11, 30, 17), "zero is the start itself"),
        # Daylight time ends on Sunday 2026-11-01: business hours stay 09:00-17:00 local.
        (at(2026, 10, 30, 16), 8, at(2026, 11, 2, 16), "across the clock change"),
    ],
)
def test_it_adds_business_hours_like_the_worked_examples(start, hours, expected, why):
    got = add_business_hours(start, dt.timedelta(hours=hours), HOURS)
    assert got == expected, why
    assert got.tzinfo == TORONTO


def test_it_never_lands_a_friday_afternoon_flag_on_the_weekend():
    due = add_business_hours(at(2026, 11, 27, 16), dt.timedelta(hours=24), HOURS)
    assert due.weekday() not in (5, 6)
    assert due > at(2026, 11, 28, 16)


def test_it_accepts_utc_input_and_answers_in_the_practice_zone():
    start = dt.datetime(2026, 11, 27, 21, 0, tzinfo=dt.UTC)  # 16:00 in Toronto (EST, UTC-5)
    assert add_business_hours(start, dt.timedelta(hours=1), HOURS) == at(2026, 11, 27, 17)


def test_it_counts_business_time_between_two_moments():
    assert business_time_between(at(2026, 11, 27, 16), at(2026, 12, 2, 16), HOURS) == dt.timedelta(
        hours=24
    )
    assert business_time_between(at(2026, 11, 28, 9), at(2026, 11, 29, 18), HOURS) == dt.timedelta(
        0
    )
    assert business_time_between(at(2026, 12, 2, 9), at(2026, 12, 1, 9), HOURS) == dt.timedelta(0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 11, 25, 10), at(2026, 11, 26, 17)),  # Wednesday morning -> Thursday close
        (at(2026, 11, 27, 20), at(2026, 11, 30, 17)),  # Friday evening -> Monday close
        (at(2026, 11, 28, 11), at(2026, 11, 30, 17)),  # Saturday -> Monday close
    ],
)
def test_it_finds_the_end_of_the_next_business_day(now, expected):
    assert end_of_next_business_day(now, HOURS) == expected


def test_it_honours_a_practice_with_other_days_and_hours():
    # A Tuesday-to-Saturday practice open 10:00-14:00.
    hours = BusinessHours(
        weekdays=frozenset({1, 2, 3, 4, 5}), opens=dt.time(10), closes=dt.time(14), zone=TORONTO
    )
    # Saturday 13:00: 1 h Saturday, then Sunday and Monday are closed, 3 h on Tuesday.
    assert add_business_hours(at(2026, 11, 28, 13), dt.timedelta(hours=4), hours) == at(
        2026, 12, 1, 13
    )


def test_it_refuses_naive_datetimes_and_bad_hours():
    with pytest.raises(ValueError):
        add_business_hours(dt.datetime(2026, 11, 27, 16), dt.timedelta(hours=1), HOURS)
    with pytest.raises(ValueError):
        BusinessHours(opens=dt.time(17), closes=dt.time(9))
    with pytest.raises(ValueError):
        BusinessHours(weekdays=frozenset())


moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(TORONTO),
)


@given(start=moments, minutes=st.integers(min_value=0, max_value=60 * 80))
def test_it_adds_exactly_the_business_time_it_was_asked_for(start, minutes):
    amount = dt.timedelta(minutes=minutes)
    due = add_business_hours(start, amount, HOURS)
    assert due >= start
    assert business_time_between(start, due, HOURS) == amount
    if minutes:
        local = due.astimezone(TORONTO)
        assert local.weekday() in HOURS.weekdays
        assert dt.time(9) < local.time() <= dt.time(17)


# Thanksgiving Monday 2026-10-12 is an Ontario public holiday.
THANKSGIVING = dt.date(2026, 10, 12)
WITH_HOLIDAY = BusinessHours(closed=frozenset({THANKSGIVING}))


def test_it_counts_no_business_time_on_a_holiday():
    # Friday 9 October 16:00 + 2 h: 1 h on Friday, Monday is closed, 1 h on Tuesday.
    assert add_business_hours(at(2026, 10, 9, 16), dt.timedelta(hours=2), WITH_HOLIDAY) == at(
        2026, 10, 13, 10
    )
    assert end_of_next_business_day(at(2026, 10, 9, 19), WITH_HOLIDAY) == at(2026, 10, 13, 17)
    assert business_time_between(
        at(2026, 10, 9, 17), at(2026, 10, 13, 9), WITH_HOLIDAY
    ) == dt.timedelta(0)


@pytest.mark.parametrize(
    ("end", "hours", "expected", "why"),
    [
        (at(2026, 10, 13, 17), 4, at(2026, 10, 13, 13), "Tuesday close minus 4 h"),
        (at(2026, 10, 13, 11), 4, at(2026, 10, 9, 15), "2 h Tuesday, the holiday, 2 h Friday"),
        (at(2026, 11, 30, 17), 0, at(2026, 11, 30, 17), "zero is the end itself"),
        (at(2026, 11, 28, 12), 1, at(2026, 11, 27, 16), "from a Saturday: Friday's last hour"),
    ],
)
def test_it_subtracts_business_hours_like_the_worked_examples(end, hours, expected, why):
    assert subtract_business_hours(end, dt.timedelta(hours=hours), WITH_HOLIDAY) == expected, why


@given(end=moments, minutes=st.integers(min_value=1, max_value=60 * 80))
def test_it_subtracts_exactly_what_adding_gives_back(end, minutes):
    amount = dt.timedelta(minutes=minutes)
    start = subtract_business_hours(end, amount, WITH_HOLIDAY)
    assert start <= end
    assert business_time_between(start, end, WITH_HOLIDAY) == amount
    assert add_business_hours(start, amount, WITH_HOLIDAY) <= end


def test_it_finds_the_first_business_day_and_its_close():
    assert first_business_day_from(THANKSGIVING, WITH_HOLIDAY) == dt.date(2026, 10, 13)
    assert first_business_day_from(dt.date(2026, 10, 13), WITH_HOLIDAY) == dt.date(2026, 10, 13)
    assert closing_time(dt.date(2026, 10, 13), WITH_HOLIDAY) == at(2026, 10, 13, 17)
