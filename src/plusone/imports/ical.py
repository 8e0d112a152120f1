"""A small iCalendar (RFC 5545) reader: the VEVENTs' UID, DTSTART, DTEND, DURATION, STATUS,
SUMMARY, DESCRIPTION and X-PLUSONE-CLIENT-REF, after line unfolding. No Django, no library.

Times: ``...Z`` is UTC, ``TZID=America/Toronto`` (or a floating time) is Toronto's, and
``TZID=UTC``/``Etc/UTC`` is UTC; any other zone or an all-day date is refused per event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TORONTO = ZoneInfo("America/Toronto")
_ZONES = {"america/toronto": TORONTO, "utc": dt.UTC, "etc/utc": dt.UTC, "gmt": dt.UTC}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass
class Event:
    """One VEVENT: its first line, and property name -> (parameters, value)."""

    line: int
    props: dict[str, tuple[dict[str, str], str]] = field(default_factory=dict)


def unfold(text: str) -> list[tuple[int, str]]:
    """Content lines with their first physical line: a line starting with a space or a tab
    continues the one before (RFC 5545, 3.1)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw:
            out.append((number, raw))
    return out


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, _, value = line.partition(":")
    name, *params = head.split(";")
    found = {}
    for param in params:
        key, _, val = param.partition("=")
        found[key.strip().upper()] = val.strip().strip('"')
    return name.strip().upper(), found, value


def events(text: str) -> list[Event]:
    """Every VEVENT of the calendar, in order. Raises ValueError when it is no calendar."""
    lines = unfold(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise ValueError("not an iCalendar file (it must start with BEGIN:VCALENDAR)")
    found: list[Event] = []
    current: Event | None = None
    for number, line in lines:
        name, params, value = _split(line)
        if name == "BEGIN" and value.strip().upper() == "VEVENT":
            current = Event(number)
        elif name == "END" and value.strip().upper() == "VEVENT" and current is not None:
            found.append(current)
            current = None
        elif current is not None and name not in current.props:
            current.props[name] = (params, _unescape(value))
    return found


def _unescape(value: str) -> str:
    return (
        value.replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )


def when(params: dict[str, str], value: str) -> dt.datetime:
    """A DATE-TIME value as an aware datetime; ValueError for a date alone or another zone."""
    value = value.strip()
    if params.get("VALUE", "").upper() == "DATE" or len(value) == 8:
        raise ValueError("an all-day event has no time; it is not an appointment")
    utc = value.endswith("Z")
    try:
        naive = dt.datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise ValueError(f"{value[:30]!r} is not an iCalendar date and time") from None
    if utc:
        return naive.replace(tzinfo=dt.UTC)
    zone = params.get("TZID", "America/Toronto")
    tz = _ZONES.get(zone.lower())
    if tz is None:
        raise ValueError(f"time zone {zone[:40]!r} is not supported (America/Toronto or UTC)")
    return naive.replace(tzinfo=tz)


def duration(value: str) -> dt.timedelta:
    """A DURATION value such as PT50M or PT1H30M."""
    match = _DURATION.match(value.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"{value[:30]!r} is not an iCalendar duration")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
