"""The rule engine: from one client's history to a proposal, alerts and a trace.

DESIGN.md, "The model, made measurable", is the specification; every
threshold comes from ``Policy``. The system only proposes: ``question`` is
worded as a question for therapist and client to answer together, and the
``trace`` gives the therapist every rule result with its numbers. The agreed
phase comes from ``plusone.core.phases``, the lanes from
``plusone.core.lanes``, the alerts from ``plusone.core.alerts``, and the
rules of each phase from ``plusone.core.phase_rules``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, get_args

from plusone.core import phase_rules as rules
from plusone.core.alerts import ALERTS, Alert, Series, possible_rupture, symptom_alerts
from plusone.core.gains import sudden_gains
from plusone.core.history import Administration, ClientHistory, Decision, Phase, Plan
from plusone.core.lanes import Ctx, fmt
from plusone.core.measure_info import (
    MeasureInfo,
    effective_infos,
    instrument_infos,
    measure_info,
)
from plusone.core.phases import PHASE_NAMES, PhaseNow, current_phase, phase_sentences
from plusone.core.policy import Policy
from plusone.core.trend import find_window, is_flat

Kind = Literal[
    "stabilizing",
    "plus_one",
    "good_enough_ending",
    "stalled_review",
    "deepening_or_ending",
    "consolidating",
    "ending",
    "spike_exit",
    "step_back_to_stabilizing",
    "step_back_to_deepening",
    "check_in_together",
    "none",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
# The forward proposals: held while a possible rupture is open ("repair first") or while a
# move awaits the client's confirmation. A step back, a spike exit and "check in together"
# are never held.
FORWARD: frozenset[str] = frozenset(
    {
        "plus_one",
        "good_enough_ending",
        "stalled_review",
        "deepening_or_ending",
        "consolidating",
        "ending",
    }
)
# Plain words for each proposal kind, for the trace.
KIND_WORDS: dict[str, str] = {
    "stabilizing": "Stabilizing",
    "plus_one": "+1 threshold",
    "good_enough_ending": "good-enough ending",
    "stalled_review": "stalled, review together",
    "deepening_or_ending": "Deepening or good-enough ending",
    "consolidating": "Consolidating",
    "ending": "Ending",
    "spike_exit": "spike exit",
    "step_back_to_stabilizing": "step back to Stabilizing",
    "step_back_to_deepening": "step back to Deepening",
    "check_in_together": "check in together",
    "none": "none",
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
    ``phase`` the agreed phase now (None = none yet) and ``since`` the day it
    took effect, ``question`` the proposal worded as a question (None with no
    proposal), ``trace`` the rule results as plain sentences, ``alerts`` the
    therapist-only alerts, ``risk`` the open risk flags, ``spike_review`` a
    single spike in Deepening or Consolidating. ``awaiting`` is a phase agreed
    but awaiting the client's confirmation (``awaiting_since`` the day it was
    agreed); ``held`` a forward proposal held back ("repair first" while a
    possible rupture is open, or while a move awaits the client);
    ``consult`` means the proposal suggests a medical or psychiatric consult.
    """

    kind: Kind
    phase: Phase | None
    question: str | None
    trace: tuple[str, ...]
    alerts: tuple[Alert, ...] = ()
    risk: tuple[OpenRisk, ...] = ()
    spike_review: bool = False
    rules: Mapping[str, bool] = field(default_factory=dict)
    since: date | None = None
    awaiting: Phase | None = None
    awaiting_since: date | None = None
    held: Kind | None = None
    repair_first: bool = False
    consult: bool = False


def primary_series(
    admins: Iterable[Administration], key: str, today: date
) -> tuple[Series, list[date]]:
    """Valid (or prorated) administrations of ``key`` up to today, in completed order.

    When several fall on one day the last counts (that day only: different
    days are never merged). Returns the series and the dates of the invalid
    administrations that were skipped.
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
        Series(
            scores=tuple(float(a.total) for a in ordered if a.total is not None),
            days=tuple(a.completed.toordinal() for a in ordered),
            dates=tuple(a.completed for a in ordered),
            risk=tuple(a.risk_grade for a in ordered),
        ),
        skipped,
    )


@dataclass(frozen=True)
class Facts:
    """The primary measure's facts that several rules share."""

    s: Series
    info: MeasureInfo
    usable: bool
    improved: bool
    flat: bool
    below_window: bool
    # The days the flat window spans (for "held for N weeks"); 0 without a window.
    window_days: int
    words: str

    def below_now(self) -> bool:
        return (
            self.usable
            and bool(self.s.scores)
            and self.info.cutoff is not None
            and self.info.below_cutoff(self.s.scores[-1])
        )


