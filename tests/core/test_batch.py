"""The vectorised batch path agrees with ``propose`` client by client."""

from __future__ import annotations

import os
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plusone.core.batch import (
    caseload_from_histories,
    histories_of,
    open_flags_for,
    run_batch,
)
from plusone.core.history import (
    PHASES,
    Administration,
    ClientHistory,
    Decision,
    FeltChange,
    GoalRating,
    Reflection,
    RiskFlag,
    RuptureLog,
    TherapistRating,
)
from plusone.core.policy import Policy
from plusone.core.propose import KINDS, MeasureInfo, propose

MEASURES = {
    "phq9": MeasureInfo("phq9", "PHQ-9", "lower", 10.0, 6, (20.0, 27.0)),
    "gad7": MeasureInfo("gad7", "GAD-7", "lower", 10.0, 5, (15.0, 21.0)),
    "swls": MeasureInfo("swls", "SWLS", "higher", 19.0, 6, None),
    "who5": MeasureInfo("who5", "WHO-5", "higher", 50.0, 17, (0.0, 28.0)),
    "mlq": MeasureInfo("mlq", "MLQ", "higher", None, None, None),
    "mhcsf": MeasureInfo("mhcsf", "MHC-SF", "higher", None, None, None),
}
START = date(2026, 1, 5)
# The default policy, and the named alternatives (RC convention, WHO-5 by Topp et al. 2015).
POLICIES = (Policy(), Policy(rc_convention="nhs_talking_therapies", who5_change="topp_2015"))


