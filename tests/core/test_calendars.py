"""Ontario's public holidays as data, recomputed here from the Act's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from plusone.core.calendars import calendar, holidays


def _easter(year: int) -> dt.date:
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _monday_before(day: dt.date) -> dt.date:
    back = (day.weekday() - 0) % 7 or 7
    return day - dt.timedelta(days=back)


def _by_rule(year: int) -> dict[dt.date, str]:
    return {
        dt.date(year, 1, 1): "New Year's Day",
        _nth_monday(year, 2, 3): "Family Day",
        _easter(year) - dt.timedelta(days=2): "Good Friday",
        _monday_before(dt.date(year, 5, 25)): "Victoria Day",
        dt.date(year, 7, 1): "Canada Day",
        _nth_monday(year, 9, 1): "Labour Day",
        _nth_monday(year, 10, 2): "Thanksgiving Day",
        dt.date(year, 12, 25): "Christmas Day",
        dt.date(year, 12, 26): "Boxing Day",
    }


@pytest.mark.parametrize("year", range(2026, 2031))
def test_it_lists_the_nine_public_holidays_the_act_gives_each_year(year):
    data = {d: name for d, name in calendar().holidays.items() if d.year == year}
    assert data == _by_rule(year)


def test_it_knows_the_published_dates_of_2026():
    # Ontario's published 2026 list: Good Friday 3 April, Thanksgiving 12 October.
    days = holidays()
    assert dt.date(2026, 4, 3) in days
    assert dt.date(2026, 10, 12) in days
    assert dt.date(2026, 8, 3) not in days  # the Civic Holiday is not a public holiday


def test_it_names_its_source_and_its_years():
    ontario = calendar()
    assert "Employment Standards Act" in ontario.source
    assert (ontario.first_year, ontario.last_year) == (2026, 2030)
    assert ontario.covers(dt.date(2030, 12, 31))
    assert not ontario.covers(dt.date(2031, 1, 1))


def test_it_refuses_an_unknown_region():
    with pytest.raises(LookupError):
        calendar("atlantis")
