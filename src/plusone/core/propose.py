"""The rule engine: from one client's history to a proposal, alerts and a trace.

DESIGN.md, "The model, made measurable", is the specification; every
threshold comes from ``Policy``. The system only proposes: ``question`` is
worded as a question for therapist and client to answer together, and the
``trace`` gives the therapist every rule result with its numbers.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from plusone.core.gains import sudden_gains
from plusone.core.history import (
    Administration,
    ClientHistory,
    Decision,
    FeltChange,
    GoalRating,
    Phase,
    Plan,
    Reflection,
)
from plusone.core.policy import Policy
from plusone.core.trend import is_flat

Kind = Literal[
    "stabilizing",
    "plus_one",
    "good_enough_ending",
    "stalled_review",
    "deepening_or_ending",
    "consolidating",
    "ending",
    "spike_exit",
    "none",
]
KINDS: tuple[Kind, ...] = (
    "stabilizing",
    "plus_one",
    "good_enough_ending",
    "stalled_review",
    "deepening_or_ending",
    "consolidating",
    "ending",
    "spike_exit",
    "none",
)
Alert = Literal["not_progressing", "deterioration", "possible_rupture"]
ALERTS: tuple[Alert, ...] = ("not_progressing", "deterioration", "possible_rupture")

PHASE_NAMES: dict[str | None, str] = {
    None: "none yet (treated as Stabilizing)",
    "stabilizing": "Stabilizing",
    "plus_one": "+1 threshold",
    "deepening": "Deepening",
    "consolidating": "Consolidating",
    "ending": "Ending",
}

# Plain words for what a primary measure tracks, used in client-facing questions.
LANE_WORDS: dict[str, str] = {
    "phq9": "Low mood",
    "gad7": "Worry",
    "core10": "Distress",
    "k10": "Distress",
    "phq4": "Low mood and worry",
}


@dataclass(frozen=True)
class MeasureInfo:
    """What the rules need to know about an instrument.

    ``severe`` is the (min, max) of the instrument's severe (top) band.
    ``rc_points`` is None when the instrument has no sourced RC parameters.
    """

    key: str
    title: str
    direction: Literal["lower", "higher"] = "lower"
    cutoff: float | None = None
    rc_points: int | None = None
    severe: tuple[float, float] | None = None

    @property
    def sign(self) -> float:
        """+1 when a fall in the raw score is an improvement."""
        return 1.0 if self.direction == "lower" else -1.0

    def below_cutoff(self, total: float) -> bool:
        """On the better side of the cutoff (strictly; a score at the cutoff is clinical)."""
        assert self.cutoff is not None
        return total < self.cutoff if self.direction == "lower" else total > self.cutoff

    def in_severe(self, total: float) -> bool:
        return self.severe is not None and self.severe[0] <= total <= self.severe[1]


@functools.cache
def _instrument_infos() -> dict[str, MeasureInfo]:
    from plusone.core.instruments import all_instruments

    out: dict[str, MeasureInfo] = {}
    for key, inst in all_instruments().items():
        severe_bands = [b for b in inst.bands if b.severe]
        severe = (severe_bands[-1].min, severe_bands[-1].max) if severe_bands else None
        out[key] = MeasureInfo(
            key=key,
            title=inst.short_title or inst.title,
            direction=inst.direction,
            cutoff=inst.cutoff,
            rc_points=inst.rc.points if inst.rc is not None else None,
            severe=severe,
        )
    return out


def measure_info(key: str) -> MeasureInfo:
    """MeasureInfo for an instrument key from its data file (unknown keys get no parameters)."""
    return _instrument_infos().get(key, MeasureInfo(key=key, title=key))


@dataclass(frozen=True)
class OpenRisk:
    """An open risk flag as the proposal reports it."""

    instrument: str
    item_id: str
    grade: int
    opened: date


@dataclass(frozen=True)
class Proposal:
    """What the system proposes now, for therapist and client to decide on together.

    ``kind`` is the proposal (``"none"`` when there is nothing to propose),
    ``phase`` the agreed phase now (None = none yet), ``question`` the
    proposal worded as a question (None with no proposal), ``trace`` the rule
    results as plain sentences, ``alerts`` the therapist-only alerts,
    ``risk`` the open risk flags, ``spike_review`` a single spike in Deepening.
    """

    kind: Kind
    phase: Phase | None
    question: str | None
    trace: tuple[str, ...]
    alerts: tuple[Alert, ...] = ()
    risk: tuple[OpenRisk, ...] = ()
    spike_review: bool = False
    rules: Mapping[str, bool] = field(default_factory=dict)


def _n(x: float) -> str:
    """A score as people write it: 7, 7.5."""
    return f"{x:g}" if x == int(x) or abs(x) >= 100 else f"{x:.1f}".rstrip("0").rstrip(".")


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


@dataclass
class _Ctx:
    """Working state for one evaluation: the trace and the named rule results."""

    trace: list[str]
    rules: dict[str, bool]

    def say(self, sentence: str) -> None:
        self.trace.append(sentence)


@dataclass(frozen=True)
class _Series:
    """The primary measure's administrations as the rules count them."""

    scores: tuple[float, ...]
    days: tuple[int, ...]
    dates: tuple[date, ...]
    risk: tuple[int, ...]