def _facts(s: Series, info: MeasureInfo, key: str, known: bool, policy: Policy, ctx: Ctx) -> Facts:
    rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
    usable = known and rc is not None and cutoff is not None
    improved = flat = below_window = False
    window_days = 0
    n = len(s.scores)
    if usable and rc is not None and cutoff is not None:
        intake, last = s.scores[0], s.scores[-1]
        change = (intake - last) * sign
        improved = change >= rc
        if n >= 2:
            verb = "fell" if last < intake else "rose" if last > intake else "stayed at"
            quality = (
                f"reliable: ≥ {rc} points" if abs(change) >= rc else f"not reliable: < {rc} points"
            )
            ctx.say(f"{info.title} {verb} {fmt(intake)} → {fmt(last)} ({quality}).")
        window = find_window(s.days, k=policy.k, min_days=policy.window_days)
        if window is not None:
            held = s.scores[window]
            window_days = s.days[-1] - s.days[window.start]
            below_window = all(info.below_cutoff(x) for x in held)
            listed = ", ".join(fmt(x) for x in held)
            ctx.say(
                f"{info.title} {'below' if below_window else 'not below'} cutoff {fmt(cutoff)} "
                f"on every administration of the window ({listed}; {window_days} days)."
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
    ctx.rules.update(improved=improved, below_window=below_window, flat=flat)
    return Facts(
        s, info, usable, improved, flat, below_window, window_days, LANE_WORDS.get(key, info.title)
    )


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
    app may pass a cached mapping; tests pass hand-built ones). The policy's
    ``rc_convention`` is applied to them.
    """
    policy = policy or Policy()
    decisions = history.decisions if decisions is None else tuple(decisions)
    key = (plan.primary if plan and plan.primary else None) or history.primary
    base: Mapping[str, MeasureInfo] = measures if measures is not None else instrument_infos()
    infos = effective_infos(base, policy)
    info = infos.get(key) or MeasureInfo(key=key, title=key)
    ctx = Ctx()
    now: PhaseNow = current_phase(decisions, today)
    for sentence in phase_sentences(now):
        ctx.say(sentence)
    phase, since = now.phase, now.since

    s, skipped = primary_series(history.administrations, key, today)
    for d in skipped:
        ctx.say(f"Skipped an invalid {info.title} administration on {d.isoformat()}.")
    n = len(s.scores)
    if info.rc_points is None:
        ctx.say(f"{info.title} has no RC parameters: reliable-change criteria are unknown.")
    else:
        source = f" ({info.rc_source})" if info.rc_source else ""
        ctx.say(f"{info.title} reliable change: ≥ {info.rc_points} points{source}.")
    if info.cutoff is None:
        ctx.say(f"{info.title} has no cutoff: cutoff criteria are unknown.")
    known = n > 0 and (today - s.dates[-1]).days <= policy.lane_max_age_days
    if n == 0:
        ctx.say(f"{info.title}: no valid administrations yet.")
    else:
        ctx.say(
            f"{info.title}: {n} administration(s); intake {fmt(s.scores[0])} on "
            f"{s.dates[0].isoformat()}, latest {fmt(s.scores[-1])} on {s.dates[-1].isoformat()}."
        )
        if not known:
            ctx.say(
                f"{info.title}: unknown (no administration in the last "
                f"{policy.lane_max_age_weeks} weeks); symptom rules and alerts cannot match."
            )
    f = _facts(s, info, key, known, policy, ctx)

    alerts = symptom_alerts(s, info, f.usable, policy, ctx)
    rupture = possible_rupture(
        history.reflections, history.therapist_ratings, history.ruptures, today, policy, ctx
    )
    if rupture:
        alerts.append("possible_rupture")
    risk = tuple(
        OpenRisk(fl.instrument, fl.item_id, fl.grade, fl.opened)
        for fl in sorted(history.risk_flags, key=lambda fl: fl.opened)
        if fl.is_open(today)
    )
    for r in risk:
        ctx.say(
            f"Risk: open flag ({r.instrument} {r.item_id}, grade {r.grade}) since "
            f"{r.opened.isoformat()}."
        )

    result = rules.phase_rule(history, f, phase, since, today, policy, infos, alerts, ctx)
    kind, question = result.kind, result.question

    if kind != "none":
        declined = _declined(decisions, kind, since, today, policy)
        if declined is not None:
            review = declined.review_date or declined.date + timedelta(
                days=policy.decline_review_days
            )
            ctx.say(
                f"Proposal {KIND_WORDS[kind]} was declined on {declined.date.isoformat()}; "
                f"not repeated before {review.isoformat()}."
            )
            kind, question = "none", None
    held: Kind | None = None
    if kind in FORWARD and rupture:
        ctx.say(
            f"Repair first: a possible rupture is open, so the {KIND_WORDS[kind]} proposal "
            "is held until a repair is logged."
        )
        held, kind, question = kind, "none", None
    elif kind in FORWARD and now.awaiting is not None:
        ctx.say(
            f"The {KIND_WORDS[kind]} proposal is held while "
            f"{PHASE_NAMES[now.awaiting.phase]} awaits the client's confirmation."
        )
        held, kind, question = kind, "none", None
    ctx.say(f"Proposal: {KIND_WORDS[kind]}.")
    return Proposal(
        kind=kind,
        phase=phase,
        question=question,
        trace=tuple(ctx.trace),
        alerts=tuple(a for a in ALERTS if a in alerts),
        risk=risk,
        spike_review=result.spike_review,
        rules=dict(ctx.rules),
        since=since,
        awaiting=now.awaiting.phase if now.awaiting is not None else None,
        awaiting_since=now.awaiting.date if now.awaiting is not None else None,
        held=held,
        repair_first=rupture,
        consult=result.consult and kind == result.kind,
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
        review = d.review_date or d.date + timedelta(days=policy.decline_review_days)
        if today < review:
            found = d
    return found


__all__ = [
    "ALERTS",
    "FORWARD",
    "KINDS",
    "KIND_WORDS",
    "LANE_WORDS",
    "PHASE_NAMES",
    "Alert",
    "Facts",
    "Kind",
    "MeasureInfo",
    "OpenRisk",
    "Proposal",
    "current_phase",
    "measure_info",
    "primary_series",
    "propose",
]