@st.composite
def histories(draw):
    primary = draw(st.sampled_from(["phq9", "gad7"]))
    top = 27 if primary == "phq9" else 21
    n = draw(st.integers(0, 20))
    gaps = draw(st.lists(st.sampled_from([0, 7, 7, 7, 7, 14, 3, 30]), min_size=n, max_size=n))
    calm = draw(st.integers(0, 3)) == 0
    level = draw(st.integers(0, 8 if calm else top))
    # Mostly small moves so that plateaus, spikes and relapses all occur.
    steps = draw(
        st.lists(
            st.sampled_from([-1, 0, 0, 1] if calm else [-8, -4, -1, 0, 0, 0, 0, 1, 1, 4, 8]),
            min_size=n,
            max_size=n,
        )
    )
    invalid = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    risks = draw(st.lists(st.sampled_from([0] * 30 + [1, 2, 3]), min_size=n, max_size=n))
    admins = []
    day = 0
    days = []
    for i in range(n):
        day += gaps[i] if i else 0
        level = min(top, max(0, level + (steps[i] if i else 0)))
        ok = invalid[i] != 0
        days.append(day)
        admins.append(
            Administration(
                primary,
                START + timedelta(days=day),
                float(level) if ok else None,
                valid=ok,
                risk_grade=risks[i],
            )
        )
    span = max(days[-1] if days else 0, 7)

    def some_day(early=0):
        return START + timedelta(days=draw(st.integers(early * span // 2, span + 7)))

    # Half the clients have own-words and growth lanes that meet their marks.
    good = draw(st.booleans())
    if good:
        admins.append(Administration("swls", START, float(draw(st.integers(5, 15)))))
        admins.append(Administration("swls", some_day(early=1), float(draw(st.integers(20, 35)))))
    for key in draw(
        st.lists(
            st.sampled_from(["swls", "swls", "who5", "who5", "mhcsf", "mlq", "gad7"]), max_size=6
        )
    ):
        band = draw(st.sampled_from(["flourishing", "flourishing", "moderate", None]))
        # Some growth administrations are long before the episode: a stale pair.
        when = START - timedelta(days=90) if draw(st.integers(0, 4)) == 0 else some_day()
        high = 100 if key == "who5" else 35
        admins.append(
            Administration(
                key,
                when,
                float(draw(st.integers(5, high))),
                band=band,
                risk_grade=draw(st.sampled_from([0] * 8 + [1, 2])) if key == "gad7" else 0,
            )
        )
    goals = [
        GoalRating(
            draw(st.sampled_from(["a", "b", "c"])),
            draw(st.sampled_from([1, 1, 1, 2])),
            some_day(),
            float(draw(st.integers(7, 10) if good else st.integers(0, 10))),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    opt = st.one_of(st.none(), st.integers(0, 10).map(float), st.integers(7, 10).map(float))
    high = st.integers(7, 10).map(float) if good else opt
    low = st.integers(0, 3).map(float) if good else opt
    felt = [
        FeltChange(some_day(early=1), draw(high), draw(opt), draw(low))
        for _ in range(draw(st.integers(0, 4)))
    ]
    item = st.one_of(
        st.none(),
        st.integers(7, 10).map(float),
        st.integers(7, 10).map(float),
        st.integers(0, 10).map(float),
    )
    # Half the clients give calm reflections (items 7-10), so that proposals are not all held.
    if draw(st.booleans()):
        item = st.integers(7, 10).map(float)
    refl = [
        Reflection(
            some_day(),
            (draw(item), draw(st.integers(7, 10).map(float)), draw(item)),
            draw(st.sampled_from([False] * 12 + [True])),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    # The therapist rates some of the same sessions (the congruence gap), sometimes twice a day.
    ratings = [
        TherapistRating(r.completed, (draw(item), draw(item), draw(item)))
        for r in refl
        if draw(st.integers(0, 2)) == 0
    ]
    logs = [
        RuptureLog(some_day(), draw(st.sampled_from(["rupture", "repair"])))
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2])))
    ]
    sessions = tuple(sorted({START + timedelta(days=d) for d in days}))

    def confirmation():
        # Confirmed (legacy), awaiting, or confirmed on a day that may still be to come.
        how = draw(st.integers(0, 3))
        if how == 0:
            return {}
        if how == 1:
            return {"awaiting": True}
        return {"confirmed_on": some_day()}

    decisions = []
    if draw(st.booleans()):
        first = draw(
            st.sampled_from(
                ["stabilizing", "plus_one", "deepening", "deepening", "consolidating", "ending"]
            )
        )
        decisions.append(
            Decision(first, START + timedelta(days=draw(st.integers(0, 3))), **confirmation())
        )
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 2)) == 0:
            decisions.append(
                Decision(
                    None,
                    some_day(),
                    kind="no_change",
                    proposal=draw(st.sampled_from([None, *KINDS[:-1]])),
                    review_date=draw(st.one_of(st.none(), st.builds(some_day))),
                )
            )
        else:
            decisions.append(Decision(draw(st.sampled_from(PHASES)), some_day(), **confirmation()))
    flags = [
        RiskFlag(
            "phq9",
            "item9",
            draw(st.integers(1, 3)),
            # Some flags are months old and still open.
            START - timedelta(days=120) if draw(st.integers(0, 3)) == 0 else some_day(),
            draw(st.one_of(st.none(), st.builds(some_day))),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    return ClientHistory(
        primary=primary,
        prior_therapy=draw(st.booleans()),
        administrations=tuple(admins),
        goals=tuple(goals),
        felt_change=tuple(felt),
        reflections=tuple(refl),
        sessions=sessions,
        decisions=tuple(decisions),
        risk_flags=tuple(flags),
        therapist_ratings=tuple(ratings),
        ruptures=tuple(logs),
    ), span


# PLUSONE_BATCH_EXAMPLES raises the example count for a deep local run.
@settings(
    max_examples=int(os.environ.get("PLUSONE_BATCH_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.integers(-7, 60),
    st.sampled_from(POLICIES),
)
def test_it_agrees_with_propose_per_client_on_generated_caseloads(caseload, offset, policy):
    hs = [h for h, _ in caseload]
    span = max(s for _, s in caseload)
    today = START + timedelta(days=span + offset)
    cl = caseload_from_histories(hs)
    result = run_batch(cl, today=today, policy=policy, measures=MEASURES)
    unpacked = histories_of(cl)
    for i, h in enumerate(hs):
        p = propose(h, today=today, policy=policy, measures=MEASURES)
        got = (result.kind_name(i), result.alert_names(i), bool(result.spike_review[i]))
        assert got == (p.kind, p.alerts, p.spike_review), p.trace
        assert batch_state(result, i) == propose_state(p), p.trace
        assert open_flags_for(cl, result, i) == [(r.item_id, r.grade) for r in p.risk]
        # Unpacking the caseload again gives the same proposal.
        q = propose(unpacked[i], today=today, policy=policy, measures=MEASURES)
        assert (q.kind, q.alerts, q.risk, q.awaiting, q.held) == (
            p.kind,
            p.alerts,
            p.risk,
            p.awaiting,
            p.held,
        )


def batch_state(result, i):
    """The agreed phase, its day, the move awaiting the client, the held proposal, the consult."""
    code = int(result.phase[i])
    waiting = int(result.awaiting[i])
    held = int(result.held[i])
    since = int(result.since[i])
    day = int(result.awaiting_day[i])
    return (
        None if code < 0 else PHASES[code],
        None if since < 0 else date.fromordinal(since),
        None if waiting < 0 else PHASES[waiting],
        None if day < 0 else date.fromordinal(day),
        None if held < 0 else KINDS[held],
        bool(result.repair_first[i]),
        bool(result.consult[i]),
    )


def propose_state(p):
    return (p.phase, p.since, p.awaiting, p.awaiting_since, p.held, p.repair_first, p.consult)


def test_it_handles_an_empty_caseload():
    result = run_batch(caseload_from_histories([]), today=START, measures=MEASURES)
    assert len(result.kind) == 0


def test_it_agrees_on_a_hand_built_plus_one_client():
    scores = (18, 14, 9, 8, 7, 8, 7)
    h = ClientHistory(
        primary="phq9",
        administrations=tuple(
            Administration("phq9", START + timedelta(weeks=i), float(x))
            for i, x in enumerate(scores)
        ),
        goals=(GoalRating("a", 1, START + timedelta(weeks=6), 4.0),),
        decisions=(Decision("stabilizing", START),),
    )
    today = START + timedelta(weeks=6)
    result = run_batch(caseload_from_histories([h, h]), today=today, measures=MEASURES)
    assert [result.kind_name(0), result.kind_name(1)] == ["plus_one", "plus_one"]
    assert result.flat.tolist() == [1, 1]
    # Window: the last 5 (9, 8, 7, 8, 7) span 28 days; range 9 - 7.
    assert np.allclose(result.window_range, [2.0, 2.0])


def _scenarios():
    # Hand-built histories from the propose tests, one per rule, with the day to judge them.
    import test_propose as tp

    after = (6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 5)
    h, n = tp.deepening_history(after, sessions=14)
    consolidating = ClientHistory(
        primary="phq9",
        administrations=(
            *h.administrations,
            Administration("swls", tp.day(6), 15.0),
            Administration("swls", tp.day(n - 1), 24.0),
        ),
        sessions=h.sessions,
        felt_change=h.felt_change,
        goals=tp.goals((6, (3, 4)), (n - 1, (7, 8))),
        decisions=tuple(tp.DEEP),
    )
    yield "consolidating", consolidating, tp.day(n - 1)
    for scores, kind in [((13, 14, 13), "spike_exit"), ((8, 14), "none"), ((8, 21), "spike_exit")]:
        h, n = tp.deepening_history(scores)
        h = ClientHistory(**{**h.__dict__, "decisions": tuple(tp.DEEP)})
        yield kind, h, tp.day(n - 1)
    good = ClientHistory(
        primary="phq9",
        administrations=tp.weekly(tp.PLATEAU) + tp.weekly((20, 28), every=42, instrument="swls"),
        goals=tp.goals((6, (8, 7))),
        felt_change=(FeltChange(tp.day(6), holds=8, understands=7, stuck=2),),
        decisions=(Decision("stabilizing", START),),
    )
    yield "good_enough_ending", good, tp.day(6)
    stalled = ClientHistory(
        primary="phq9",
        administrations=tp.weekly((22, 18, 14, 13, 14, 13, 14)),
        decisions=(Decision("stabilizing", START),),
    )
    yield "stalled_review", stalled, tp.day(6)


def _new_rule_scenarios():
    # The worked examples of DECEMBER 2026's rules (test_rules_as_written), one per rule.
    import test_rules_as_written as tr

    h = ClientHistory(primary="phq9", administrations=tr.weekly((18, 14, 9, 8, 7, 8, 7, 8, 14)))
    yield "step_back_to_stabilizing", h, tr.day(8), tr.THRESHOLD
    h, n = tr.consolidating_history((11, 12, 11))
    yield "step_back_to_deepening", h, tr.day(n - 1), tr.CONS
    h, n = tr.consolidating_history((6, 12), risk={8: 2})
    yield "step_back_to_stabilizing", h, tr.day(n - 1), tr.CONS
    h = ClientHistory(primary="phq9", administrations=tr.weekly((16, 9, 7, 6, 5, 10)))
    yield "check_in_together", h, tr.day(5), tr.ENDED
    waiting = [
        Decision("stabilizing", START),
        Decision("plus_one", tr.day(5)),
        Decision("deepening", tr.day(6), awaiting=True),
    ]
    yield "none", tr.threshold_history(), tr.day(7), waiting
    h = tr.plateau_with(ruptures=(RuptureLog(tr.day(5)),))
    yield "none", h, tr.day(6), tr.STAB
    h = tr.plateau_with(
        reflections=(Reflection(tr.day(6), (7.0, 9.0, 9.0)),),
        therapist_ratings=(TherapistRating(tr.day(6), (9.0, 9.0, 9.0)),),
    )
    yield "none", h, tr.day(6), tr.STAB
    h = ClientHistory(
        primary="phq9",
        prior_therapy=True,
        administrations=tr.weekly((7, 6, 8)),
        goals=tr.goals_at(2, (3, 4)),
    )
    yield "plus_one", h, tr.day(2), []
    old = START - timedelta(weeks=12)
    h = ClientHistory(
        primary="phq9",
        administrations=(
            *tr.weekly(tr.PLATEAU7),
            Administration("swls", old, 18.0),
            Administration("swls", old + timedelta(weeks=2), 19.0),
            Administration("who5", tr.day(5), 64.0),
        ),
        goals=tr.goals_at(6, (8, 8)),
        felt_change=(FeltChange(tr.day(6), holds=8, stuck=2),),
    )
    yield "good_enough_ending", h, tr.day(6), tr.STAB


def test_it_agrees_with_propose_on_the_new_rules_worked_examples():
    cases = [
        (name, ClientHistory(**{**h.__dict__, "decisions": tuple(dec)}), today)
        for name, h, today, dec in _new_rule_scenarios()
    ]
    hs = [h for _, h, _ in cases]
    for i, (name, h, today) in enumerate(cases):
        p = propose(h, today=today, measures=MEASURES)
        result = run_batch(caseload_from_histories(hs), today=today, measures=MEASURES)
        assert p.kind == name, p.trace
        assert (result.kind_name(i), result.alert_names(i)) == (p.kind, p.alerts)
        assert batch_state(result, i) == propose_state(p)


def test_it_agrees_with_propose_on_the_hand_built_rule_scenarios():
    scenarios = list(_scenarios())
    hs = [h for _, h, _ in scenarios]
    for name, h, today in scenarios:
        p = propose(h, today=today, measures=MEASURES)
        result = run_batch(caseload_from_histories(hs), today=today, measures=MEASURES)
        i = hs.index(h)
        assert p.kind == name
        assert (result.kind_name(i), result.alert_names(i), bool(result.spike_review[i])) == (
            p.kind,
            p.alerts,
            p.spike_review,
        )