def primary_series(
    admins: Iterable[Administration], key: str, today: date
) -> tuple[_Series, list[date]]:
    """Valid (or prorated) administrations of ``key`` up to today, in completed order.

    When several fall on one day the last counts. Returns the series and the
    dates of the invalid administrations that were skipped.
    """
    chosen: dict[date, Administration] = {}
    skipped: list[date] = []
    for a in sorted(
        (a for a in admins if a.instrument == key and a.completed <= today),
        key=lambda a: a.completed,
    ):
        if not a.valid or a.total is None:
            skipped.append(a.completed)
            continue
        chosen[a.completed] = a
    ordered = [chosen[d] for d in sorted(chosen)]
    return (
        _Series(
            scores=tuple(float(a.total) for a in ordered if a.total is not None),
            days=tuple(a.completed.toordinal() for a in ordered),
            dates=tuple(a.completed for a in ordered),
            risk=tuple(a.risk_grade for a in ordered),
        ),
        skipped,
    )


def current_phase(decisions: Iterable[Decision], today: date) -> tuple[Phase | None, date | None]:
    """The agreed phase now and the date of the decision that set it."""
    phase: Phase | None = None
    since: date | None = None
    for d in sorted((d for d in decisions if d.kind == "change"), key=lambda d: d.date):
        if d.date <= today:
            phase, since = d.phase, d.date
    return phase, since


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


# --- the own-words and growth lanes ------------------------------------------------


@dataclass(frozen=True)
class _Goals:
    known: bool
    mean: float | None
    up: bool | None


def _goals(
    ratings: Sequence[GoalRating],
    inactive: Sequence[str],
    today: date,
    policy: Policy,
    ctx: _Ctx,
) -> _Goals:
    active = [g for g in ratings if g.goal_id not in inactive and g.completed <= today]
    if not active:
        ctx.say("Goals: unknown (no goal ratings).")
        return _Goals(False, None, None)
    current_version: dict[str, int] = {}
    for g in active:
        current_version[g.goal_id] = max(current_version.get(g.goal_id, g.version), g.version)
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
        return _Goals(False, None, None)
    order = sorted(latest)
    mean = _mean([latest[k].rating for k in order])
    mean0 = _mean([first[k].rating for k in order])
    listed = ", ".join(f"'{latest[k].label or k}' {_n(latest[k].rating)}" for k in order)
    cmp = "≥" if mean >= policy.goal_mark else "<"
    ctx.say(f"Goals: {listed}; mean {mean:.1f} {cmp} {_n(policy.goal_mark)}.")
    up = mean - mean0 >= policy.goal_rc_points
    ctx.say(
        f"Goals moved {mean0:.1f} → {mean:.1f} since the first ratings "
        f"({'reliably up' if up else 'not reliably up'}: ≥ {_n(policy.goal_rc_points)} points)."
    )
    return _Goals(True, mean, up)


def _latest_felt(
    felt: Sequence[FeltChange], today: date, policy: Policy
) -> tuple[FeltChange | None, bool]:
    past = [f for f in felt if f.completed <= today]
    if not past:
        return None, False
    # The last in completed order; on a tie, the one given last.
    last = sorted(past, key=lambda f: f.completed)[-1]
    return last, (today - last.completed).days <= policy.lane_max_age_days


