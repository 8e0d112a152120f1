"""Sudden gains and losses (Tang & DeRubeis 1999; Lutz et al. 2013)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.gains import T_CRIT, Gain, criterion3, select_gains, sudden_gains

NA = None


# The suddengains documentation's toy series (crit1 = 7, six sessions numbered
# 1..6, gains sought between sessions 2 and 5). Positions are 0-based.
@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([28, 19, 23, 11, 12, NA], [(2, 3)]),  # sessions 3 -> 4
        ([28, 19, 23, 12, 13, NA], []),  # criterion 3 fails
        ([35, 37, 23, 23, 24, 21], [(1, 2)]),  # sessions 2 -> 3
    ],
)
def test_it_finds_the_published_toy_gains(series, expected):
    found = sudden_gains(series, crit1=7)
    assert [(g.pre_index, g.post_index) for g in found] == expected


# Further six-session series from the suddengains package's test suite
# (Wiedemann et al. 2020), with the intervals 2-3, 3-4 and 4-5 flagged there.
@pytest.mark.parametrize(
    ("series", "gain_after_session"),
    [
        ([28, 19, 23, 12, 14, NA], []),
        ([28, 19, NA, 12, 13, NA], []),  # x_N missing: nothing is sought
        ([28, 25, 28, 11, 12, NA], [3]),
        ([28, 26, 28, 11, 12, NA], [3]),
        ([NA, 26, 28, NA, 12, 11], []),
        ([35, 37, 34, 24, 24, 21], [3]),
        ([35, 37, 34, 34, 24, 21], [4]),
        ([35, 37, 34, 37, 37, 37], []),
    ],
)
def test_it_agrees_with_the_suddengains_test_series(series, gain_after_session):
    found = sudden_gains(series, crit1=7)
    # Sessions are numbered from 1, so session N is position N - 1.
    assert [g.pre_index + 1 for g in found] == gain_after_session


@pytest.mark.parametrize(
    ("series", "loss_after_session"),
    [
        ([10, 11, 12, 30, 28, 33], [3]),
        ([10, 11, 12, 10, 28, 33], [4]),
        ([10, 11, 30, 30, 28, 33], [2]),
        ([35, 37, 34, 23, 24, 21], []),
    ],
)
def test_it_agrees_with_the_suddengains_loss_series(series, loss_after_session):
    found = sudden_gains(series, crit1=7, losses=True)
    assert [g.pre_index + 1 for g in found] == loss_after_session


def test_it_uses_the_lutz_t_quantiles_for_missing_scores():
    # Two-sided 95 % t quantiles for df = 4, 3, 2 as published by Lutz et al. 2013.
    assert T_CRIT == {4: 2.776, 3: 3.182, 2: 4.303}


def test_it_computes_criterion_3_of_the_first_toy_series_by_hand():
    # pre 28, 19, 23: mean 23.333, variance 20.333; post 11, 12: mean 11.5,
    # variance 0.5; pooled SD sqrt((2 * 20.333 + 0.5) / 3) = 3.70435; t(3) = 3.182.
    diff, threshold = criterion3([28, 19, 23], [11, 12])
    assert diff == pytest.approx(11.8333, abs=1e-4)
    assert threshold == pytest.approx(11.7872, abs=1e-4)
    assert diff > threshold


def test_it_reports_magnitude_and_scores_of_a_gain():
    (gain,) = sudden_gains([28, 19, 23, 11, 12, NA], crit1=7)
    assert gain.magnitude == 12
    assert (gain.pre_score, gain.post_score) == (23, 11)
    assert gain.reversal is False


def test_it_marks_a_gain_reversed_when_a_later_score_comes_half_way_back():
    # Gain 23 -> 11 (magnitude 12); reversal at or above 11 + 6 = 17 from N+2 on.
    base = [28, 19, 23, 11, 12, 10]
    assert sudden_gains([*base, 16], crit1=7)[0].reversal is False
    assert sudden_gains([*base, 17], crit1=7)[0].reversal is True


def test_it_needs_two_scores_on_each_side():
    # A gain at the first or last interval has only one score on one side.
    assert sudden_gains([30, 10, 11, 12], crit1=7) == []
    assert sudden_gains([30, 31, 29, 10], crit1=7) == []


def test_it_treats_missing_scores_as_gaps_and_never_jumps_them():
    assert sudden_gains([30, 31, 29, NA, 10, 11, 12], crit1=7) == []


def test_it_skips_a_drop_smaller_than_a_quarter_of_the_score():
    # 60 -> 50 is 10 points but only 17 % of 60 (criterion 2).
    assert sudden_gains([60, 61, 60, 50, 50, 49], crit1=7) == []
    assert len(sudden_gains([30, 31, 30, 20, 20, 19], crit1=7)) == 1


def test_it_finds_sudden_losses_as_the_mirror_image():
    up = [11, 12, 11, 23, 24, 23]
    assert sudden_gains(up, crit1=7) == []
    (loss,) = sudden_gains(up, crit1=7, losses=True)
    assert (loss.pre_index, loss.post_index, loss.magnitude, loss.loss) == (2, 3, 12, True)


def test_it_finds_gains_as_rises_when_higher_is_better():
    up = [11, 12, 11, 23, 24, 23]
    (gain,) = sudden_gains(up, crit1=7, better="higher")
    assert (gain.pre_index, gain.magnitude, gain.reversal) == (2, 12, False)
    assert sudden_gains(up, crit1=7, better="higher", losses=True) == []


def test_it_accepts_nan_as_missing():
    assert len(sudden_gains([28, 19, 23, 11, 12, math.nan], crit1=7)) == 1


def test_it_selects_first_largest_or_all():
    gains = [Gain(1, 2, 8.0, False), Gain(4, 5, 12.0, True), Gain(7, 8, 12.0, False)]
    assert select_gains(gains, "first") == [gains[0]]
    assert select_gains(gains, "largest") == [gains[1]]
    assert select_gains(gains, "all") == gains
    assert select_gains([], "largest") == []


def test_it_rejects_a_non_positive_crit1():
    with pytest.raises(ValueError, match="crit1"):
        sudden_gains([1, 2, 3], crit1=0)


scores = st.lists(
    st.one_of(st.none(), st.integers(min_value=0, max_value=60)), min_size=0, max_size=16
)


@given(series=scores, crit1=st.integers(min_value=1, max_value=20), losses=st.booleans())
def test_it_never_reports_a_gain_where_criterion_1_fails(series, crit1, losses):
    for g in sudden_gains(series, crit1=crit1, losses=losses):
        pre, post = series[g.pre_index], series[g.post_index]
        change = (post - pre) if losses else (pre - post)
        assert change >= crit1
        assert g.magnitude == change
        assert g.post_index == g.pre_index + 1


@given(series=scores, crit1=st.integers(min_value=1, max_value=20))
def test_it_finds_the_same_gains_on_a_mirrored_scale(series, crit1):
    # A gain on a lower-is-better scale is a loss on the same numbers read the other way.
    gains = sudden_gains(series, crit1=crit1)
    as_higher = sudden_gains(series, crit1=crit1, better="higher", losses=True)
    assert [(g.pre_index, g.magnitude, g.reversal) for g in gains] == [
        (g.pre_index, g.magnitude, g.reversal) for g in as_higher
    ]


# Issue 10, section 6: hostile numbers end in a clear ValueError, never an overflow.


@pytest.mark.parametrize("big", [1e200, -1e200, 1e13])
def test_it_refuses_a_score_too_large_to_square(big):
    # Alternating 1e200 and 0 raised OverflowError in criterion 3.
    series = [big, 0, big, 0, big, 0, big, 0]
    with pytest.raises(ValueError, match=r"at position 0 is not a number from -1e12 to 1e12"):
        sudden_gains(series, crit1=5)


def test_it_refuses_a_crit1_that_is_not_finite():
    with pytest.raises(ValueError, match="crit1"):
        sudden_gains([1, 2, 3], crit1=math.inf)


@pytest.mark.timeout(60)
@given(
    series=st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))),
    crit1=st.floats(allow_nan=False, allow_infinity=False),
    losses=st.booleans(),
    better=st.sampled_from(["lower", "higher"]),
)
def test_it_ends_with_gains_or_a_clear_error_for_any_finite_input(series, crit1, losses, better):
    try:
        gains = sudden_gains(series, crit1=crit1, losses=losses, better=better)
    except ValueError as exc:
        assert str(exc)
        return
    for g in gains:
        assert math.isfinite(g.magnitude) and g.magnitude >= crit1
