"""Retention periods by governing College: pure date arithmetic, no Django.

- CRPO (registered psychotherapists) and CPO (psychologists): 10 years after the
  last contact, or 10 years after the client's 18th birthday, whichever is later.
- OCSWSSW (social workers and social service workers): 7 years after the last contact.

A 29 February anniversary in a common year falls on 1 March: the later of the two
candidate days, so a record is never destroyed a day early.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

ADULT_AGE = 18


class College(enum.StrEnum):
    CRPO = "crpo"
    CPO = "cpo"
    OCSWSSW = "ocswssw"


@dataclass(frozen=True)
class RetentionRule:
    """Years kept after the last contact, and (if any) after the 18th birthday."""

    after_last_contact: int
    after_majority: int | None
    source: str


RULES: dict[College, RetentionRule] = {
    College.CRPO: RetentionRule(10, 10, "CRPO Professional Practice Standards, record keeping"),
    College.CPO: RetentionRule(10, 10, "CPO Standards of Professional Conduct, record retention"),
    College.OCSWSSW: RetentionRule(
        7, None, "OCSWSSW Standards of Practice, Principle IV (the social work record)"
    ),
}


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class RetentionEnd:
    """When a record may first be destroyed, and why, in plain sentences."""

    ends_on: dt.date
    by_last_contact: dt.date
    by_majority: dt.date | None
    explanation: str


def retention_end(college: College, *, last_contact: dt.date, born: dt.date) -> RetentionEnd:
    """The first day the record may be destroyed under ``college``'s rule."""
    rule = RULES[College(college)]
    by_contact = add_years(last_contact, rule.after_last_contact)
    by_majority = None
    sentence = (
        f"{rule.after_last_contact} years after the last contact ({last_contact}) is {by_contact}"
    )
    ends_on = by_contact
    if rule.after_majority is not None:
        majority = add_years(born, ADULT_AGE)
        # Counted from the birth date in one step, so a 29 February birthday keeps its day
        # whenever the end year is a leap year.
        by_majority = add_years(born, ADULT_AGE + rule.after_majority)
        sentence += (
            f"; {rule.after_majority} years after the 18th birthday ({majority}) is {by_majority}"
        )
        ends_on = max(by_contact, by_majority)
        sentence += f"; the later is {ends_on}"
    return RetentionEnd(ends_on, by_contact, by_majority, f"{sentence}. {rule.source}.")