@dataclass(frozen=True)
class _Growth:
    known: bool
    up: bool


def _growth(
    admins: Sequence[Administration],
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: _Ctx,
    since: date | None = None,
) -> _Growth:
    """Growth reliably up: from the episode's first administration, or from Deepening's baseline."""
    lane = [
        a
        for a in admins
        if a.instrument in policy.growth_instruments
        and a.completed <= today
        and a.valid
        and a.total is not None
    ]
    if not lane or (today - max(a.completed for a in lane)).days > policy.lane_max_age_days:
        ctx.say(
            f"Growth: unknown (no growth measure in the last {policy.lane_max_age_weeks} weeks)."
        )
        return _Growth(False, False)
    up_any = False
    down_any = False
    for key in policy.growth_instruments:
        series = sorted((a for a in lane if a.instrument == key), key=lambda a: a.completed)
        if not series:
            continue
        info = infos.get(key) or measure_info(key)
        if info.rc_points is None:
            ctx.say(f"Growth: {info.title} has no RC parameters and does not count.")
            continue
        base_i = _baseline_index([a.completed for a in series], since)
        if base_i is None or len(series) - base_i < 2:
            ctx.say(f"Growth: {info.title} has fewer than 2 administrations to compare.")
            continue
        base, last = series[base_i].total, series[-1].total
        assert base is not None and last is not None
        change = (base - last) * info.sign
        if change >= info.rc_points:
            up_any = True
            verdict = "reliably up"
        elif -change >= info.rc_points:
            down_any = True
            verdict = "reliably down"
        else:
            verdict = "not reliable"
        ctx.say(
            f"Growth: {info.title} {_n(base)} → {_n(last)} ({verdict}: ≥ {info.rc_points} points)."
        )
    up = up_any and not down_any
    if up_any and down_any:
        ctx.say("Growth: not reliably up, because another growth measure is reliably down.")
    return _Growth(True, up)


def _baseline_index(dates: Sequence[date], since: date | None) -> int | None:
    """The baseline: the first, or for Deepening the last on or before ``since``, else the first."""
    if not dates:
        return None
    if since is None:
        return 0
    before = [i for i, d in enumerate(dates) if d <= since]
    return before[-1] if before else 0


# --- alerts -------------------------------------------------------------------------


def _rupture(reflections: Sequence[Reflection], today: date, policy: Policy, ctx: _Ctx) -> bool:
    past = sorted((r for r in reflections if r.completed <= today), key=lambda r: r.completed)
    if not past:
        return False
    last = past[-1]
    if (today - last.completed).days > policy.lane_max_age_days:
        ctx.say(
            f"Session Reflection: unknown (none in the last {policy.lane_max_age_weeks} weeks)."
        )
        return False
    items = [x for x in last.items if x is not None]
    reasons: list[str] = []
    low = [x for x in items if x <= policy.rupture_item_max]
    if low:
        reasons.append(f"an item at {_n(min(low))} ≤ {_n(policy.rupture_item_max)}")
    if last.free_text:
        reasons.append("'Anything that didn't sit right today?' answered")
    position = len(past)
    if position >= policy.rupture_relative_from and items:
        score = _mean(items)
        previous = [
            _mean([x for x in r.items if x is not None])
            for r in past[-1 - policy.rupture_median_of : -1]
            if any(x is not None for x in r.items)
        ]
        if previous:
            med = statistics.median(previous)
            if score <= med - policy.rupture_drop:
                reasons.append(
                    f"score {score:.1f} ≤ median {_n(med)} of the previous {len(previous)} "
                    f"minus {_n(policy.rupture_drop)}"
                )
    if reasons:
        ctx.say(
            f"Alert possible rupture: Session Reflection on {last.completed.isoformat()}: "
            + "; ".join(reasons)
            + "."
        )
        return True
    return False


