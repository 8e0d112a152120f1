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
)
from plusone.core.policy import Policy
from plusone.core.propose import KINDS, MeasureInfo, propose

MEASURES = {
    "phq9": MeasureInfo("phq9", "PHQ-9", "lower", 10.0, 6, (20.0, 27.0)),
    "gad7": MeasureInfo("gad7", "GAD-7", "lower", 10.0, 5, (15.0, 21.0)),
    "swls": MeasureInfo("swls", "SWLS", "higher", 19.0, 6, None),
    "who5": MeasureInfo("who5", "WHO-5", "higher", 12.0, None, None),
    "mhcsf": MeasureInfo("mhcsf", "MHC-SF", "higher", None, None, None),
}
START = date(2026, 1, 5)


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
    risks = draw(st.lists(st.sampled_from([0] * 15 + [1, 2, 3]), min_size=n, max_size=n))
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
        st.lists(st.sampled_from(["swls", "swls", "who5", "mhcsf", "gad7"]), max_size=5)
    ):
        band = draw(st.sampled_from(["flourishing", "flourishing", "moderate", None]))
        admins.append(Administration(key, some_day(), float(draw(st.integers(5, 35))), band=band))
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
    refl = [
        Reflection(
            some_day(),
            (draw(item), draw(st.integers(7, 10).map(float)), draw(item)),
            draw(st.sampled_from([False] * 6 + [True])),
        )
        for _ in range(draw(st.integers(0, 8)))
    ]
    sessions = tuple(sorted({START + timedelta(days=d) for d in days}))
    decisions = []
    if draw(st.booleans()):
        first = draw(st.sampled_from(["stabilizing", "deepening", "deepening", "consolidating"]))
        decisions.append(Decision(first, START + timedelta(days=draw(st.integers(0, 3)))))
    for _ in range(draw(st.integers(0, 2))):
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
            decisions.append(Decision(draw(st.sampled_from(PHASES)), some_day()))
    flags = [
        RiskFlag(
            "phq9",
            "item9",
            draw(st.integers(1, 3)),
            some_day(),
            draw(st.one_of(st.none(), st.builds(some_day))),
        )
        for _ in range(draw(st.integers(0, 1)))
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
    ), span


# PLUSONE_BATCH_EXAMPLES raises the example count for a deep local run.
@settings(
    max_examples=int(os.environ.get("PLUSONE_BATCH_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(histories(), min_size=1, max_size=6), st.integers(-7, 60))
def test_it_agrees_with_propose_per_client_on_generated_caseloads(caseload, offset):
    hs = [h for h, _ in caseload]
    span = max(s for _, s in caseload)
    today = START + timedelta(days=span + offset)
    cl = caseload_from_histories(hs)
    result = run_batch(cl, today=today, policy=Policy(), measures=MEASURES)
    unpacked = histories_of(cl)
    for i, h in enumerate(hs):
        p = propose(h, today=today, policy=Policy(), measures=MEASURES)
        got = (result.kind_name(i), result.alert_names(i), bool(result.spike_review[i]))
        assert got == (p.kind, p.alerts, p.spike_review), p.trace
        assert open_flags_for(cl, result, i) == [(r.item_id, r.grade) for r in p.risk]
        # Unpacking the caseload again gives the same proposal.
        q = propose(unpacked[i], today=today, policy=Policy(), measures=MEASURES)
        assert (q.kind, q.alerts, q.risk) == (p.kind, p.alerts, p.risk)


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
