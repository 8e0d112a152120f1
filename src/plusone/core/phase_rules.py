"""The rules of each agreed phase (DESIGN.md's phase table), for ``plusone.core.propose``.

Each function returns the proposal its row of the table allows, writing every
rule result into the trace. ``plusone.core.batch`` computes the same rules
for a whole caseload; a hypothesis property ties the two.

One module on purpose, though long: it is the phase table, one function a row, with
each trace sentence beside the rule it explains, and it is read and reviewed as the
table is, whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from plusone.core.alerts import Alert, Series
from plusone.core.history import Administration, ClientHistory, Phase
from plusone.core.lanes import Ctx, baseline_index, fmt, goals, growth, latest_felt
from plusone.core.measure_info import MeasureInfo
from plusone.core.policy import Policy

if TYPE_CHECKING:
    from plusone.core.propose import Facts, Kind


@dataclass(frozen=True)
class RuleResult:
    kind: Kind
    question: str | None = None
    spike_review: bool = False
    consult: bool = False


def phase_rule(
    history: ClientHistory,
    f: Facts,
    phase: Phase | None,
    since: date | None,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    alerts: Sequence[Alert],
    ctx: Ctx,
) -> RuleResult:
    """The proposal the agreed phase's row of the table allows now."""
    if phase in (None, "stabilizing"):
        return stabilizing(history, f, phase, today, policy, infos, ctx)
    assert since is not None
    if phase == "plus_one":
        return threshold(history, since, today, policy, alerts, ctx)
    if phase == "deepening":
        return deepening(history, f, since, today, policy, infos, ctx)
    if phase == "consolidating":
        return consolidating(history, f, since, today, policy, alerts, ctx)
    return ending(f, since, ctx)


def _weeks(days: int) -> str:
    weeks = days // 7
    return f"{weeks} week" if weeks == 1 else f"{weeks} weeks"


