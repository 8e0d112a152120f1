"""Reliable and clinically significant change (Jacobson & Truax 1991)."""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.change import (
    CATEGORIES,
    Category,
    classify,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    is_functional,
    is_reliable,
    jacobson_truax,
    rc_points,
    rci,
    s_diff,
    standard_error,
)


def test_it_reproduces_the_jacobson_truax_illustration():
    # Jacobson & Truax 1991: M_dys 40, M_func 60, both SDs 7.5, higher is better.
    assert cutoff_c(40, 7.5, 60, 7.5) == pytest.approx(50)
    assert cutoff_a(40, 7.5, better="higher") == pytest.approx(55)
    assert cutoff_b(60, 7.5, better="higher") == pytest.approx(45)


def test_it_mirrors_cutoffs_a_and_b_when_lower_is_better():
    # The same populations on a scale where lower is better (dys 60, func 40).
    assert cutoff_a(60, 7.5, better="lower") == pytest.approx(45)
    assert cutoff_b(40, 7.5, better="lower") == pytest.approx(55)
    assert cutoff_c(60, 7.5, 40, 7.5) == pytest.approx(50)


def test_it_uses_the_functional_sd_for_cutoff_b():
    # b = M_func - 2 SD_func (higher better); the clinical SD plays no part.
    assert cutoff_b(60, 5.0, better="higher") == pytest.approx(50)


def test_it_weights_cutoff_c_by_the_other_populations_sd():
    # (SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func)
    # = (10 * 8 + 5 * 20) / 15 = 12: closer to the tighter functional mean.
    assert cutoff_c(20, 10, 8, 5) == pytest.approx(12)


def test_it_computes_se_sdiff_and_rci_by_hand():
    # SD 7.5, r .80: SE = 7.5 * sqrt(.2) = 3.3541; S_diff = sqrt(2) * SE = 4.7434.
    assert standard_error(7.5, 0.80) == pytest.approx(3.3541, abs=1e-4)
    assert s_diff(7.5, 0.80) == pytest.approx(4.7434, abs=1e-4)
    # A rise from 32 to 44 is 12 / 4.7434 = 2.53: reliable.
    index = rci(32, 44, s_diff=s_diff(7.5, 0.80))
    assert index == pytest.approx(2.5298, abs=1e-4)
    assert is_reliable(index)


def test_it_gives_rc_points_as_the_smallest_reliable_whole_change():
    # 1.959964 * 4.7434 = 9.297: a change of 10 is reliable and 9 is not.
    sd = s_diff(7.5, 0.80)
    assert rc_points(7.5, 0.80) == 10
    assert is_reliable(rci(0, 10, s_diff=sd))
    assert not is_reliable(rci(0, 9, s_diff=sd))


@given(sd=st.floats(0.1, 50), r=st.floats(0.0, 0.99))
def test_it_makes_rc_points_the_smallest_whole_change_that_is_reliable(sd, r):
    points = rc_points(sd, r)
    sdiff = s_diff(sd, r)
    assert is_reliable(rci(0, points, s_diff=sdiff))
    assert points == 1 or not is_reliable(rci(0, points - 1, s_diff=sdiff))


def test_it_calls_reliability_strictly_above_the_critical_value():
    assert not is_reliable(1.959964)
    assert not is_reliable(-1.959964)
    assert is_reliable(1.9599641)
    assert is_reliable(-1.9599641)


# Lower is better, cutoff 10, S_diff 2 (reliable when |change| > 3.92).
@pytest.mark.parametrize(
    ("pre", "post", "expected"),
    [
        (18, 7, Category.RECOVERED),
        (18, 12, Category.IMPROVED),  # reliable, still at or above the cutoff
        (9, 4, Category.IMPROVED),  # reliable, already functional
        (18, 10, Category.IMPROVED),  # at the cutoff is not past it
        (12, 9, Category.UNCHANGED),  # crossed the cutoff, but not reliably
        (14, 17, Category.UNCHANGED),  # 3 points: not reliable
        (14, 18, Category.DETERIORATED),  # 4 / 2 = 2.0 > 1.959964: reliable
        (5, 12, Category.HARMED),
        (12, 18, Category.DETERIORATED),
        (3, 9, Category.DETERIORATED),  # reliable, still functional
        (5, 10, Category.HARMED),  # the cutoff itself counts as clinical
    ],
)
def test_it_classifies_each_case_into_one_category(pre, post, expected):
    assert classify(pre, post, s_diff=2.0, cutoff=10, better="lower") == expected


def test_it_classifies_in_the_other_direction_when_higher_is_better():
    assert classify(40, 58, s_diff=4.0, cutoff=50, better="higher") == Category.RECOVERED
    assert classify(58, 40, s_diff=4.0, cutoff=50, better="higher") == Category.HARMED
    assert classify(40, 30, s_diff=4.0, cutoff=50, better="higher") == Category.DETERIORATED


