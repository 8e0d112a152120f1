"""Traces from the batch arrays equal ``propose``'s, sentence for sentence (issue 15)."""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_batch import (
    AIMS,
    END,
    MEASURES,
    OFFSETS,
    POLICIES,
    START,
    histories,
    shaped_histories,
)

from plusone.core.batch import caseload_from_histories, histories_of, run_batch
from plusone.core.batch_traces import Traces
from plusone.core.history import Administration, ClientHistory
from plusone.core.policy import Policy
from plusone.core.propose import propose

EXAMPLES = int(os.environ.get("PLUSONE_BATCH_EXAMPLES", "200"))


def assert_traces_agree(hs, today, policy, covered):
    """Every client the batch traces cover gets propose's trace and question; counts them."""
    cl = caseload_from_histories(hs)
    result = run_batch(cl, today=today, policy=policy, measures=MEASURES)
    traces = Traces(cl, result, today=today, policy=policy, measures=MEASURES)
    # propose reads what analyze has: the caseload unpacked (no labels, no written reasons).
    for h, got in zip(histories_of(cl), traces.explain(0, cl.n_clients), strict=True):
        if got is None:
            continue
        p = propose(h, today=today, policy=policy, measures=MEASURES)
        assert list(got[0]) == list(p.trace)
        assert got[1] == p.question
        covered.append(p.kind)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.integers(-7, 60),
    st.sampled_from(POLICIES),
)
def test_it_writes_propose_s_trace_on_generated_caseloads(caseload, offset, policy):
    hs = [h for h, _ in caseload]
    span = max(s for _, s in caseload)
    assert_traces_agree(hs, START + timedelta(days=span + offset), policy, [])


def test_it_writes_propose_s_trace_on_caseloads_shaped_for_every_rule():
    covered: list[str] = []
    for aim_name in sorted(AIMS):

        @settings(
            max_examples=max(10, EXAMPLES // 20),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(shaped_histories(aim_name), st.lists(shaped_histories(), max_size=3), OFFSETS)
        def agrees(first, others, offset):
            for policy in POLICIES:
                assert_traces_agree([first, *others], END + timedelta(days=offset), policy, covered)

        agrees()
    # The covered clients reach every proposal of Stabilizing and Deepening, not only "none".
    every = {"plus_one", "good_enough_ending", "stalled_review", "stabilizing"}
    assert every | {"none", "spike_exit", "consolidating"} <= set(covered)


def test_it_writes_a_change_of_minus_zero_as_propose_does_after_a_zero():
    # A score of 0 is written "0"; a higher-is-better measure that has not moved has a change
    # of -0.0, which propose writes "-0": remembering written scores must not mix the two.
    weeks = [START + timedelta(weeks=w) for w in range(9)]
    zero = ClientHistory(
        primary="phq9",
        administrations=tuple(Administration("phq9", d, 0.0) for d in weeks),
    )
    flat_swls = ClientHistory(
        primary="swls",
        administrations=tuple(Administration("swls", d, 10.0) for d in weeks),
    )
    covered: list[str] = []
    assert_traces_agree([zero, flat_swls], weeks[-1], Policy(), covered)
    assert covered == ["stabilizing", "stabilizing"]
    cl = caseload_from_histories([zero, flat_swls])
    result = run_batch(cl, today=weeks[-1], policy=Policy(), measures=MEASURES)
    traces = Traces(cl, result, today=weeks[-1], policy=Policy(), measures=MEASURES)
    got = traces.explain(0, 2)[1]
    assert got is not None
    assert any("change -0 < 6 points" in sentence for sentence in got[0])