def _alerts(
    s: _Series,
    info: MeasureInfo,
    known: bool,
    policy: Policy,
    ctx: _Ctx,
) -> list[Alert]:
    out: list[Alert] = []
    n = len(s.scores)
    if not known or n == 0 or info.cutoff is None or info.rc_points is None:
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
            f"Alert not progressing: {_ordinal(n)} administration, intake {_n(intake)} ≥ "
            f"{_n(info.cutoff)}, change {_n(improvement)} < {rc} points, latest {_n(last)} ≥ "
            f"{_n(info.cutoff)}."
        )
    if n >= 2 and not info.below_cutoff(last):
        lookback = s.scores[max(0, n - 1 - policy.deterioration_lookback) : n - 1]
        best = max(lookback, key=lambda x: -x * sign)
        if (last - intake) * sign >= rc:
            out.append("deterioration")
            ctx.say(
                f"Alert deterioration: {info.title} rose {_n(intake)} → {_n(last)} from intake "
                f"(reliable: ≥ {rc} points), at or above cutoff {_n(info.cutoff)}."
            )
        elif (last - best) * sign >= rc:
            out.append("deterioration")
            ctx.say(
                f"Alert deterioration: {info.title} {_n(last)} is ≥ {rc} points worse than "
                f"the best ({_n(best)}) of the {len(lookback)} before it, at or above cutoff "
                f"{_n(info.cutoff)}."
            )
    return out


# --- the proposal -------------------------------------------------------------------


def _below_run(s: _Series, info: MeasureInfo) -> tuple[int, int]:
    """The unbroken below-cutoff run ending at the latest: (administrations, days spanned)."""
    count = 0
    for x in reversed(s.scores):
        if not info.below_cutoff(x):
            break
        count += 1
    if count == 0:
        return 0, 0
    return count, s.days[-1] - s.days[-count]


