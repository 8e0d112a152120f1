"""Measurement plans: the default plan and the burden check.

A plan's ``schedule`` maps slots to instrument keys:

- ``routine``: every session's pre-session check-in;
- ``alternate``: added on alternate sessions (the secondary measure);
- ``every_4th``: added every 4th session, instead of ``alternate``;
- ``end_of_session``: its own sitting at the end (the Session Reflection);
- ``intake`` and ``review``: the longer sittings.

The routine check-in's worst case is ``routine`` plus the longer of
``alternate`` and ``every_4th``; it must fit in 180 s. Intake and review
sittings must fit in 600 s (they can be split).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

SECONDS_PER_ITEM = 6
SECONDS_PER_FREE_TEXT = 20
ROUTINE_BUDGET_SECONDS = 180
LONG_SITTING_BUDGET_SECONDS = 600

# Minimum days between administrations (DESIGN.md, Burden). K10, PCL-5 and
# AUDIT-C are intake-and-review only, which the schedule expresses.
DEFAULT_MIN_INTERVAL_DAYS = {"mhcsf": 28}


# (rated items, free-text items) used when a definition cannot be loaded, e.g. a
# licensed pack whose text the practice has not supplied yet.
FALLBACK_ITEMS = {
    "phq9": (9, 0),
    "gad7": (7, 0),
    "core10": (10, 0),
    "personal_goals": (3, 0),
    "felt_change": (3, 0),
    "swls": (5, 0),
    "who5": (5, 0),
    "pcl5": (20, 0),
    "auditc": (3, 0),
    "k10": (10, 0),
    "session_reflection": (3, 1),
    "mhcsf": (14, 0),
}


def instrument_seconds(key: str) -> int:
    """Estimated seconds for one instrument: 6 s per rated item, 20 s per free-text item."""
    from plusone.core.instruments import load_instrument

    try:
        instrument = load_instrument(key)
    except Exception:
        # Any failure to load (missing or licensed definition) falls back to the known counts.
        rated, text = FALLBACK_ITEMS[key]
        return rated * SECONDS_PER_ITEM + text * SECONDS_PER_FREE_TEXT
    seconds = 0
    for item in instrument.items:
        seconds += SECONDS_PER_FREE_TEXT if item.kind == "text" else SECONDS_PER_ITEM
    return seconds


@dataclass(frozen=True)
class PlanCheck:
    """The burden of a plan. ``problems`` is empty when the plan is acceptable."""

    routine_seconds: int
    intake_seconds: int
    review_seconds: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_plan(
    schedule: Mapping[str, Sequence[str]],
    *,
    seconds_for: Callable[[str], int] = instrument_seconds,
    budget_seconds: int = ROUTINE_BUDGET_SECONDS,
) -> PlanCheck:
    """Compute each sitting's seconds and refuse a routine check-in over the budget."""

    def total(slot: str) -> int:
        return sum(seconds_for(key) for key in schedule.get(slot, ()))

    routine = total("routine") + max(
        total("alternate"), total("every_4th"), total("every_4th_alternating")
    )
    intake, review = total("intake"), total("review")
    problems = []
    if budget_seconds > ROUTINE_BUDGET_SECONDS:
        problems.append(f"The budget may not exceed {ROUTINE_BUDGET_SECONDS} s.")
    if routine > budget_seconds:
        problems.append(
            f"The routine check-in takes about {routine} s, over the {budget_seconds} s budget."
        )
    for name, seconds in (("intake", intake), ("review", review)):
        if seconds > LONG_SITTING_BUDGET_SECONDS:
            problems.append(
                f"The {name} sitting takes about {seconds} s, over {LONG_SITTING_BUDGET_SECONDS} s."
            )
    return PlanCheck(routine, intake, review, tuple(problems))


def default_schedule(primary: str, secondary: str) -> dict[str, list[str]]:
    """DESIGN.md's default plan for an episode's primary and secondary measures."""
    secondary_list = [secondary] if secondary else []
    return {
        "routine": [primary, "personal_goals"],
        "alternate": secondary_list,
        "every_4th": ["swls", "felt_change"],
        "every_4th_alternating": ["who5", "felt_change"],
        "end_of_session": ["session_reflection"],
        "intake": [primary, *secondary_list, "pcl5", "auditc", "personal_goals", "swls"],
        "review": [primary, *secondary_list, "pcl5", "auditc", "personal_goals", "who5"],
    }
