"""Which instruments a check-in asks today, within the burden budget.

Pure functions over a plan's schedule (see :mod:`plusone.clinical.plans`) and
per-instrument seconds, so the rules are testable without a database.
DESIGN.md, "Burden" and "Default plan".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

ROUTINE_BUDGET_SECONDS = 180
# The whole review sitting, routine plus review (DESIGN.md, Burden: the review budget).
REVIEW_BUDGET_SECONDS = 300
# The intake: at most 10 minutes, which can be split (the draft survives a reload).
LONG_SITTING_BUDGET_SECONDS = 600
# The client's own words, which open every check-in, in this order (DESIGN.md, Burden).
OWN_WORDS = ("personal_goals", "felt_change")
# The Session Reflection is its own end-of-session sitting, never in the check-in;
# therapist and observer forms are not the client's.
NOT_IN_CHECKIN = frozenset({"session_reflection", "therapist_rating", "observed_change"})
# A check-in group that asks only an instrument's risk item is "<key>-risk" (e.g. "phq9-risk").
RISK_SUFFIX = "-risk"


def risk_key(key: str) -> str:
    """The group key that asks only the risk item of instrument ``key``."""
    return f"{key}{RISK_SUFFIX}"


def split_key(group: str) -> tuple[str, bool]:
    """(instrument key, True when the group asks only its risk item)."""
    if group.endswith(RISK_SUFFIX):
        return group[: -len(RISK_SUFFIX)], True
    return group, False


def own_words_first(keys: Sequence[str]) -> list[str]:
    """``keys`` without repeats, the client's own words (goals, then Felt Change) first and
    every other group after them in their order (DESIGN.md, Burden: own words first)."""
    unique = list(dict.fromkeys(keys))
    return [k for k in OWN_WORDS if k in unique] + [k for k in unique if k not in OWN_WORDS]


def due_today(
    schedule: Mapping[str, Sequence[str]], *, session_number: int, kind: str = "routine"
) -> list[str]:
    """The schedule's instruments for the n-th session (1-based), own words first, no repeats.

    The routine slot every session; on every 4th session ``every_4th``
    (alternating with ``every_4th_alternating`` when the plan has it) instead of
    ``alternate``; on other even sessions ``alternate``. An intake or review
    sitting adds its own slot to that routine one and never displaces it (so a
    review on a 4th session keeps Felt Change and the growth measure). Each
    ``risk_item_only`` instrument that is not due in full adds its risk item
    alone (``"<key>-risk"``).
    """
    n = max(1, session_number)
    keys = list(schedule.get("routine", ()))
    if n % 4 == 0:
        alternating = schedule.get("every_4th_alternating")
        use_alternate = bool(alternating) and (n // 4) % 2 == 0
        keys += list(
            alternating if use_alternate and alternating else schedule.get("every_4th", ())
        )
    elif n % 2 == 0:
        keys += list(schedule.get("alternate", ()))
    if kind in ("intake", "review"):
        keys += list(schedule.get(kind, ()))
    asked = [k for k in dict.fromkeys(keys) if k not in NOT_IN_CHECKIN]
    # DESIGN.md, Default plan: PHQ-9 item 9 is kept every session, on its own when PHQ-9 is not due.
    asked += [risk_key(k) for k in schedule.get("risk_item_only", ()) if k not in asked]
    return own_words_first(asked)


def fit_budget(
    due: Sequence[str],
    carried_over: Sequence[str],
    seconds: Callable[[str], float],
    *,
    budget: float = ROUTINE_BUDGET_SECONDS,
    optional: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Split instruments into (asked today, rolled on to the next session).

    Today's due instruments are never dropped. Then, while they fit the budget,
    ``optional`` ones (a review's own additions to the routine sitting) and
    those carried over from a skipped check-in join; the rest roll on. The
    result opens with the client's own words.
    """
    asked = [k for k in dict.fromkeys(due) if k not in NOT_IN_CHECKIN]
    used = sum(seconds(k) for k in asked)
    rolled: list[str] = []
    for key in dict.fromkeys([*optional, *carried_over]):
        # A lone risk item belongs to its own session; the next one asks its own.
        if key in asked or key in rolled or key in NOT_IN_CHECKIN or split_key(key)[1]:
            continue
        if used + seconds(key) <= budget:
            asked.append(key)
            used += seconds(key)
        else:
            rolled.append(key)
    # The whole instrument asks its risk item anyway.
    asked = [k for k in asked if not (split_key(k)[1] and split_key(k)[0] in asked)]
    return own_words_first(asked), rolled