def propose(
    history: ClientHistory,
    *,
    decisions: Sequence[Decision] | None = None,
    plan: Plan | None = None,
    today: date,
    policy: Policy | None = None,
    measures: Mapping[str, MeasureInfo] | None = None,
) -> Proposal:
    """The proposal DESIGN.md's phase table allows now, with alerts, open risk and a trace.

    ``decisions`` default to ``history.decisions``; ``plan.primary`` overrides
    ``history.primary``; ``measures`` overrides instrument parameters (the web
    app may pass a cached mapping; tests pass hand-built ones).
    """
    policy = policy or Policy()
    decisions = history.decisions if decisions is None else tuple(decisions)
    key = (plan.primary if plan and plan.primary else None) or history.primary
    infos: Mapping[str, MeasureInfo] = measures if measures is not None else _instrument_infos()
    info = infos.get(key) or MeasureInfo(key=key, title=key)
    ctx = _Ctx(trace=[], rules={})
    phase, since = current_phase(decisions, today)
    ctx.say(
        f"Agreed phase: {PHASE_NAMES[phase]}" + (f" since {since.isoformat()}." if since else ".")
    )

    s, skipped = primary_series(history.administrations, key, today)
    for d in skipped:
        ctx.say(f"Skipped an invalid {info.title} administration on {d.isoformat()}.")
    n = len(s.scores)
    rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
    if rc is None:
        ctx.say(f"{info.title} has no RC parameters: reliable-change criteria are unknown.")
    if cutoff is None:
        ctx.say(f"{info.title} has no cutoff: cutoff criteria are unknown.")
    known = n > 0 and (today - s.dates[-1]).days <= policy.lane_max_age_days
    if n == 0:
        ctx.say(f"{info.title}: no valid administrations yet.")
    else:
        ctx.say(
            f"{info.title}: {n} administration(s); intake {_n(s.scores[0])} on "
            f"{s.dates[0].isoformat()}, latest {_n(s.scores[-1])} on {s.dates[-1].isoformat()}."
        )
        if not known:
            ctx.say(
                f"{info.title}: unknown (no administration in the last "
                f"{policy.lane_max_age_weeks} weeks); symptom rules and alerts cannot match."
            )
    usable = known and rc is not None and cutoff is not None

    # Symptom facts shared by several rules.
    improved = False
    below_last2 = False
    flat = False
    if usable and rc is not None and cutoff is not None:
        intake, last = s.scores[0], s.scores[-1]
        change = (intake - last) * sign
        improved = change >= rc
        if n >= 2:
            verb = "fell" if last < intake else "rose" if last > intake else "stayed at"
            quality = (
                f"reliable: ≥ {rc} points" if abs(change) >= rc else f"not reliable: < {rc} points"
            )
            ctx.say(f"{info.title} {verb} {_n(intake)} → {_n(last)} ({quality}).")
        below_last2 = n >= 2 and info.below_cutoff(s.scores[-1]) and info.below_cutoff(s.scores[-2])
        tail = ", ".join(_n(x) for x in s.scores[-2:])
        ctx.say(
            f"{info.title} {'below' if below_last2 else 'not below'} cutoff {_n(cutoff)} on the "
            f"last 2 administrations ({tail})."
        )
        gains = sudden_gains(s.scores, crit1=rc, better=info.direction)
        fr = is_flat(
            s.scores,
            [d - s.days[0] for d in s.days],
            rc_points=rc,
            k=policy.k,
            min_days=policy.window_days,
            gains_post_indices=[g.post_index for g in gains],
        )
        flat = fr.flat is True
        ctx.say(f"{info.title}: {fr.reason}.")
    ctx.rules.update(improved=improved, below_last2=below_last2, flat=flat)

    alerts = _alerts(s, info, usable, policy, ctx)
    if _rupture(history.reflections, today, policy, ctx):
        alerts.append("possible_rupture")
    risk = tuple(
        OpenRisk(f.instrument, f.item_id, f.grade, f.opened)
        for f in sorted(history.risk_flags, key=lambda f: f.opened)
        if f.is_open(today)
    )
    for r in risk:
        ctx.say(
            f"Risk: open flag ({r.instrument} {r.item_id}, grade {r.grade}) since "
            f"{r.opened.isoformat()}."
        )

    kind: Kind = "none"
    spike_review = False
    words = LANE_WORDS.get(key, info.title)
    question: str | None = None

    if phase in (None, "stabilizing"):
        kind, question = _stabilizing(
            history, s, info, usable, phase, today, policy, infos, ctx, words
        )
    elif phase == "plus_one":
        kind = "deepening_or_ending"
        ctx.say("+1 threshold agreed: proposing Deepening or a good-enough ending until decided.")
        question = (
            "You chose to look at what comes next. Would you like to go into deeper work, "
            "or to finish well here, as good enough?"
        )
    elif phase == "deepening":
        assert since is not None
        kind, question, spike_review = _deepening(
            history, s, info, usable, since, today, policy, infos, ctx, words
        )
    elif phase == "consolidating":
        assert since is not None
        weeks = (today - since).days // 7
        below_now = usable and cutoff is not None and info.below_cutoff(s.scores[-1])
        ok = weeks >= policy.consolidating_to_ending_weeks and below_now and not alerts
        ctx.say(
            f"Ending rule: {weeks} week(s) in Consolidating "
            f"({'≥' if weeks >= policy.consolidating_to_ending_weeks else '<'} "
            f"{policy.consolidating_to_ending_weeks}); {info.title} "
            f"{'still below' if below_now else 'not known to be below'} cutoff; "
            f"{'no alert' if not alerts else 'an alert is raised'}: "
            f"{'met' if ok else 'not met'}."
        )
        ctx.rules["ending"] = ok
        if ok:
            kind = "ending"
            months = " and ".join(str(m) for m in policy.follow_up_months)
            question = (
                f"What has changed has held for {weeks} weeks. Is this a good time to finish well, "
                f"with check-ins at {months} months to see how it holds?"
            )
    else:
        ctx.say("Ending agreed: nothing to propose; the follow-ups show whether it holds.")

    if kind != "none":
        declined = _declined(decisions, kind, since, today, policy)
        if declined is not None:
            review = declined.review_date or declined.date + timedelta(
                weeks=policy.decline_review_weeks
            )
            ctx.say(
                f"Proposal {kind.replace('_', ' ')} was declined on {declined.date.isoformat()}; "
                f"not repeated before {review.isoformat()}."
            )
            kind, question = "none", None
    ctx.say(f"Proposal: {kind.replace('_', ' ')}.")
    return Proposal(
        kind=kind,
        phase=phase,
        question=question,
        trace=tuple(ctx.trace),
        alerts=tuple(a for a in ALERTS if a in alerts),
        risk=risk,
        spike_review=spike_review,
        rules=dict(ctx.rules),
    )


