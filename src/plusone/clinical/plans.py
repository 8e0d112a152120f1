"""Measurement plans: the default plan and the burden check.

A plan's ``schedule`` maps slots to instrument keys:

- ``routine``: every session's pre-session check-in;
- ``alternate``: added on alternate sessions (the secondary measure);
- ``every_4th``: added every 4th session, instead of ``alternate``;
- ``end_of_session``: its own sitting at the end (the Session Reflection);
- ``intake`` and ``review``: the longer sittings (a review is every 8th
  session and each phase decision);
- ``risk_item_only``: instruments whose risk item alone is asked on a session
  where the whole instrument is not due (Deepening keeps PHQ-9 item 9 every
  session).

Every sitting opens with the client's own words (goals, then Felt Change). The
routine check-in's worst case is ``routine`` plus the longest of ``alternate``
and the 4th-session slots; it must fit in 180 s. An intake or review sitting
adds its slot to the routine one and never displaces it: the whole review
sitting (routine plus review) must fit in 300 s, the intake in 600 s (it can be
split). Every instrument a plan asks must have a page where the therapist sees
it (DESIGN.md, Burden: nothing collected that nobody reads).

One module, a little over 400 lines, on purpose: the default plan and the
burden check are two readings of the same slots and budgets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from plusone.core.due import REVIEW_BUDGET_SECONDS, due_today, split_key
from plusone.core.instruments import load_instrument

SECONDS_PER_ITEM = 6
SECONDS_PER_FREE_TEXT = 20
ROUTINE_BUDGET_SECONDS = 180
LONG_SITTING_BUDGET_SECONDS = 600
# The screens: at intake, and at reviews only when positive at intake or asked for.
SCREENS = ("pcl5", "auditc", "k10")
# Instruments with a place on every episode's pages, whatever its primary and secondary
# measure: the own-words, growth and relationship lanes of the journey, and the screens
# row of the card and journey. A symptom measure has one only as the episode's primary
# (the symptom lane) or secondary (the screens row).
SHOWN_ANYWAY = frozenset(
    {"personal_goals", "felt_change", "swls", "who5", "mhcsf", "session_reflection", *SCREENS}
)

# Minimum days between administrations (DESIGN.md, Burden). K10, PCL-5 and
# AUDIT-C are intake-and-review only, which the schedule expresses.
DEFAULT_MIN_INTERVAL_DAYS = {"mhcsf": 28}
REVIEW_EVERY = 8
# A plan warns when this many days can pass with no risk item (DESIGN.md, Risk).
RISK_GAP_WARN_DAYS = 14
SLOTS = (
    "routine",
    "alternate",
    "every_4th",
    "every_4th_alternating",
    "end_of_session",
    "risk_item_only",
    "intake",
    "review",
)
# Slots that come round between reviews, with how many sessions apart they recur.
RECURRING_SLOT_PERIOD = {
    "routine": 1,
    "risk_item_only": 1,
    "end_of_session": 1,
    "alternate": 2,
    "every_4th": 4,
    "every_4th_alternating": 8,
}
# Used when a definition cannot be loaded (see FALLBACK_ITEMS).
FALLBACK_INTERVALS: dict[str, tuple[str, int | None]] = {
    "k10": ("intake_and_reviews", None),
    "pcl5": ("intake_and_reviews", None),
    "auditc": ("intake_and_reviews", None),
    "mhcsf": ("days", 28),
}
FALLBACK_RISK = frozenset({"phq9", "core10"})


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


def instrument_interval(key: str) -> tuple[str, int | None]:
    """The definition's minimum interval as (kind, days); kind is "every_session",
    "intake_and_reviews" or "days"."""

    try:
        interval = load_instrument(key).min_interval
    except Exception:
        # As in instrument_seconds: unloadable definitions use the known values.
        return FALLBACK_INTERVALS.get(key, ("every_session", None))
    return interval.kind, interval.days


def has_risk_item(key: str) -> bool:
    """True when the instrument has an item whose answers open a risk flag."""

    try:
        return bool(load_instrument(key).risk_items)
    except Exception:
        return key in FALLBACK_RISK


def instrument_title(key: str) -> str:
    """The instrument's short title for messages (the key when it cannot be loaded)."""

    try:
        return load_instrument(key).short_title
    except Exception:
        return key


@dataclass(frozen=True)
class PlanCheck:
    """The burden of a plan. ``problems`` is empty when the plan is acceptable;
    ``warnings`` never refuse a plan. ``risk_gap_days`` is the longest run of
    days with no risk item (None when no instrument asks about risk)."""

    routine_seconds: int
    intake_seconds: int
    # The whole review sitting: the routine one plus the review's own slot, at its longest.
    review_seconds: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())
    risk_gap_days: int | None = None
    # The Session Reflection's own end-of-session sitting.
    end_of_session_seconds: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def routine_minutes(self) -> float:
        return round(self.routine_seconds / 60, 1)