def test_it_never_recovers_or_harms_without_a_cutoff():
    assert classify(18, 2, s_diff=2.0, cutoff=None, better="lower") == Category.IMPROVED
    assert classify(2, 18, s_diff=2.0, cutoff=None, better="lower") == Category.DETERIORATED


def test_it_treats_a_score_at_the_cutoff_as_clinical():
    assert not is_functional(10, cutoff=10, better="lower")
    assert is_functional(9.99, cutoff=10, better="lower")
    assert not is_functional(50, cutoff=50, better="higher")


def test_it_runs_over_a_data_set_with_pre_score_defaults():
    ids = ["a", "b", "c", "d", "e"]
    pre = [20.0, 22.0, 18.0, 24.0, 16.0]
    post = [8.0, 21.0, None, 30.0, 15.0]
    result = jacobson_truax(ids, pre, post, reliability=0.8, better="lower")
    # Complete cases a, b, d, e: pre mean 20.5, sample SD sqrt(35 / 3) = 3.4157.
    assert result.n == 4
    assert result.excluded == ("c",)
    assert result.sd == pytest.approx(math.sqrt(35 / 3))
    assert result.clinical_mean == pytest.approx(20.5)
    assert result.cutoff_type == "a"
    assert result.cutoff == pytest.approx(20.5 - 2 * math.sqrt(35 / 3))
    assert result.se == pytest.approx(math.sqrt(35 / 3) * math.sqrt(0.2))
    assert result.rc_points == math.floor(1.959964 * result.s_diff) + 1
    by_id = {r.id: r.category for r in result.rows}
    # S_diff = 2.1603; 1.96 * S_diff = 4.23; cutoff a = 13.67.
    assert by_id == {
        "a": Category.RECOVERED,
        "b": Category.UNCHANGED,
        "d": Category.DETERIORATED,
        "e": Category.UNCHANGED,
    }
    assert sum(result.counts.values()) == 4


def test_it_defaults_to_cutoff_c_with_functional_norms():
    result = jacobson_truax(
        ["a", "b"],
        [40, 35],
        [58, 36],
        reliability=0.8,
        better="higher",
        sd=7.5,
        clinical=(40, 7.5),
        functional=(60, 7.5),
    )
    assert (result.cutoff_type, result.cutoff) == ("c", pytest.approx(50))
    assert [r.category for r in result.rows] == [Category.RECOVERED, Category.UNCHANGED]


def test_it_refuses_cutoff_b_or_c_without_functional_norms():
    for kind in ("b", "c"):
        with pytest.raises(ValueError, match="functional"):
            jacobson_truax(["a", "b"], [1, 2], [1, 2], reliability=0.8, better="lower", cutoff=kind)


def test_it_needs_two_complete_cases_to_estimate_the_sd():
    with pytest.raises(ValueError, match="complete case"):
        jacobson_truax(["a", "b"], [10, None], [5, 5], reliability=0.8, better="lower")


finite = st.floats(min_value=-100, max_value=100, allow_nan=False)


@given(pre=finite, post=finite, sd=st.floats(0.1, 50), r=st.floats(0.0, 0.99))
def test_it_signs_the_rci_by_the_direction_of_change(pre, post, sd, r):
    index = rci(pre, post, s_diff=s_diff(sd, r))
    if post > pre:
        assert index > 0
    elif post < pre:
        assert index < 0
    else:
        assert index == 0


cases = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(0, 27)), st.one_of(st.none(), st.integers(0, 27))),
    min_size=2,
    max_size=40,
)


@given(
    data=cases,
    better=st.sampled_from(["lower", "higher"]),
    r=st.floats(0.5, 0.95),
    functional=st.one_of(st.none(), st.tuples(st.floats(0, 20), st.floats(1, 10))),
)
def test_it_puts_every_complete_case_in_exactly_one_category(data, better, r, functional):
    ids = [str(i) for i in range(len(data))]
    pre = [p for p, _ in data]
    post = [q for _, q in data]
    complete = [(p, q) for p, q in data if p is not None and q is not None]
    pre_scores = [p for p, _ in complete]
    if len(complete) < 2 or len(set(pre_scores)) < 2:
        return
    result = jacobson_truax(ids, pre, post, reliability=r, better=better, functional=functional)
    assert result.n == len(complete)
    assert sum(result.counts.values()) == len(complete)
    assert set(result.counts) == set(CATEGORIES)
    for row in result.rows:
        reliable = is_reliable(row.rci)
        sign = 1 if better == "higher" else -1
        was = is_functional(row.pre, cutoff=result.cutoff, better=better)
        now = is_functional(row.post, cutoff=result.cutoff, better=better)
        expected = {
            Category.RECOVERED: reliable and sign * row.rci > 0 and not was and now,
            Category.IMPROVED: reliable and sign * row.rci > 0 and not (not was and now),
            Category.UNCHANGED: not reliable,
            Category.DETERIORATED: reliable and sign * row.rci < 0 and not (was and not now),
            Category.HARMED: reliable and sign * row.rci < 0 and was and not now,
        }
        assert [c for c, holds in expected.items() if holds] == [row.category]