def _declined(
    decisions: Sequence[Decision],
    kind: str,
    since: date | None,
    today: date,
    policy: Policy,
) -> Decision | None:
    """The latest "not now" decision that still holds back this proposal, if any."""
    found = None
    for d in sorted(decisions, key=lambda d: d.date):
        if d.kind != "no_change" or d.date > today:
            continue
        if since is not None and d.date < since:
            continue
        if d.proposal is not None and d.proposal != kind:
            continue
        review = d.review_date or d.date + timedelta(weeks=policy.decline_review_weeks)
        if today < review:
            found = d
    return found


def _stabilizing(
    history: ClientHistory,
    s: _Series,
    info: MeasureInfo,
    usable: bool,
    phase: Phase | None,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: _Ctx,
    words: str,
) -> tuple[Kind, str | None]:
    n = len(s.scores)
    goals = _goals(history.goals, history.inactive_goals, today, policy, ctx)
    felt, felt_known = _latest_felt(history.felt_change, today, policy)
    holds_known = felt_known and felt is not None and felt.holds is not None
    stuck_known = felt_known and felt is not None and felt.stuck is not None
    if felt is not None and felt_known:
        if felt.holds is not None:
            cmp = "≥" if felt.holds >= policy.felt_change_holds_mark else "<"
            ctx.say(
                f"Felt Change 'holds' {_n(felt.holds)} {cmp} {_n(policy.felt_change_holds_mark)}."
            )
        if felt.stuck is not None:
            low = felt.stuck <= policy.stuckness_low_max
            ctx.say(
                f"Stuckness 'my life feels stuck' {_n(felt.stuck)} "
                f"{'≤' if low else '>'} {_n(policy.stuckness_low_max)} "
                f"({'low' if low else 'not low'})."
            )
    else:
        ctx.say(f"Felt Change: unknown (none in the last {policy.lane_max_age_weeks} weeks).")
    growth = _growth(history.administrations, today, policy, infos, ctx)

    sym = usable and bool(ctx.rules["below_last2"]) and bool(ctx.rules["flat"])
    goals_low = goals.known and goals.mean is not None and goals.mean < policy.goal_mark
    goals_met = goals.known and goals.mean is not None and goals.mean >= policy.goal_mark
    holds_low = (
        holds_known
        and felt is not None
        and felt.holds is not None
        and felt.holds < policy.felt_change_holds_mark
    )
    growth_not_up = growth.known and not growth.up
    unmet = goals_low or holds_low or growth_not_up
    stuck_low = (
        stuck_known
        and felt is not None
        and felt.stuck is not None
        and felt.stuck <= policy.stuckness_low_max
    )
    plus_one = sym and unmet
    good_enough = sym and goals_met and stuck_low
    stalled = (
        usable and bool(ctx.rules["improved"]) and not _below(s, info) and bool(ctx.rules["flat"])
    )
    intake_route = False
    if phase is None and usable and info.cutoff is not None and n >= 1:
        intake_below = info.below_cutoff(s.scores[0])
        latest_below = info.below_cutoff(s.scores[-1])
        if n == 1:
            if intake_below and history.prior_therapy:
                ctx.say(
                    "First administration: nothing beyond Stabilizing yet; the intake route "
                    "can still apply (intake below cutoff, prior therapy recorded)."
                )
        else:
            intake_route = intake_below and latest_below and history.prior_therapy and goals_low
            ctx.say(
                f"Intake route: intake {_n(s.scores[0])} "
                f"{'below' if intake_below else 'not below'} cutoff, latest {_n(s.scores[-1])} "
                f"{'below' if latest_below else 'not below'}, prior therapy "
                f"{'recorded' if history.prior_therapy else 'not recorded'}, goals "
                f"{'unmet' if goals_low else 'not known to be unmet'}: "
                f"{'met' if intake_route else 'not met'}."
            )
    terms = []
    if goals_low:
        terms.append("goals < 7")
    if holds_low:
        terms.append("Felt Change 'holds' < 7")
    if growth_not_up:
        terms.append("growth not reliably up")
    short = "short of its mark: " + ", ".join(terms) if unmet else "not known to be short"
    ctx.say(
        f"+1 threshold rule: {'met' if plus_one else 'not met'} (symptom rule "
        f"{'met' if sym else 'not met'}; own words or growth {short})."
    )
    ctx.say(
        f"Good-enough ending rule: {'met' if good_enough else 'not met'} (symptom rule "
        f"{'met' if sym else 'not met'}; goals {'≥ 7' if goals_met else 'not known to be ≥ 7'}; "
        f"stuckness {'low' if stuck_low else 'not known to be low'})."
    )
    ctx.say(f"Stalled rule: {'met' if stalled else 'not met'}.")
    ctx.rules.update(
        plus_one=plus_one, good_enough=good_enough, stalled=stalled, intake_route=intake_route
    )
    run_days = _below_run(s, info)[1] if usable else 0
    held = f"{run_days // 7} weeks" if run_days >= 14 else "a while"
    if plus_one or intake_route:
        if plus_one and good_enough:
            ctx.say(
                "Both +1 and good-enough ending match: one question with both as equal options."
            )
            return "plus_one", (
                f"{words} has eased and held for {held}. Worth talking about what you both want "
                "next: deeper work, or finishing well here as good enough?"
            )
        second = (
            "Your goals haven't moved."
            if goals_low and goals.up is False
            else "Your goals aren't where you want them yet."
            if goals_low
            else "The change doesn't yet feel like it holds."
            if holds_low
            else "Life satisfaction hasn't shifted much."
        )
        if intake_route and not plus_one:
            return "plus_one", (
                f"{words} is not in the higher range, and you've had therapy before. {second} "
                "Worth talking about what you both want from this time?"
            )
        return "plus_one", (
            f"{words} has eased and held for {held}. {second} "
            "Worth talking about what you both want next?"
        )
    if good_enough:
        return "good_enough_ending", (
            f"{words} has eased and held for {held}, and your goals are close to where you wanted "
            "them. Is this a good place to finish well, or is there more you want from this work?"
        )
    if stalled:
        return "stalled_review", (
            f"{words} has eased since you started, and has stayed about the same lately. "
            "Worth looking together at what might help next?"
        )
    if phase is None and n >= 1:
        return "stabilizing", (
            "For now, would it help to agree that the work is about finding steadier ground?"
        )
    return "none", None