def _sitting_seconds(keys: Sequence[str], seconds_for: Callable[[str], int]) -> int:
    # A risk item asked alone costs one item's time.
    return sum(SECONDS_PER_ITEM if split_key(k)[1] else seconds_for(k) for k in keys)


def _longest(
    schedule: Mapping[str, Sequence[str]], kind: str, seconds_for: Callable[[str], int]
) -> int:
    """The longest sitting of ``kind`` over one full cycle of the slots (8 sessions)."""
    return max(
        _sitting_seconds(due_today(schedule, session_number=n, kind=kind), seconds_for)
        for n in range(1, 9)
    )


def check_plan(
    schedule: Mapping[str, Sequence[str]],
    *,
    seconds_for: Callable[[str], int] = instrument_seconds,
    budget_seconds: int = ROUTINE_BUDGET_SECONDS,
    min_interval_days: Mapping[str, int] | None = None,
    session_interval_days: int = 7,
    review_every: int = REVIEW_EVERY,
    interval_for: Callable[[str], tuple[str, int | None]] = instrument_interval,
    risky: Callable[[str], bool] = has_risk_item,
    primary: str | None = None,
    secondary: str = "",
) -> PlanCheck:
    """Compute each sitting's seconds, as :func:`plusone.core.due.due_today` asks them,
    and refuse a routine check-in over the budget (180 s), a review sitting (routine plus
    review) over 300 s and an intake over 600 s.

    Also refuses an instrument given more often than its definition allows
    (intake-and-review-only instruments in a recurring slot; a slot whose
    cadence at ``session_interval_days`` breaks a minimum of N days; a
    ``min_interval_days`` entry shorter than the definition's) and, when the
    episode's ``primary`` is given, an instrument no page would show; warns
    when ``RISK_GAP_WARN_DAYS`` or more can pass with no risk item.
    """
    routine = _longest(schedule, "routine", seconds_for)
    review = _longest(schedule, "review", seconds_for)
    intake = _sitting_seconds(due_today(schedule, session_number=1, kind="intake"), seconds_for)
    reflection = sum(seconds_for(key) for key in schedule.get("end_of_session", ()))
    problems = []
    if budget_seconds > ROUTINE_BUDGET_SECONDS:
        problems.append(f"The budget may not exceed {ROUTINE_BUDGET_SECONDS} s.")
    if routine > budget_seconds:
        problems.append(
            f"The routine check-in takes about {routine} s, over the {budget_seconds} s budget."
        )
    if review > REVIEW_BUDGET_SECONDS:
        problems.append(
            f"The review sitting (routine plus review) takes about {review} s, "
            f"over the {REVIEW_BUDGET_SECONDS} s budget."
        )
    if intake > LONG_SITTING_BUDGET_SECONDS:
        problems.append(
            f"The intake sitting takes about {intake} s, over {LONG_SITTING_BUDGET_SECONDS} s."
        )
    if primary is not None:
        problems += _unshown_problems(schedule, primary, secondary)
    problems += _interval_problems(
        schedule, dict(min_interval_days or {}), session_interval_days, interval_for
    )
    gap = risk_gap_days(
        schedule,
        session_interval_days=session_interval_days,
        review_every=review_every,
        risky=risky,
    )
    warnings = []
    if gap is None:
        warnings.append("No instrument in this plan asks about risk (such as PHQ-9 item 9).")
    elif gap >= RISK_GAP_WARN_DAYS:
        warnings.append(
            f"Up to {gap} days can pass with no risk item (PHQ-9 item 9 or similar). "
            "Consider keeping the risk item every session."
        )
    return PlanCheck(
        routine_seconds=routine,
        intake_seconds=intake,
        review_seconds=review,
        problems=tuple(problems),
        warnings=tuple(warnings),
        risk_gap_days=gap,
        end_of_session_seconds=reflection,
    )


def _unshown_problems(
    schedule: Mapping[str, Sequence[str]], primary: str, secondary: str
) -> list[str]:
    """Instruments the plan asks that no page would show (a third symptom measure)."""
    shown = SHOWN_ANYWAY | {primary, secondary}
    asked = dict.fromkeys(key for keys in schedule.values() for key in keys)
    return [
        f"{instrument_title(key)} is neither the primary nor the secondary measure, so no page "
        "would show it to you: take it out of the plan."
        for key in asked
        if key not in shown
    ]


