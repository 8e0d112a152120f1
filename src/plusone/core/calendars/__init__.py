"""Public-holiday calendars as data: one TOML file per region, with its source.

``holidays(region)`` returns the dates and names; the business-hours arithmetic
(:mod:`plusone.core.business_hours`) takes them as closed days.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Calendar:
    """A region's public holidays for the years it covers, and where they come from."""

    region: str
    source: str
    first_year: int
    last_year: int
    holidays: dict[dt.date, str]

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year


@cache
def calendar(region: str = "ontario") -> Calendar:
    """The region's calendar from its data file; LookupError for an unknown region."""
    try:
        text = resources.files(__package__).joinpath(f"{region}.toml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise LookupError(f"no holiday calendar for {region!r}") from exc
    data = tomllib.loads(text)
    days = {dt.date.fromisoformat(str(k)): str(v) for k, v in data["holidays"].items()}
    return Calendar(
        region=str(data["region"]),
        source=str(data["source"]),
        first_year=int(data["first_year"]),
        last_year=int(data["last_year"]),
        holidays=days,
    )


def holidays(region: str = "ontario") -> frozenset[dt.date]:
    """The region's public holidays as a set of dates."""
    return frozenset(calendar(region).holidays)
