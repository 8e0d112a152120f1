"""The therapist-only alerts: not progressing, deterioration and possible rupture (DESIGN.md).

Part of the rule engine (``plusone.core.propose``). A possible rupture that
is open holds the forward proposals ("repair first").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from plusone.core.history import Reflection, RuptureLog, TherapistRating
from plusone.core.instruments import load_instrument
from plusone.core.lanes import Ctx, fmt, mean
from plusone.core.measure_info import MeasureInfo
from plusone.core.policy import Policy

Alert = Literal["not_progressing", "deterioration", "possible_rupture"]
ALERTS: tuple[Alert, ...] = ("not_progressing", "deterioration", "possible_rupture")


@dataclass(frozen=True)
class Series:
    """The primary measure's administrations as the rules count them."""

    scores: tuple[float, ...]
    days: tuple[int, ...]
    dates: tuple[date, ...]
    risk: tuple[int, ...]


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def symptom_alerts(
    s: Series, info: MeasureInfo, usable: bool, policy: Policy, ctx: Ctx
) -> list[Alert]:
    """Not progressing and deterioration, on the primary measure only."""
    out: list[Alert] = []
    n = len(s.scores)
    if not usable or n == 0 or info.cutoff is None or info.rc_points is None:
        return out
    rc, sign = info.rc_points, info.sign
    intake, last = s.scores[0], s.scores[-1]
    improvement = (intake - last) * sign
    if (
        n >= policy.not_progressing_from
        and not info.below_cutoff(intake)
        and improvement < rc
        and not info.below_cutoff(last)
    ):
        out.append("not_progressing")
        ctx.say(
            f"Alert not progressing: {ordinal(n)} administration, intake {fmt(intake)} ≥ "
            f"{fmt(info.cutoff)}, change {fmt(improvement)} < {rc} points, latest {fmt(last)} ≥ "
            f"{fmt(info.cutoff)}."
        )
    if n >= 2 and not info.below_cutoff(last):
        lookback = s.scores[max(0, n - 1 - policy.deterioration_lookback) : n - 1]
        best = max(lookback, key=lambda x: -x * sign)
        if (last - intake) * sign >= rc:
            out.append("deterioration")
            ctx.say(
                f"Alert deterioration: {info.title} rose {fmt(intake)} → {fmt(last)} from intake "
                f"(reliable: ≥ {rc} points), at or above cutoff {fmt(info.cutoff)}."
            )
        elif (last - best) * sign >= rc:
            out.append("deterioration")
            ctx.say(
                f"Alert deterioration: {info.title} {fmt(last)} is ≥ {rc} points worse than "
                f"the best ({fmt(best)}) of the {len(lookback)} before it, at or above cutoff "
                f"{fmt(info.cutoff)}."
            )
    return out


# The Session Reflection's rated items, in order, as its definition file lists them: the one
# source for the rupture rule, the batch path's item columns and the apps that read answers.
_REFLECTION = load_instrument("session_reflection")
REFLECTION_ITEMS: tuple[str, ...] = _REFLECTION.scored_item_ids
ITEM_NAMES = tuple(f"'{_REFLECTION.item(i).text}'" for i in REFLECTION_ITEMS)


def possible_rupture(
    reflections: Sequence[Reflection],
    ratings: Sequence[TherapistRating],
    logs: Sequence[RuptureLog],
    today: date,
    policy: Policy,
    ctx: Ctx,
) -> bool:
    """A possible rupture that is open now: signalled and not resolved by a logged repair.

    The signals are those of the latest Session Reflection (within
    ``lane_max_age_weeks``): an item at or below ``rupture_item_max``, the
    free-text line answered, the therapist's rating of an item at least
    ``congruence_gap`` above the client's on the same day (absolute rules), and
    from the ``rupture_relative_from``-th reflection the score at or below the
    median of the previous ones minus ``rupture_drop``; and any logged rupture.
    A repair logged on or after a signal's day resolves it.
    """
    past_logs = sorted((lg for lg in logs if lg.date <= today), key=lambda lg: lg.date)
    repairs = [lg.date for lg in past_logs if lg.kind == "repair"]
    last_repair = repairs[-1] if repairs else None
    open_ = False
    for lg in past_logs:
        if lg.kind == "rupture" and (last_repair is None or last_repair < lg.date):
            ctx.say(
                f"Alert possible rupture: a rupture logged on {lg.date.isoformat()}, "
                "with no repair logged since."
            )
            open_ = True
            break
    past = sorted((r for r in reflections if r.completed <= today), key=lambda r: r.completed)
    if not past:
        return open_
    last = past[-1]
    if (today - last.completed).days > policy.lane_max_age_days:
        ctx.say(
            f"Session Reflection: unknown (none in the last {policy.lane_max_age_weeks} weeks)."
        )
        return open_
    reasons = _reflection_signals(past, ratings, policy)
    if not reasons:
        return open_
    if last_repair is not None and last_repair >= last.completed:
        ctx.say(
            f"Session Reflection on {last.completed.isoformat()}: "
            + "; ".join(reasons)
            + f"; resolved by the repair logged on {last_repair.isoformat()}."
        )
        return open_
    ctx.say(
        f"Alert possible rupture: Session Reflection on {last.completed.isoformat()}: "
        + "; ".join(reasons)
        + "."
    )
    return True


def _reflection_signals(
    past: Sequence[Reflection], ratings: Sequence[TherapistRating], policy: Policy
) -> list[str]:
    last = past[-1]
    items = [x for x in last.items if x is not None]
    reasons: list[str] = []
    low = [x for x in items if x <= policy.rupture_item_max]
    if low:
        reasons.append(f"an item at {fmt(min(low))} ≤ {fmt(policy.rupture_item_max)}")
    if last.free_text:
        reasons.append("'Anything that didn't sit right today?' answered")
    # The therapist's blind spot: their rating of an item well above the client's, same session.
    same_day = [r for r in ratings if r.completed == last.completed]
    if same_day:
        theirs = same_day[-1].items
        for i, (client_item, therapist_item) in enumerate(zip(last.items, theirs, strict=False)):
            if client_item is None or therapist_item is None:
                continue
            if therapist_item - client_item >= policy.congruence_gap:
                name = ITEM_NAMES[i] if i < len(ITEM_NAMES) else f"item {i + 1}"
                reasons.append(
                    f"the therapist rated {name} {fmt(therapist_item)}, ≥ "
                    f"{fmt(policy.congruence_gap)} above the client's {fmt(client_item)}"
                )
                break
    position = len(past)
    if position >= policy.rupture_relative_from and items:
        score = mean(items)
        previous = [
            mean([x for x in r.items if x is not None])
            for r in past[-1 - policy.rupture_median_of : -1]
            if any(x is not None for x in r.items)
        ]
        if previous:
            med = statistics.median(previous)
            if score <= med - policy.rupture_drop:
                reasons.append(
                    f"score {score:.1f} ≤ median {fmt(med)} of the previous {len(previous)} "
                    f"minus {fmt(policy.rupture_drop)}"
                )
    return reasons
