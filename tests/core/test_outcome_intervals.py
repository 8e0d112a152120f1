"""Practice outcomes arithmetic: intervals for a proportion and a median, one episode's change."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.measure_info import MeasureInfo, measure_info
from plusone.core.outcomes import (
    episode_change,
    follow_up_holds,
    median_interval,
    wilson,
)

# Newcombe RG (1998), Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 17:857-872, method 3 (the Wilson score interval without continuity
# correction): its four worked examples, to four decimals.
NEWCOMBE_1998_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE_1998_WILSON)
def test_it_gives_newcombes_wilson_intervals(k, n, low, high):
    p = wilson(k, n)
    assert (p.count, p.denominator) == (k, n)
    assert round(p.low, 4) == low
    assert round(p.high, 4) == high


def test_it_gives_no_interval_without_a_denominator():
    p = wilson(0, 0)
    assert p.share is None and p.low is None and p.high is None


def test_it_refuses_a_count_above_its_denominator():
    with pytest.raises(ValueError, match="3 of 2"):
        wilson(3, 2)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_it_keeps_the_wilson_interval_inside_0_1_around_the_share(kn):
    k, n = kn
    p = wilson(k, n)
    assert 0 <= p.low <= k / n <= p.high <= 1


# The distribution-free interval for a median from binomial order statistics (Conover WJ,
# Practical Nonparametric Statistics, 3rd ed., 1999, section 3.2; Campbell MJ & Gardner MJ,
# BMJ 1988;296:1454-6):
# n, the ranks (r, n - r + 1) of the 95 % interval, and its exact coverage.
ORDER_STATISTIC_RANKS = [
    (6, 1, 6, 0.969),
    (10, 2, 9, 0.979),
    (20, 6, 15, 0.959),
    (30, 10, 21, 0.957),
]


@pytest.mark.parametrize(("n", "r", "s", "coverage"), ORDER_STATISTIC_RANKS)
def test_it_picks_the_published_order_statistics_for_a_median(n, r, s, coverage):
    values = [float(v) for v in range(100, 100 + n)]
    m = median_interval(list(reversed(values)))
    assert m.ranks == (r, s)
    assert m.low == values[r - 1] and m.high == values[s - 1]
    assert round(m.coverage, 3) == coverage


def test_it_gives_the_median_of_an_even_count_as_the_middle_twos_mean():
    assert median_interval([4, 1, 3, 2]).median == 2.5


def test_it_gives_no_95_interval_for_five_or_fewer_values():
    m = median_interval([3, 1, 2, 5, 4])
    assert m.median == 3 and m.low is None and m.high is None and m.n == 5


def test_it_gives_nothing_for_no_values():
    m = median_interval([])
    assert (m.n, m.median, m.low) == (0, None, None)


@given(st.lists(st.integers(0, 60), min_size=6, max_size=80))
def test_it_keeps_the_median_inside_its_interval_with_at_least_95_coverage(values):
    m = median_interval(values)
    assert m.low <= m.median <= m.high
    assert m.coverage >= 0.95
    # One rank further in would fall below 95 %: the interval is the narrowest that holds.
    r = m.ranks[0]
    tail = sum(math.comb(m.n, i) for i in range(r + 1)) / 2**m.n
    assert 1 - 2 * tail < 0.95


PHQ9 = MeasureInfo(key="phq9", title="PHQ-9", direction="lower", cutoff=10, rc_points=6)
WHO5 = MeasureInfo(key="who5", title="WHO-5", direction="higher", cutoff=50, rc_points=10)


@pytest.mark.parametrize(
    ("first", "last", "caseness", "improved", "recovered", "worse"),
    [
        # Jacobson & Truax style, with the PHQ-9's 6 points and cutoff 10 (at 10 is a case).
        (18, 7, True, True, True, False),
        (18, 13, True, False, False, False),
        (12, 9, True, False, True, False),  # recovered by caseness, not reliably improved
        (16, 10, True, True, False, False),  # 10 is still caseness
        (10, 17, True, False, False, True),
        (9, 3, False, True, False, False),  # not a case at intake: counted nowhere
    ],
)
def test_it_classifies_one_episodes_change(first, last, caseness, improved, recovered, worse):
    c = episode_change(first, last, info=PHQ9)
    assert c is not None
    assert c.at_caseness is caseness
    assert c.reliable_improvement is improved
    assert c.recovered is recovered
    assert c.reliable_deterioration is worse


def test_it_reads_a_higher_is_better_measure_the_other_way():
    c = episode_change(40, 64, info=WHO5)
    assert c is not None and c.at_caseness and c.recovered and c.reliable_improvement
    assert episode_change(60, 70, info=WHO5).at_caseness is False


def test_it_uses_the_shipped_phq9_parameters():
    info = measure_info("phq9")
    c = episode_change(18, 7, info=info)
    assert c is not None and c.at_caseness and c.recovered


def test_it_gives_no_change_for_a_measure_without_cutoff_or_rc_points():
    assert episode_change(10, 2, info=MeasureInfo(key="x", title="X")) is None


@pytest.mark.parametrize(
    ("before", "follow", "holds"),
    [
        (6, 7, True),
        (6, 10, False),  # at the cutoff: check in together
        (2, 8, False),  # six points worse than the last score before ending
        (3, 8, True),
    ],
)
def test_it_judges_a_follow_up_as_the_ending_rule_does(before, follow, holds):
    assert follow_up_holds(before, follow, info=PHQ9) is holds
