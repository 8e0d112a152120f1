"""Practice outcomes: intervals for a proportion and a median, and one episode's change.

Descriptive arithmetic for the outcomes pages: each figure carries its count, its
denominator and a 95 % interval. Nothing here reads a clock, settings or the database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from plusone.core.measure_info import MeasureInfo

# Two-sided 95 % normal critical value, as in plusone.core.change.
Z95 = 1.959964


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``denominator``, with its Wilson score interval (None without a denominator)."""

    count: int
    denominator: int
    low: float | None
    high: float | None

    @property
    def share(self) -> float | None:
        return self.count / self.denominator if self.denominator else None


def wilson(count: int, denominator: int, *, z: float = Z95) -> Proportion:
    """The Wilson score interval for ``count`` of ``denominator`` (no continuity correction).

    Newcombe (1998), method 3: (2np + z² ± z·sqrt(z² + 4npq)) / (2(n + z²)). It stays
    inside [0, 1] and behaves at 0 of n, where the simple (Wald) interval collapses.
    """
    if denominator < 0 or count < 0:
        raise ValueError(f"counts must not be negative, got {count} of {denominator}")
    if count > denominator:
        raise ValueError(f"a count cannot exceed its denominator: {count} of {denominator}")
    if denominator == 0:
        return Proportion(0, 0, None, None)
    n, p = denominator, count / denominator
    centre = 2 * n * p + z * z
    spread = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    scale = 2 * (n + z * z)
    # At 0 and n the bound is exactly 0 or 1; rounding would otherwise leave 1e-17.
    low = 0.0 if count == 0 else (centre - spread) / scale
    high = 1.0 if count == n else (centre + spread) / scale
    return Proportion(count, denominator, low, high)


@dataclass(frozen=True)
class MedianInterval:
    """The median of ``n`` values and its distribution-free interval.

    ``ranks`` are the 1-based order statistics (r, n - r + 1) that bound the interval, and
    ``coverage`` its exact coverage (at least the confidence asked). Both are None, with
    ``low`` and ``high``, when no order statistics reach it (5 values or fewer at 95 %).
    """

    n: int
    median: float | None
    low: float | None
    high: float | None
    ranks: tuple[int, int] | None
    coverage: float | None


def _binomial_half_cdf(n: int, k: int) -> float:
    """P(X ≤ k) for X ~ Binomial(n, 1/2), exactly in integers before the one division."""
    return sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)


def median_interval(values: Sequence[float], *, confidence: float = 0.95) -> MedianInterval:
    """The median and the order-statistic interval that holds it with ``confidence``.

    Conover (1999, section 3.2) and Campbell & Gardner (1988): the number of values below
    the population median is Binomial(n, 1/2), so [x(r), x(n-r+1)] covers it with
    probability 1 - 2·P(X ≤ r - 1). r is the largest rank whose coverage is still at
    least ``confidence``; no assumption about the shape of the distribution is made.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    xs = sorted(float(v) for v in values)
    n = len(xs)
    if n == 0:
        return MedianInterval(0, None, None, None, None, None)
    mid = n // 2
    median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
    alpha_half = (1 - confidence) / 2
    r = 0
    # The tail grows with r: step while the next rank still leaves at most alpha/2 outside.
    while r + 1 <= (n + 1) // 2 and _binomial_half_cdf(n, r) <= alpha_half:
        r += 1
    if r == 0:
        return MedianInterval(n, median, None, None, None, None)
    coverage = 1 - 2 * _binomial_half_cdf(n, r - 1)
    return MedianInterval(n, median, xs[r - 1], xs[n - r], (r, n - r + 1), coverage)


@dataclass(frozen=True)
class EpisodeChange:
    """One episode's change on its primary measure, from the first score to the last.

    ``at_caseness``: the first score at or past the cutoff on the clinical side (a score
    at the cutoff is clinical, as in ``MeasureInfo.below_cutoff``). ``recovered``: a case
    at first and not at last (the NHS Talking Therapies definition, no reliable change
    needed). Reliable improvement or deterioration: a change of at least the
    instrument's reliable-change points.
    """

    at_caseness: bool
    reliable_improvement: bool
    recovered: bool
    reliable_deterioration: bool


def episode_change(first: float, last: float, *, info: MeasureInfo) -> EpisodeChange | None:
    """The change from ``first`` to ``last``; None when the measure lacks a cutoff or RC points."""
    if info.cutoff is None or info.rc_points is None:
        return None
    better_by = (first - last) * info.sign
    case_first = not info.below_cutoff(first)
    return EpisodeChange(
        at_caseness=case_first,
        reliable_improvement=better_by >= info.rc_points,
        recovered=case_first and info.below_cutoff(last),
        reliable_deterioration=-better_by >= info.rc_points,
    )


def follow_up_holds(last_before: float | None, follow_up: float, *, info: MeasureInfo) -> bool:
    """Whether a follow-up holds, by the Ending rule (``phase_rules.ending``).

    It does not hold ("check in together") when it is at or above the cutoff, or at least
    the reliable-change points worse than the last score before the ending.
    """
    if info.cutoff is not None and not info.below_cutoff(follow_up):
        return False
    if last_before is not None and info.rc_points is not None:
        return (follow_up - last_before) * info.sign < info.rc_points
    return True