def _below(s: _Series, info: MeasureInfo) -> bool:
    return bool(s.scores) and info.cutoff is not None and info.below_cutoff(s.scores[-1])


def _deepening(
    history: ClientHistory,
    s: _Series,
    info: MeasureInfo,
    usable: bool,
    since: date,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: _Ctx,
    words: str,
) -> tuple[Kind, str | None, bool]:
    rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
    base_i = _baseline_index(s.dates, since)
    # Spike: the current score minus the Deepening baseline, >= RC points (only in Deepening).
    exit_reasons: list[str] = []
    single = False
    if usable and rc is not None and cutoff is not None and base_i is not None:
        base = s.scores[base_i]
        after = [i for i in range(base_i + 1, len(s.scores)) if s.dates[i] > since]
        spikes = [(s.scores[i] - base) * sign >= rc for i in after]
        run = 0
        for hit in reversed(spikes):
            if not hit:
                break
            run += 1
        if run:
            last = s.scores[-1]
            ctx.say(
                f"Spike: {info.title} {_n(last)} is ≥ {rc} points above the Deepening baseline "
                f"{_n(base)} ({run} in a row)."
            )
            if run >= policy.spike_lasts:
                exit_reasons.append(f"lasted {run} administrations")
            tail = s.scores[-policy.spike_above_cutoff_in_a_row :]
            if run >= policy.spike_above_cutoff_in_a_row and all(
                not info.below_cutoff(x) for x in tail
            ):
                exit_reasons.append(
                    f"at or above cutoff {_n(cutoff)} {policy.spike_above_cutoff_in_a_row} "
                    "times in a row"
                )
            if info.in_severe(last):
                exit_reasons.append(f"in the severe band ({_n(last)})")
            open_risk = any(f.is_open(today) for f in history.risk_flags)
            if s.risk[-1] > 0 or open_risk:
                exit_reasons.append("with a risk answer")
            single = not exit_reasons
    ctx.rules["spike_exit"] = bool(exit_reasons)
    if exit_reasons:
        ctx.say(
            "Spike exit: " + "; ".join(exit_reasons) + ". Suggest a medical or psychiatric consult."
        )
        return (
            "spike_exit",
            (
                f"{words} has risen lately. Would it help to step back from the deeper work "
                "for now, find steadier ground again, and check in with a doctor?"
            ),
            False,
        )
    if single:
        ctx.say("Spike: review (a single spike that meets no exit condition).")

    # Consolidating (S2): every term must hold.
    run_n, run_days = _below_run(s, info) if usable and cutoff is not None else (0, 0)
    below_ok = (
        run_n >= policy.consolidating_min_admins and run_days >= policy.consolidating_weeks * 7
    )
    ctx.say(
        f"Below cutoff: unbroken run of {run_n} administration(s) over {run_days} days "
        f"({'≥' if below_ok else 'short of'} {policy.consolidating_weeks} weeks and "
        f"{policy.consolidating_min_admins} administrations)."
    )
    growth = _growth(history.administrations, today, policy, infos, ctx, since=since)
    mhcsf = _mhcsf_twice(history.administrations, today, policy, ctx)
    felt = sorted(
        (f for f in history.felt_change if since <= f.completed <= today),
        key=lambda f: f.completed,
    )[-2:]
    felt_ok = (
        len(felt) == 2
        and (today - felt[-1].completed).days <= policy.lane_max_age_days
        and all(f.holds is not None and f.holds >= policy.felt_change_holds_mark for f in felt)
    )
    shown = ", ".join(_n(f.holds) if f.holds is not None else "–" for f in felt)
    ctx.say(
        f"Felt Change 'holds' on the last two checks in Deepening: {shown or 'none'} "
        f"({'both' if felt_ok else 'not both'} ≥ {_n(policy.felt_change_holds_mark)})."
    )
    goals = _goals(history.goals, history.inactive_goals, today, policy, ctx)
    goals_ok = goals.known and (
        (goals.mean is not None and goals.mean >= policy.goal_mark) or bool(goals.up)
    )
    sessions = sum(1 for d in history.sessions if since <= d <= today)
    sessions_ok = sessions >= policy.deepening_min_sessions
    ctx.say(
        f"Sessions in Deepening: {sessions} ({'≥' if sessions_ok else '<'} "
        f"{policy.deepening_min_sessions})."
    )
    observers = [a for a in history.administrations if a.instrument == "observed_change"]
    if observers:
        ctx.say(
            f"Observed Change: {len(observers)} observer answer(s) (strengthens, never vetoes)."
        )
    consolidating = below_ok and (growth.up or mhcsf) and felt_ok and goals_ok and sessions_ok
    ctx.rules["consolidating"] = consolidating
    ctx.say(f"Consolidating rule: {'met' if consolidating else 'not met'}.")
    if consolidating:
        return (
            "consolidating",
            (
                "Much of what you wanted to be different seems to be holding. Worth talking about "
                "moving on to living it, with more space between sessions?"
            ),
            False,
        )
    return "none", None, single


def _mhcsf_twice(admins: Sequence[Administration], today: date, policy: Policy, ctx: _Ctx) -> bool:
    """The last two MHC-SF are both flourishing and at least mhcsf_min_days_apart apart."""
    series = sorted(
        (a for a in admins if a.instrument == "mhcsf" and a.valid and a.completed <= today),
        key=lambda a: a.completed,
    )[-2:]
    if len(series) < 2:
        return False
    apart = (series[1].completed - series[0].completed).days
    ok = (
        all((a.band or "").lower() == "flourishing" for a in series)
        and apart >= policy.mhcsf_min_days_apart
        and (today - series[1].completed).days <= policy.lane_max_age_days
    )
    ctx.say(
        f"MHC-SF: last two {series[0].band or '–'}, {series[1].band or '–'}, {apart} days apart "
        f"({'flourishing twice' if ok else 'not flourishing twice'})."
    )
    return ok
