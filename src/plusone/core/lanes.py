"""The own-words and growth lanes as the rules read them: goals, Felt Change, growth.

Part of the rule engine (``plusone.core.propose``); every sentence goes into
the trace, and every threshold comes from ``Policy``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from plusone.core.history import Administration, FeltChange, GoalRating
from plusone.core.measure_info import MeasureInfo, growth_points, measure_info
from plusone.core.policy import Policy


def fmt(x: float) -> str:
    """A score as people write it: 7, 7.5."""
    return f"{x:g}" if x == int(x) or abs(x) >= 100 else f"{x:.1f}".rstrip("0").rstrip(".")


def mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


@dataclass
class Ctx:
    """Working state for one evaluation: the trace and the named rule results."""

    trace: list[str] = field(default_factory=list)
    rules: dict[str, bool] = field(default_factory=dict)

    def say(self, sentence: str) -> None:
        self.trace.append(sentence)


def baseline_index(dates: Sequence[date], since: date | None) -> int | None:
    """The baseline: the first, or after a decision the last on or before ``since``, else first."""
    if not dates:
        return None
    if since is None:
        return 0
    before = [i for i, d in enumerate(dates) if d <= since]
    return before[-1] if before else 0


@dataclass(frozen=True)
class Goals:
    known: bool
    mean: float | None
    up: bool | None


def goals(
    ratings: Sequence[GoalRating],
    inactive: Sequence[str],
    today: date,
    policy: Policy,
    ctx: Ctx,
) -> Goals:
    """The goals score: the mean of the latest rating of each active goal's current version."""
    active = [g for g in ratings if g.goal_id not in inactive and g.completed <= today]
    if not active:
        ctx.say("Goals: unknown (no goal ratings).")
        return Goals(False, None, None)
    current_version: dict[str, int] = {}
    for g in active:
        current_version[g.goal_id] = max(current_version.get(g.goal_id, g.version), g.version)
    # A rating stays with the version it was given under: only the current version's count.
    current = sorted(
        (g for g in active if g.version == current_version[g.goal_id]),
        key=lambda g: g.completed,
    )
    latest: dict[str, GoalRating] = {}
    first: dict[str, GoalRating] = {}
    for g in current:
        latest[g.goal_id] = g
        first.setdefault(g.goal_id, g)
    newest = max(g.completed for g in latest.values())
    if (today - newest).days > policy.lane_max_age_days:
        ctx.say(
            f"Goals: unknown (no rating in the last {policy.lane_max_age_weeks} weeks; "
            f"latest {newest.isoformat()})."
        )
        return Goals(False, None, None)
    # Goals in their position order (then first rated); the id is never shown.
    order = sorted(
        latest,
        key=lambda k: (
            latest[k].position if latest[k].position is not None else 10**6,
            first[k].completed,
        ),
    )
    m = mean([latest[k].rating for k in order])
    m0 = mean([first[k].rating for k in order])
    listed = ", ".join(
        f"'{_goal_name(latest[k], i)}' {fmt(latest[k].rating)}" for i, k in enumerate(order, 1)
    )
    cmp = "≥" if m >= policy.goal_mark else "<"
    ctx.say(f"Goals: {listed}; mean {m:.1f} {cmp} {fmt(policy.goal_mark)}.")
    up = m - m0 >= policy.goal_rc_points
    ctx.say(
        f"Goals moved {m0:.1f} → {m:.1f} since the first ratings "
        f"({'reliably up' if up else 'not reliably up'}: ≥ {fmt(policy.goal_rc_points)} points)."
    )
    return Goals(True, m, up)


def _goal_name(g: GoalRating, index: int) -> str:
    if g.label.strip():
        return g.label.strip()
    return f"goal {g.position if g.position is not None else index}"


def latest_felt(
    felt: Sequence[FeltChange], today: date, policy: Policy
) -> tuple[FeltChange | None, bool]:
    past = [f for f in felt if f.completed <= today]
    if not past:
        return None, False
    # The last in completed order; on a tie, the one given last.
    last = sorted(past, key=lambda f: f.completed)[-1]
    return last, (today - last.completed).days <= policy.lane_max_age_days


@dataclass(frozen=True)
class Growth:
    known: bool
    up: bool


def growth(
    admins: Sequence[Administration],
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: Ctx,
    since: date | None = None,
) -> Growth:
    """Growth reliably up, each growth measure judged on its own age (DESIGN.md, rule terms).

    A measure counts (is "known") when it has sourced RC parameters, at least 2
    administrations from its baseline (the first; for Deepening the last on or
    before the decision, else the first after it), and its latest within
    ``lane_max_age_weeks``. Growth is known when one measure counts; it is up
    when one counting measure is reliably up and none is reliably down.
    """
    lane = [
        a
        for a in admins
        if a.instrument in policy.growth_instruments
        and a.completed <= today
        and a.valid
        and a.total is not None
    ]
    known = up_any = down_any = False
    for key in policy.growth_instruments:
        series = sorted((a for a in lane if a.instrument == key), key=lambda a: a.completed)
        if not series:
            continue
        info = infos.get(key) or measure_info(key)
        points, label = growth_points(key, info, policy)
        if points is None:
            ctx.say(f"Growth: {info.title} has no RC parameters and does not count.")
            continue
        base_i = baseline_index([a.completed for a in series], since)
        if base_i is None or len(series) - base_i < 2:
            ctx.say(f"Growth: {info.title} has fewer than 2 administrations to compare.")
            continue
        latest = series[-1].completed
        if (today - latest).days > policy.lane_max_age_days:
            ctx.say(
                f"Growth: {info.title}'s latest is from {latest.isoformat()}, older than "
                f"{policy.lane_max_age_weeks} weeks; it does not count."
            )
            continue
        known = True
        base, last = series[base_i].total, series[-1].total
        assert base is not None and last is not None
        change = (base - last) * info.sign
        if change >= points:
            up_any = True
            verdict = "reliably up" if not label else "up"
        elif -change >= points:
            down_any = True
            verdict = "reliably down" if not label else "down"
        else:
            verdict = "not reliable" if not label else "not changed enough"
        rule = label or f"≥ {points} points"
        ctx.say(f"Growth: {info.title} {fmt(base)} → {fmt(last)} ({verdict}: {rule}).")
    if not known:
        ctx.say(
            "Growth: unknown (no growth measure with RC parameters has 2 administrations with "
            f"the latest in the last {policy.lane_max_age_weeks} weeks)."
        )
        return Growth(False, False)
    if up_any and down_any:
        ctx.say("Growth: not reliably up, because another growth measure is reliably down.")
    return Growth(True, up_any and not down_any)