def stabilizing(
    history: ClientHistory,
    f: Facts,
    phase: Phase | None,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: Ctx,
) -> RuleResult:
    s, info, words = f.s, f.info, f.words
    n = len(s.scores)
    g = goals(history.goals, history.inactive_goals, today, policy, ctx)
    felt, felt_known = latest_felt(history.felt_change, today, policy)
    holds_known = felt_known and felt is not None and felt.holds is not None
    stuck_known = felt_known and felt is not None and felt.stuck is not None
    if felt is not None and felt_known:
        if felt.holds is not None:
            cmp = "≥" if felt.holds >= policy.felt_change_holds_mark else "<"
            ctx.say(
                f"Felt Change 'holds' {fmt(felt.holds)} {cmp} {fmt(policy.felt_change_holds_mark)}."
            )
        if felt.stuck is not None:
            low = felt.stuck <= policy.stuckness_low_max
            ctx.say(
                f"Stuckness 'my life feels stuck' {fmt(felt.stuck)} "
                f"{'≤' if low else '>'} {fmt(policy.stuckness_low_max)} "
                f"({'low' if low else 'not low'})."
            )
    else:
        ctx.say(f"Felt Change: unknown (none in the last {policy.lane_max_age_weeks} weeks).")
    gr = growth(history.administrations, today, policy, infos, ctx)

    # Relief held: flat, and below cutoff on every administration of the flat window.
    sym = f.usable and f.below_window and f.flat
    goals_low = g.known and g.mean is not None and g.mean < policy.goal_mark
    goals_met = g.known and g.mean is not None and g.mean >= policy.goal_mark
    holds_low = (
        holds_known
        and felt is not None
        and felt.holds is not None
        and felt.holds < policy.felt_change_holds_mark
    )
    growth_not_up = gr.known and not gr.up
    unmet = goals_low or holds_low or growth_not_up
    stuck_low = (
        stuck_known
        and felt is not None
        and felt.stuck is not None
        and felt.stuck <= policy.stuckness_low_max
    )
    plus_one = sym and unmet
    good_enough = sym and goals_met and stuck_low
    stalled = f.usable and f.improved and not f.below_now() and f.flat
    intake_route = False
    if phase is None and f.usable and info.cutoff is not None and n >= 1:
        all_below = all(info.below_cutoff(x) for x in s.scores)
        if n < policy.intake_route_from:
            if all_below and history.prior_therapy:
                ctx.say(
                    f"{_count(n)}: nothing beyond Stabilizing yet; the intake route can still "
                    f"apply (every administration so far below cutoff, prior therapy recorded; "
                    f"it starts at the {_nth(policy.intake_route_from)})."
                )
            else:
                why = (
                    "no prior therapy recorded"
                    if all_below
                    else "an administration at or above cutoff"
                )
                ctx.say(
                    f"{_count(n)}: nothing beyond Stabilizing yet; the intake route cannot apply "
                    f"({why})."
                )
        else:
            intake_route = all_below and history.prior_therapy and goals_low
            ctx.say(
                f"Intake route: {'every' if all_below else 'not every'} administration so far "
                f"below cutoff ({', '.join(fmt(x) for x in s.scores)}), prior therapy "
                f"{'recorded' if history.prior_therapy else 'not recorded'}, goals "
                f"{'unmet' if goals_low else 'not known to be unmet'}: "
                f"{'met' if intake_route else 'not met'}."
            )
    terms = []
    if goals_low:
        terms.append(f"goals < {fmt(policy.goal_mark)}")
    if holds_low:
        terms.append(f"Felt Change 'holds' < {fmt(policy.felt_change_holds_mark)}")
    if growth_not_up:
        terms.append("growth not reliably up")
    short = "short of its mark: " + ", ".join(terms) if unmet else "not known to be short"
    ctx.say(
        f"+1 threshold rule: {'met' if plus_one else 'not met'} (symptom rule "
        f"{'met' if sym else 'not met'}; own words or growth {short})."
    )
    ctx.say(
        f"Good-enough ending rule: {'met' if good_enough else 'not met'} (symptom rule "
        f"{'met' if sym else 'not met'}; goals {'' if goals_met else 'not known to be '}"
        f"≥ {fmt(policy.goal_mark)}; "
        f"stuckness {'low' if stuck_low else 'not known to be low'})."
    )
    ctx.say(f"Stalled rule: {'met' if stalled else 'not met'}.")
    ctx.rules.update(
        plus_one=plus_one, good_enough=good_enough, stalled=stalled, intake_route=intake_route
    )
    # "Held for N weeks" states the span of the flat window.
    held = _weeks(f.window_days)
    if plus_one or intake_route:
        if plus_one and good_enough:
            ctx.say(
                "Both +1 and good-enough ending match: one question with both as equal options."
            )
            return RuleResult(
                "plus_one",
                f"{words} has eased and held for {held}. Is it time to talk together about what "
                "you want next: deeper work, or finishing well here as good enough?",
            )
        second = (
            "Your goals haven't moved."
            if goals_low and g.up is False
            else "Your goals aren't where you want them yet."
            if goals_low
            else "The change doesn't yet feel like it holds."
            if holds_low
            else "Life satisfaction hasn't shifted much."
        )
        if intake_route and not plus_one:
            return RuleResult(
                "plus_one",
                f"{words} is not in the higher range, and you've had therapy before. {second} "
                "Is it time to talk together about what you want from this time?",
            )
        return RuleResult(
            "plus_one",
            f"{words} has eased and held for {held}. {second} "
            "Is it time to talk together about what you want next?",
        )
    if good_enough:
        return RuleResult(
            "good_enough_ending",
            f"{words} has eased and held for {held}, and your goals are close to where you wanted "
            "them. Is this a good place to finish well, or is there more you want from this work?",
        )
    if stalled:
        return RuleResult(
            "stalled_review",
            f"{words} has eased since you started, and has stayed about the same lately. "
            "Is it time to look together at what might help next?",
        )
    if phase is None and n >= 1:
        return RuleResult(
            "stabilizing",
            "For now, would it help to agree together that the work is about finding steadier "
            "ground?",
        )
    return RuleResult("none")


def _count(n: int) -> str:
    return "First administration" if n == 1 else f"{_nth(n).capitalize()} administration"


