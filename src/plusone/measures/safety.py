"""Crisis resources and the graded safety response, as data.

This is the one place the resources live. The crisis text is practice
configured; until a practice sets it, the default says the therapist reads the
check-in by the next business day (truthful: nobody watches the form live).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """A crisis resource shown to a client: a name, how to reach it, and a tel: link."""

    name: str
    how: str
    href: str


RESOURCES: tuple[Resource, ...] = (
    Resource(
        name="9-8-8 Suicide Crisis Helpline",
        how="Call or text 9-8-8, any time, day or night.",
        href="tel:988",
    ),
    Resource(
        name="Emergency services",
        how="Call 9-1-1, or go to the nearest emergency department.",
        href="tel:911",
    ),
    Resource(
        name="Hope for Wellness Help Line",
        how="Call 1-855-242-3310, for Indigenous peoples across Canada, any time.",
        href="tel:+18552423310",
    ),
)

DEFAULT_READ_BY = "the next business day"

CRISIS_TEXT_TEMPLATE = (
    "This form is not watched in real time. Your therapist reads it by {read_by}. "
    "If you might act on these thoughts now, call or text 9-8-8, call 911, "
    "or go to the nearest emergency department."
)

# Grades as DESIGN.md sets them: 1 -> own safety plan plus resources; 2-3 -> crisis text.
SAFETY_PLAN_GRADE = 1
CRISIS_GRADE = 2


def crisis_text(practice: Any | None, default: str | None = None) -> str:
    """The practice's crisis text; else ``default``; else the truthful default text
    saying the therapist reads it by the next business day."""
    own = (getattr(practice, "crisis_text", "") or "").strip()
    if own:
        return own
    return default or CRISIS_TEXT_TEMPLATE.format(read_by=DEFAULT_READ_BY)


def response_kind(grade: int) -> str:
    """Which response a client sees for a risk grade: "none", "safety_plan" or "crisis"."""
    if grade >= CRISIS_GRADE:
        return "crisis"
    if grade >= SAFETY_PLAN_GRADE:
        return "safety_plan"
    return "none"
