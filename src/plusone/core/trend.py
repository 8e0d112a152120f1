"""Flat, plateau and slope over the latest administrations (DESIGN.md, "Flat").

``days`` are whole day numbers of the ordered administrations (any origin, for
example days since intake); ``scores`` are their totals, same length.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

DEFAULT_K = 4
DEFAULT_MIN_DAYS = 28


def _check_days(days: Sequence[int]) -> None:
    for earlier, later in itertools.pairwise(days):
        if later < earlier:
            raise ValueError("days must be in ascending order")


def find_window(
    days: Sequence[int], *, k: int = DEFAULT_K, min_days: int = DEFAULT_MIN_DAYS
) -> slice | None:
    """The shortest run of the latest administrations with >= k of them spanning >= min_days.

    Returns ``slice(start, len(days))``, or None when the whole series is too
    short or too brief (no full window yet).
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    _check_days(days)
    n = len(days)
    if n < k:
        return None
    last = days[-1]
    for start in range(n - k, -1, -1):
        if last - days[start] >= min_days:
            return slice(start, n)
    return None


@dataclass(frozen=True)
class FlatResult:
    """Whether the series is flat, with the window that decided it.

    ``flat`` is None when there is no full window yet, which counts as not
    flat; ``reason`` is a plain sentence with the numbers.
    """

    flat: bool | None
    window_start: int | None
    window_range: float | None
    reason: str


def _num(x: float) -> str:
    return f"{x:g}"


def is_flat(
    scores: Sequence[float],
    days: Sequence[int],
    *,
    rc_points: float,
    k: int = DEFAULT_K,
    min_days: int = DEFAULT_MIN_DAYS,
    gains_post_indices: Iterable[int] = (),
) -> FlatResult:
    """Flat: the window's range (max - min) is below rc_points and no sudden gain touches it.

    A sudden gain touches the window when its session N or N+1 is in it; as the
    window runs to the latest administration, that is when its post index
    (N+1, a position in ``scores``) is at or after the window start.
    """
    if len(scores) != len(days):
        raise ValueError("scores and days must have the same length")
    window = find_window(days, k=k, min_days=min_days)
    if window is None:
        return FlatResult(
            flat=None,
            window_start=None,
            window_range=None,
            reason=(
                f"no full window yet: {len(days)} administration(s) over "
                f"{(days[-1] - days[0]) if days else 0} days; flat needs at least {k} "
                f"spanning at least {min_days} days"
            ),
        )
    start = window.start
    values = [float(s) for s in scores[window]]
    spread = max(values) - min(values)
    n_window = len(values)
    span = days[-1] - days[start]
    gains_in = sorted(i for i in gains_post_indices if i >= start)
    if gains_in:
        return FlatResult(
            flat=False,
            window_start=start,
            window_range=spread,
            reason=(
                f"not flat: a sudden gain falls in the last {n_window} administrations "
                f"({span} days)"
            ),
        )
    if spread < rc_points:
        return FlatResult(
            flat=True,
            window_start=start,
            window_range=spread,
            reason=(
                f"flat: the last {n_window} administrations ({span} days) range "
                f"{_num(min(values))}-{_num(max(values))}, {_num(spread)} points, "
                f"below the {_num(rc_points)} RC points"
            ),
        )
    return FlatResult(
        flat=False,
        window_start=start,
        window_range=spread,
        reason=(
            f"not flat: the last {n_window} administrations ({span} days) range "
            f"{_num(min(values))}-{_num(max(values))}, {_num(spread)} points, "
            f"at least the {_num(rc_points)} RC points"
        ),
    )


@dataclass(frozen=True)
class Plateau:
    """A plateau: flat, with every administration of the window on the better side of the cutoff.

    ``plateau`` is None when flatness is unknown (no full window yet).
    """

    plateau: bool | None
    flat: FlatResult
    on_better_side: bool
    reason: str


def is_plateau(
    scores: Sequence[float],
    days: Sequence[int],
    *,
    rc_points: float,
    cutoff: float,
    better: Literal["lower", "higher"],
    k: int = DEFAULT_K,
    min_days: int = DEFAULT_MIN_DAYS,
    gains_post_indices: Iterable[int] = (),
) -> Plateau:
    """Relief held: flat, and every score of the flat window is past the cutoff.

    DESIGN.md (amended December 2026): not only the last 2, since near-cutoff
    noise would otherwise call a client still at caseness relieved. "Past the
    cutoff" is strictly below it when lower is better and strictly above it
    when higher is better (a score at the cutoff is on the clinical side).
    With no full window, ``on_better_side`` is False and ``plateau`` None.
    """
    flat = is_flat(
        scores,
        days,
        rc_points=rc_points,
        k=k,
        min_days=min_days,
        gains_post_indices=gains_post_indices,
    )
    side = "below" if better == "lower" else "above"
    window = find_window(days, k=k, min_days=min_days)
    if window is None:
        return Plateau(plateau=None, flat=flat, on_better_side=False, reason=flat.reason)
    held = [float(s) for s in scores[window]]
    past = all((s < cutoff) if better == "lower" else (s > cutoff) for s in held)
    listed = ", ".join(_num(s) for s in held)
    where = (
        f"every score of the window ({listed}) is {side} the cutoff {_num(cutoff)}"
        if past
        else f"not every score of the window ({listed}) is {side} the cutoff {_num(cutoff)}"
    )
    plateau = bool(flat.flat) and past
    return Plateau(
        plateau=plateau, flat=flat, on_better_side=past, reason=f"{where}; {flat.reason}"
    )


@dataclass(frozen=True)
class Slope:
    """Least-squares slope in points per week with its 95 % t interval.

    ``per_week`` is None with fewer than two distinct days; ``low`` and
    ``high`` are None with fewer than three points (no degrees of freedom).
    """

    per_week: float | None
    low: float | None
    high: float | None
    n: int


def slope(
    days: Sequence[int], scores: Sequence[float], *, k: int = DEFAULT_K, level: float = 0.95
) -> Slope:
    """Ordinary least squares of score on day over the last k administrations."""
    if len(scores) != len(days):
        raise ValueError("scores and days must have the same length")
    xs = [float(d) for d in days[-k:]]
    ys = [float(s) for s in scores[-k:]]
    n = len(xs)
    if n < 2:
        return Slope(None, None, None, n)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return Slope(None, None, None, n)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    b = sxy / sxx
    per_week = 7.0 * b
    if n < 3:
        return Slope(per_week, None, None, n)
    a = my - b * mx
    sse = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    se_b = math.sqrt(sse / (n - 2) / sxx)
    half = t_quantile(0.5 + level / 2.0, n - 2) * se_b * 7.0
    return Slope(per_week, per_week - half, per_week + half, n)


# --- Student's t distribution, without scipy ---------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularized incomplete beta (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = tiny if abs(d) < tiny else d
    d = 1.0 / d
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on this side of the mean.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df must be positive, got {df}")
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t with df degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    # Bisection: the cdf is monotone; 200 halvings reach double precision.
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0