# Issue 10, section 6: hostile numbers end in a clear ValueError, never a hang or an overflow.


@pytest.mark.timeout(10)
@pytest.mark.parametrize("sd", [1e25, 1e60, 1e300])
def test_it_refuses_an_sd_too_large_for_whole_number_rc_points(sd):
    # rc_points looped for ever once S_diff passed 2**53, where points + 1 == points.
    with pytest.raises(ValueError, match=r"sd must be a number from 1e-12 to 1e12, got 1e\+"):
        rc_points(sd, 0.8)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("sd", [0.0, -1.0, 1e-300, math.inf, math.nan])
def test_it_refuses_an_sd_that_is_not_a_usable_positive_number(sd):
    with pytest.raises(ValueError, match="sd must be a number from 1e-12 to 1e12"):
        standard_error(sd, 0.8)


@pytest.mark.parametrize("r", [-0.1, 1.0, math.nan, math.inf])
def test_it_refuses_a_reliability_outside_zero_to_one(r):
    with pytest.raises(ValueError, match="reliability must be in"):
        standard_error(7.5, r)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("pre", "post"), [(1e60, 5), (1e200, 5), (5, -1e200)])
def test_it_refuses_a_score_too_large_to_square(pre, post):
    # 1e200 raised OverflowError in the SD estimate; 1e60 never ended in rc_points.
    with pytest.raises(ValueError, match=r"score of id 'b' \(.*\) is not a number from -1e12"):
        jacobson_truax(
            ["a", "b", "c"], [10, pre, 12], [5, post, 5], reliability=0.8, better="lower"
        )


@pytest.mark.parametrize(
    ("clinical", "functional", "message"),
    [
        ((1e200, 5.0), None, r"clinical mean \(1e\+200\) is not a number from -1e12 to 1e12"),
        ((20.0, 1e25), None, "clinical SD must be a number from 1e-12 to 1e12"),
        ((20.0, 5.0), (8.0, math.inf), "functional SD must be a number from 1e-12 to 1e12"),
    ],
)
def test_it_refuses_norms_beyond_the_bounds(clinical, functional, message):
    with pytest.raises(ValueError, match=message):
        jacobson_truax(
            ["a", "b"],
            [10, 12],
            [5, 5],
            reliability=0.8,
            better="lower",
            sd=5.0,
            clinical=clinical,
            functional=functional,
        )


@contextmanager
def ends_within(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the body after ``seconds``, then re-arm pytest-timeout's alarm.

    A hang inside a hypothesis example becomes an ordinary failing example that
    shrinks; pytest-timeout alone fires once, and the shrinking would hang again.
    """

    def expire(*_: object) -> None:
        raise TimeoutError(f"did not end within {seconds} s")

    outer = signal.signal(signal.SIGALRM, expire)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


any_float = st.floats(allow_nan=False, allow_infinity=False)
maybe_score = st.one_of(st.none(), any_float, st.integers(-100, 100).map(float))


@pytest.mark.timeout(60)
@given(
    data=st.lists(st.tuples(maybe_score, maybe_score), min_size=0, max_size=8),
    sd=st.one_of(st.none(), any_float),
    r=st.floats(0.0, 1.0, exclude_max=True),
    clinical=st.one_of(st.none(), st.tuples(any_float, any_float)),
    functional=st.one_of(st.none(), st.tuples(any_float, any_float)),
    better=st.sampled_from(["lower", "higher"]),
)
def test_it_ends_with_a_result_or_a_clear_error_for_any_finite_input(
    data, sd, r, clinical, functional, better
):
    ids = [str(i) for i in range(len(data))]
    try:
        with ends_within(2):
            result = jacobson_truax(
                ids,
                [p for p, _ in data],
                [q for _, q in data],
                reliability=r,
                better=better,
                sd=sd,
                clinical=clinical,
                functional=functional,
            )
    except ValueError as exc:
        assert str(exc)
        return
    assert sum(result.counts.values()) == result.n
    numbers = [result.sd, result.se, result.s_diff, result.cutoff, result.rc_points]
    numbers += [row.rci for row in result.rows]
    assert all(math.isfinite(x) for x in numbers)
    assert result.rc_points >= 1