def _nth(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    return words.get(n, f"{n}th")


def max_risk(
    history: ClientHistory, start: date, today: date, *, after: bool = False
) -> tuple[int, date | None]:
    """The highest risk answer from ``start`` (or strictly after it) to today, and its day.

    Risk answers are those of any administration, and the flags they opened
    (a risk item asked on its own reaches the rules only as its flag).
    """
    best, day = 0, None

    def inside(d: date) -> bool:
        return (d > start if after else d >= start) and d <= today

    for a in history.administrations:
        if a.risk_grade > best and inside(a.completed):
            best, day = a.risk_grade, a.completed
    for fl in history.risk_flags:
        if fl.grade > best and inside(fl.opened):
            best, day = fl.grade, fl.opened
    return best, day


def threshold(
    history: ClientHistory,
    since: date,
    today: date,
    policy: Policy,
    alerts: Sequence[Alert],
    ctx: Ctx,
) -> RuleResult:
    """+1 threshold agreed: Deepening or a good-enough ending, unless a step back is due."""
    grade, day = max_risk(history, since, today, after=True)
    reasons = []
    if "deterioration" in alerts:
        reasons.append("the deterioration alert is raised")
    if grade >= policy.step_back_risk_grade and day is not None:
        reasons.append(f"a risk answer of grade {grade} came in on {day.isoformat()}")
    ctx.rules["step_back"] = bool(reasons)
    if reasons:
        ctx.say("Step back to Stabilizing: " + "; ".join(reasons) + ".")
        return RuleResult(
            "step_back_to_stabilizing",
            "Things have been harder lately. Would it help to step back for now, find steadier "
            "ground again, and come back to what comes next later?",
        )
    ctx.say("+1 threshold agreed: proposing Deepening or a good-enough ending until decided.")
    return RuleResult(
        "deepening_or_ending",
        "You chose to look at what comes next. Would you like to go into deeper work, "
        "or to finish well here, as good enough?",
    )


@dataclass(frozen=True)
class Spike:
    run: int
    exit_reasons: tuple[str, ...]
    severe: bool
    risk_grade: int

    @property
    def single(self) -> bool:
        return self.run > 0 and not self.exit_reasons


def spike(
    history: ClientHistory,
    f: Facts,
    since: date,
    today: date,
    policy: Policy,
    ctx: Ctx,
    phase_name: str,
) -> Spike:
    """A rise of >= RC points above the phase's baseline, and the exit conditions it meets.

    The baseline is the last administration on or before the decision, else
    the first after it. The rise is the trailing run of spiking
    administrations; a risk answer counts when it came on or after the rise's
    first administration (never an older open flag).
    """
    s, info = f.s, f.info
    rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
    base_i = baseline_index(s.dates, since)
    if not f.usable or rc is None or cutoff is None or base_i is None:
        return Spike(0, (), False, 0)
    base = s.scores[base_i]
    after = [i for i in range(base_i + 1, len(s.scores)) if s.dates[i] > since]
    run = 0
    for i in reversed(after):
        if (s.scores[i] - base) * sign < rc:
            break
        run += 1
    if not run:
        return Spike(0, (), False, 0)
    rise = range(len(s.scores) - run, len(s.scores))
    last = s.scores[-1]
    ctx.say(
        f"Spike: {info.title} {fmt(last)} is ≥ {rc} points above the {phase_name} baseline "
        f"{fmt(base)} ({run} in a row, since {s.dates[rise[0]].isoformat()})."
    )
    reasons = []
    if run >= policy.spike_lasts:
        reasons.append(f"lasted {run} administrations")
    tail = s.scores[-policy.spike_above_cutoff_in_a_row :]
    if run >= policy.spike_above_cutoff_in_a_row and all(not info.below_cutoff(x) for x in tail):
        reasons.append(
            f"at or above cutoff {fmt(cutoff)} {policy.spike_above_cutoff_in_a_row} times in a row"
        )
    severe = [s.scores[i] for i in rise if info.in_severe(s.scores[i])]
    if severe:
        reasons.append(f"reached the severe band ({fmt(max(severe, key=lambda x: x * sign))})")
    grade, day = max_risk(history, s.dates[rise[0]], today)
    if grade > 0 and day is not None:
        reasons.append(f"with a risk answer of grade {grade} on {day.isoformat()}")
    return Spike(run, tuple(reasons), bool(severe), grade)


def deepening(
    history: ClientHistory,
    f: Facts,
    since: date,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: Ctx,
) -> RuleResult:
    sp = spike(history, f, since, today, policy, ctx, "Deepening")
    ctx.rules["spike_exit"] = bool(sp.exit_reasons)
    if sp.exit_reasons:
        ctx.say(
            "Spike exit: " + "; ".join(sp.exit_reasons) + ". Suggest a medical or psychiatric "
            "consult."
        )
        return RuleResult(
            "spike_exit",
            f"{f.words} has risen lately. Would it help to step back from the deeper work "
            "for now, find steadier ground again, and check in with a doctor?",
            consult=True,
        )
    if sp.single:
        ctx.say("Spike: review (a single spike that meets no exit condition).")
    consolidating = _consolidating_rule(history, f, since, today, policy, infos, ctx)
    if consolidating:
        return RuleResult(
            "consolidating",
            "Much of what you wanted to be different seems to be holding. Is it time to talk "
            "together about moving on to living it, with more space between sessions?",
        )
    return RuleResult("none", spike_review=sp.single)


def _below_run(s: Series, info: MeasureInfo) -> tuple[int, int]:
    """The unbroken below-cutoff run ending at the latest: (administrations, days spanned)."""
    count = 0
    for x in reversed(s.scores):
        if not info.below_cutoff(x):
            break
        count += 1
    if count == 0:
        return 0, 0
    return count, s.days[-1] - s.days[-count]


def _consolidating_rule(
    history: ClientHistory,
    f: Facts,
    since: date,
    today: date,
    policy: Policy,
    infos: Mapping[str, MeasureInfo],
    ctx: Ctx,
) -> bool:
    """Consolidating (S2): every term must hold."""
    s, info = f.s, f.info
    run_n, run_days = _below_run(s, info) if f.usable and info.cutoff is not None else (0, 0)
    below_ok = run_n >= policy.consolidating_min_admins and run_days >= policy.consolidating_days
    ctx.say(
        f"Below cutoff: unbroken run of {run_n} administration(s) over {run_days} days "
        f"({'≥' if below_ok else 'short of'} {policy.consolidating_weeks} weeks and "
        f"{policy.consolidating_min_admins} administrations)."
    )
    gr = growth(history.administrations, today, policy, infos, ctx, since=since)
    mhcsf = _mhcsf_twice(history.administrations, today, policy, ctx)
    felt = sorted(
        (x for x in history.felt_change if since <= x.completed <= today),
        key=lambda x: x.completed,
    )[-2:]
    felt_ok = (
        len(felt) == 2
        and (today - felt[-1].completed).days <= policy.lane_max_age_days
        and all(x.holds is not None and x.holds >= policy.felt_change_holds_mark for x in felt)
    )
    shown = ", ".join(fmt(x.holds) if x.holds is not None else "–" for x in felt)
    ctx.say(
        f"Felt Change 'holds' on the last two checks in Deepening: {shown or 'none'} "
        f"({'both' if felt_ok else 'not both'} ≥ {fmt(policy.felt_change_holds_mark)})."
    )
    g = goals(history.goals, history.inactive_goals, today, policy, ctx)
    goals_ok = g.known and ((g.mean is not None and g.mean >= policy.goal_mark) or bool(g.up))
    sessions = sum(1 for d in history.sessions if since <= d <= today)
    sessions_ok = sessions >= policy.deepening_min_sessions
    ctx.say(
        f"Sessions in Deepening: {sessions} ({'≥' if sessions_ok else '<'} "
        f"{policy.deepening_min_sessions})."
    )
    ok = below_ok and (gr.up or mhcsf) and felt_ok and goals_ok and sessions_ok
    ctx.rules["consolidating"] = ok
    ctx.say(f"Consolidating rule: {'met' if ok else 'not met'}.")
    _observer_agreement(history.administrations, since, today, policy, ctx)
    return ok


OBSERVED_CHANGE = "observed_change"


def _observer_agreement(
    admins: Sequence[Administration], since: date, today: date, policy: Policy, ctx: Ctx
) -> None:
    """What the latest observer round in Deepening says: its ratings, not a count.

    It corroborates Consolidating when their mean reaches the mark; it never vetoes
    (the rule above is decided without it, and ``batch`` need not read it)."""
    rounds = sorted(
        (
            a
            for a in admins
            if a.instrument == OBSERVED_CHANGE and a.valid and since <= a.completed <= today
        ),
        key=lambda a: a.completed,
    )
    if not rounds:
        ctx.say("Observers: no round in Deepening (neither for nor against).")
        return
    latest = rounds[-1]
    ratings = [v for v in latest.answers.values() if isinstance(v, int | float)]
    mean = sum(ratings) / len(ratings) if ratings else None
    shown = ", ".join(fmt(float(v)) for v in ratings) or "none"
    if mean is None:
        ctx.say(f"Observers: the latest round in Deepening ({latest.completed}) has no ratings.")
        return
    agrees = mean >= policy.observer_agrees_mark
    ctx.say(
        f"Observers, latest round in Deepening ({latest.completed}): ratings {shown}; "
        f"mean {fmt(mean)} {'≥' if agrees else '<'} {fmt(policy.observer_agrees_mark)}: "
        + (
            "they see it too, corroborating Consolidating."
            if agrees
            else "they do not see it yet; this never vetoes Consolidating."
        )
    )


def _mhcsf_twice(admins: Sequence[Administration], today: date, policy: Policy, ctx: Ctx) -> bool:
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


def consolidating(
    history: ClientHistory,
    f: Facts,
    since: date,
    today: date,
    policy: Policy,
    alerts: Sequence[Alert],
    ctx: Ctx,
) -> RuleResult:
    """Consolidating: a step back on the spike-exit conditions, else Ending when it has held."""
    sp = spike(history, f, since, today, policy, ctx, "Consolidating")
    ctx.rules["step_back"] = bool(sp.exit_reasons)
    if sp.exit_reasons:
        to_stabilizing = sp.severe or sp.risk_grade >= policy.step_back_risk_grade
        if to_stabilizing:
            ctx.say(
                "Step back to Stabilizing: " + "; ".join(sp.exit_reasons) + ". Suggest a medical "
                "or psychiatric consult."
            )
            return RuleResult(
                "step_back_to_stabilizing",
                f"{f.words} has risen lately. Would it help to step back for now, find steadier "
                "ground again, and check in with a doctor?",
                consult=True,
            )
        ctx.say("Step back to Deepening: " + "; ".join(sp.exit_reasons) + ".")
        return RuleResult(
            "step_back_to_deepening",
            f"{f.words} has risen for a while. Would it help to go back to the deeper work "
            "for a time, with sessions closer together?",
        )
    if sp.single:
        ctx.say("Spike: review (a single spike that meets no exit condition).")
    days = (today - since).days
    weeks = days // 7
    long_enough = days >= policy.consolidating_to_ending_days
    below_now = f.below_now()
    ok = long_enough and below_now and not alerts and not sp.single
    blocked = "an alert is raised" if alerts else "a spike to review" if sp.single else ""
    ctx.say(
        f"Ending rule: {weeks} week(s) in Consolidating "
        f"({'≥' if long_enough else '<'} "
        f"{policy.consolidating_to_ending_weeks}); {f.info.title} "
        f"{'still below' if below_now else 'not known to be below'} cutoff; "
        f"{blocked or 'no spike or alert'}: "
        f"{'met' if ok else 'not met'}."
    )
    ctx.rules["ending"] = ok
    if ok:
        months = " and ".join(str(m) for m in policy.follow_up_months)
        return RuleResult(
            "ending",
            f"What has changed has held for {weeks} weeks. Is this a good time to finish well, "
            f"with check-ins at {months} months to see how it holds?",
            spike_review=sp.single,
        )
    return RuleResult("none", spike_review=sp.single)


def ending(f: Facts, since: date, ctx: Ctx) -> RuleResult:
    """Ending: a follow-up at or above cutoff, or reliably worse, proposes "check in together"."""
    s, info = f.s, f.info
    rc, cutoff, sign = info.rc_points, info.cutoff, info.sign
    follow = [i for i, d in enumerate(s.dates) if d > since]
    if not follow:
        ctx.say("Ending agreed: no follow-up yet; the follow-ups show whether it holds.")
        ctx.rules["check_in"] = False
        return RuleResult("none")
    if not f.usable or rc is None or cutoff is None:
        ctx.say("Ending agreed: the latest follow-up is unknown; nothing to propose.")
        ctx.rules["check_in"] = False
        return RuleResult("none")
    last = s.scores[-1]
    reasons = []
    if not info.below_cutoff(last):
        reasons.append(f"at or above cutoff {fmt(cutoff)}")
    before = [i for i, d in enumerate(s.dates) if d <= since]
    if before:
        base = s.scores[before[-1]]
        if (last - base) * sign >= rc:
            reasons.append(
                f"≥ {rc} points worse than {fmt(base)}, the last score before the ending"
            )
    ctx.rules["check_in"] = bool(reasons)
    if not reasons:
        ctx.say(
            f"Ending agreed: the latest follow-up, {info.title} {fmt(last)} on "
            f"{s.dates[-1].isoformat()}, holds."
        )
        return RuleResult("none")
    ctx.say(
        f"Check in together: the follow-up {info.title} {fmt(last)} on {s.dates[-1].isoformat()} "
        "is " + " and ".join(reasons) + " (an offer of a session, never an alarm)."
    )
    return RuleResult(
        "check_in_together",
        f"{f.words} seems harder than when you finished. Would a session to check in together "
        "help?",
    )