def _interval_problems(
    schedule: Mapping[str, Sequence[str]],
    min_interval_days: Mapping[str, int],
    session_interval_days: int,
    interval_for: Callable[[str], tuple[str, int | None]],
) -> list[str]:
    problems = []
    alternating = set(schedule.get("every_4th_alternating", ()))
    for slot, period in RECURRING_SLOT_PERIOD.items():
        for key in schedule.get(slot, ()):
            kind, days = interval_for(key)
            title = instrument_title(key)
            if kind == "intake_and_reviews" and slot != "risk_item_only":
                problems.append(
                    f"{title} is given at intake and reviews only (every {REVIEW_EVERY}th "
                    f"session and each phase decision): take it out of the {slot} slot."
                )
            elif kind == "days" and days:
                # every_4th alternates with every_4th_alternating when the plan has both.
                sessions_apart = (
                    8 if slot == "every_4th" and alternating and key not in alternating else period
                )
                if sessions_apart * session_interval_days < days:
                    problems.append(
                        f"{title} may be given at most every {days} days; in the {slot} slot "
                        f"it would come every {sessions_apart * session_interval_days} days."
                    )
    for key, days_set in min_interval_days.items():
        kind, days = interval_for(key)
        if kind == "days" and days and days_set < days:
            problems.append(
                f"{instrument_title(key)} needs at least {days} days between administrations."
            )
    return problems


def risk_gap_days(
    schedule: Mapping[str, Sequence[str]],
    *,
    session_interval_days: int = 7,
    review_every: int = REVIEW_EVERY,
    risky: Callable[[str], bool] = has_risk_item,
) -> int | None:
    """The longest run of days between two sessions that ask a risk item, over three
    review cycles; None when no session asks one.

    Session 1 is the intake and every ``review_every``-th session a review; the
    other sessions follow :func:`plusone.core.due.due_today`. A
    ``risk_item_only`` instrument with a risk item covers every session.
    """
    if any(risky(key) for key in schedule.get("risk_item_only", ())):
        return session_interval_days
    horizon = 3 * max(1, review_every)
    asked = []
    for n in range(1, horizon + 1):
        kind = "intake" if n == 1 else "review" if n % max(1, review_every) == 0 else "routine"
        if any(risky(key) for key in due_today(schedule, session_number=n, kind=kind)):
            asked.append(n)
    if not asked:
        return None
    # Trailing sessions with no risk item count too, as if the next one asked it.
    stops = [*asked, horizon + 1]
    gap = max(b - a for a, b in itertools.pairwise(stops))
    return gap * session_interval_days


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
        # Added to the routine sitting; PCL-5 and AUDIT-C only when positive at intake or asked.
        "review": [primary, "pcl5", "auditc"],
    }


def _default_schedule_2026_11(primary: str, secondary: str) -> dict[str, list[str]]:
    """The default plan as intake wrote it until December 2026 (its review slot replaced
    the routine sitting), so a plan saved then is still recognised as untouched."""
    secondary_list = [secondary] if secondary else []
    return {
        **default_schedule(primary, secondary),
        "review": [primary, *secondary_list, "pcl5", "auditc", "personal_goals", "who5"],
    }


def _slots(schedule: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    return {slot: list(keys) for slot, keys in schedule.items() if keys}


def is_default_schedule(
    schedule: Mapping[str, Sequence[str]], primary: str, secondary: str
) -> bool:
    """True when ``schedule`` is the default plan intake wrote (today's or an earlier one),
    so the check-in follows the defaults for the agreed phase."""
    slots = _slots(schedule)
    return any(
        slots == _slots(default(primary, secondary))
        for default in (default_schedule, _default_schedule_2026_11)
    )


def phase_default_schedule(primary: str, secondary: str, phase: str) -> dict[str, list[str]]:
    """DESIGN.md's default plan for the agreed phase.

    In Deepening the primary measure comes every 2nd session (with the
    secondary, or with the 4th-session growth and Felt Change), and PHQ-9
    item 9 (or CORE-10 item 6) is kept every session, asked alone when the
    instrument is not due. Every
    other phase uses :func:`default_schedule`.
    """
    schedule = default_schedule(primary, secondary)
    if phase != "deepening":
        schedule["risk_item_only"] = []
        return schedule
    secondary_list = [secondary] if secondary else []
    schedule.update(
        {
            "routine": ["personal_goals"],
            "alternate": [primary, *secondary_list],
            "every_4th": [primary, "swls", "felt_change"],
            "every_4th_alternating": [primary, "who5", "felt_change"],
            # CORE-10 item 6 is the licensed pack's risk item, kept the same way.
            "risk_item_only": [k for k in (primary, secondary) if k in ("phq9", "core10")][:1],
        }
    )
    return schedule
