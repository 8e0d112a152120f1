"""Which instruments a check-in asks today, within the burden budget.

Pure functions over a plan's schedule (see :mod:`plusone.clinical.plans`) and
per-instrument seconds, so the rules are testable without a database.
DESIGN.md, "Burden" and "Default plan".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

ROUTINE_BUDGET_SECONDS = 180
LONG_SITTING_BUDGET_SECONDS = 600
# The Session Reflection is its own end-of-session sitting, never in the check-in;
# therapist and observer forms are not the client's.
NOT_IN_CHECKIN = frozenset({"session_reflection", "therapist_rating", "observed_change"})


def due_today(
    schedule: Mapping[str, Sequence[str]], *, session_number: int, kind: str = "routine"
) -> list[str]:
    """The schedule's instruments for the n-th session (1-based), in order, without repeats.

    Intake and review sessions take their own slot. Otherwise: the routine slot
    every session; on every 4th session ``every_4th`` (alternating with
    ``every_4th_alternating`` when the plan has it) instead of ``alternate``;
    on other even sessions ``alternate``.
    """
    n = max(1, session_number)
    if kind in ("intake", "review") and schedule.get(kind):
        keys = list(schedule[kind])
    else:
        keys = list(schedule.get("routine", ()))
        if n % 4 == 0:
            alternating = schedule.get("every_4th_alternating")
            use_alternate = bool(alternating) and (n // 4) % 2 == 0
            keys += list(
                alternating if use_alternate and alternating else schedule.get("every_4th", ())
            )
        elif n % 2 == 0:
            keys += list(schedule.get("alternate", ()))
    return [k for k in dict.fromkeys(keys) if k not in NOT_IN_CHECKIN]


def fit_budget(
    due: Sequence[str],
    carried_over: Sequence[str],
    seconds: Callable[[str], float],
    *,
    budget: float = ROUTINE_BUDGET_SECONDS,
) -> tuple[list[str], list[str]]:
    """Split instruments into (asked today, rolled on to the next session).

    Today's due instruments come first, in order, and are never dropped; those
    carried over from a skipped check-in follow while they fit the budget, and
    the rest roll on again.
    """
    asked = [k for k in dict.fromkeys(due) if k not in NOT_IN_CHECKIN]
    used = sum(seconds(k) for k in asked)
    rolled: list[str] = []
    for key in dict.fromkeys(carried_over):
        if key in asked or key in NOT_IN_CHECKIN:
            continue
        if used + seconds(key) <= budget:
            asked.append(key)
            used += seconds(key)
        else:
            rolled.append(key)
    return asked, rolled
