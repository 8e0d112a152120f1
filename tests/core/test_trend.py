"""Flat, plateau and slope (DESIGN.md "Flat" and "Slope")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.trend import (
    find_window,
    is_flat,
    is_plateau,
    slope,
    t_cdf,
    t_quantile,
)

WEEKLY = [0, 7, 14, 21, 28, 35, 42]
FORTNIGHTLY = [0, 14, 28, 42, 56]


def test_it_takes_five_weekly_administrations_as_the_window():
    # DESIGN.md: "With weekly sessions that is 5 administrations".
    assert find_window(WEEKLY) == slice(2, 7)


def test_it_takes_four_fortnightly_administrations_as_the_window():
    # DESIGN.md: "with fortnightly ones, 4".
    assert find_window(FORTNIGHTLY) == slice(1, 5)


def test_it_has_no_window_when_the_series_is_too_short_or_too_brief():
    assert find_window([0, 14, 28]) is None  # only 3 administrations
    assert find_window([0, 7, 14, 21]) is None  # 4, but only 21 days


def test_it_stretches_the_window_back_over_irregular_gaps():
    # The last 4 span 9 days, so the window reaches back to day 5 (28 days).
    assert find_window([0, 5, 24, 26, 28, 33]) == slice(1, 6)


def test_it_calls_a_series_flat_when_the_window_range_is_below_rc_points():
    scores = [20, 14, 9, 8, 10, 9, 8]
    result = is_flat(scores, WEEKLY, rc_points=6)
    assert result.flat is True
    assert result.window_start == 2
    assert result.window_range == 2
    assert "8-10" in result.reason


def test_it_calls_a_series_not_flat_when_the_range_reaches_rc_points():
    result = is_flat([20, 14, 9, 8, 14, 9, 8], WEEKLY, rc_points=6)
    assert result.flat is False
    assert result.window_range == 6


def test_it_ignores_scores_before_the_window():
    # The fall from 20 happened before the window: only the last 5 count.
    assert is_flat([27, 20, 9, 8, 10, 9, 8], WEEKLY, rc_points=6).flat is True


def test_it_is_not_flat_without_a_full_window():
    result = is_flat([9, 8, 9], [0, 7, 14], rc_points=6)
    assert result.flat is None
    assert "no full window" in result.reason


def test_it_is_not_flat_when_a_sudden_gain_touches_the_window():
    scores = [20, 14, 9, 8, 10, 9, 8]
    # A gain between positions 1 and 2: its N+1 (position 2) is the window start.
    assert is_flat(scores, WEEKLY, rc_points=6, gains_post_indices=[2]).flat is False
    # A gain wholly before the window does not matter.
    assert is_flat(scores, WEEKLY, rc_points=6, gains_post_indices=[1]).flat is True


def test_it_finds_a_plateau_below_the_cutoff():
    scores = [20, 14, 9, 8, 9, 9, 8]
    result = is_plateau(scores, WEEKLY, rc_points=6, cutoff=10, better="lower")
    assert result.plateau is True
    assert result.on_better_side is True


def test_it_counts_a_score_at_the_cutoff_as_not_past_it():
    scores = [20, 14, 9, 8, 9, 9, 10]
    result = is_plateau(scores, WEEKLY, rc_points=6, cutoff=10, better="lower")
    assert result.plateau is False
    assert result.flat.flat is True


def test_it_needs_every_score_of_the_window_past_the_cutoff_not_only_the_last_two():
    # Issue 10: the last 2 are below 10, but the window (the last 5, 28 days) holds a 10.
    scores = [20, 14, 10, 9, 9, 8, 9]
    result = is_plateau(scores, WEEKLY, rc_points=6, cutoff=10, better="lower")
    assert result.flat.flat is True
    assert result.on_better_side is False
    assert result.plateau is False
    assert "not every score of the window (10, 9, 9, 8, 9) is below the cutoff 10" in result.reason


def test_it_finds_a_plateau_above_the_cutoff_when_higher_is_better():
    scores = [5, 10, 18, 19, 18, 19, 19]
    assert is_plateau(scores, WEEKLY, rc_points=5, cutoff=13, better="higher").plateau is True


# Published two-sided t-table values (e.g. any statistics textbook's Table of
# Student's t): t_{0.975} for df 1..5, 10, 20, 30, 120; one-sided t_{0.95}
# for df 1 and 10; t_{0.995} for df 5.
@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706),
        (0.975, 2, 4.303),
        (0.975, 3, 3.182),
        (0.975, 4, 2.776),
        (0.975, 5, 2.571),
        (0.975, 10, 2.228),
        (0.975, 20, 2.086),
        (0.975, 30, 2.042),
        (0.975, 120, 1.980),
        (0.95, 1, 6.314),
        (0.95, 10, 1.812),
        (0.995, 5, 4.032),
    ],
)
def test_it_matches_the_published_t_table(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=5e-4)


def test_it_inverts_its_own_t_cdf():
    for df in (1, 2, 7, 50):
        for p in (0.01, 0.2, 0.5, 0.9, 0.999):
            assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_it_gives_the_slope_in_points_per_week_with_a_t_interval():
    # By hand: days 0, 7, 14, 21; scores 20, 18, 15, 14. Sxx = 245,
    # Sxy = -73.5, b = -0.3 per day = -2.1 per week; residuals 0.1, 0.2, -0.7,
    # 0.4, SSE = 0.70, SE(b) = sqrt(0.35 / 245) per day; t(0.975, 2) = 4.303.
    result = slope([0, 7, 14, 21], [20, 18, 15, 14])
    assert result.n == 4
    assert result.per_week == pytest.approx(-2.1)
    half = 4.303 * (0.35 / 245) ** 0.5 * 7
    assert result.low == pytest.approx(-2.1 - half, abs=1e-3)
    assert result.high == pytest.approx(-2.1 + half, abs=1e-3)


def test_it_uses_only_the_last_k_for_the_slope():
    result = slope([0, 7, 14, 21, 28], [40, 6, 5, 4, 3], k=4)
    assert result.per_week == pytest.approx(-1.0)
    assert result.low == pytest.approx(-1.0)
    assert result.high == pytest.approx(-1.0)


def test_it_has_no_interval_with_two_points_and_no_slope_with_one():
    assert slope([0, 7], [10, 8]) == slope([0, 7], [10, 8]).__class__(-2.0, None, None, 2)
    assert slope([0], [10]).per_week is None


@st.composite
def series(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    gaps = draw(st.lists(st.integers(min_value=0, max_value=21), min_size=n, max_size=n))
    days = [sum(gaps[: i + 1]) for i in range(n)]
    scores = draw(st.lists(st.integers(min_value=0, max_value=27), min_size=n, max_size=n))
    return days, scores


@given(data=series(), shift=st.integers(min_value=-50, max_value=50), rc=st.integers(1, 10))
def test_it_judges_flat_the_same_after_adding_a_constant(data, shift, rc):
    days, scores = data
    before = is_flat(scores, days, rc_points=rc)
    after = is_flat([s + shift for s in scores], days, rc_points=rc)
    assert (before.flat, before.window_start, before.window_range) == (
        after.flat,
        after.window_start,
        after.window_range,
    )


@given(data=series())
def test_it_always_picks_a_window_of_at_least_k_spanning_min_days(data):
    days, _ = data
    window = find_window(days)
    if window is None:
        assert len(days) < 4 or days[-1] - days[0] < 28
    else:
        assert window.stop == len(days)
        assert len(days) - window.start >= 4
        assert days[-1] - days[window.start] >= 28
        # Shortest: one administration fewer would not be a full window.
        shorter = window.start + 1
        assert len(days) - shorter < 4 or days[-1] - days[shorter] < 28
