"""Sudden gains and sudden losses (Tang & DeRubeis 1999; Lutz et al. 2013).

A series is indexed by session: position i holds the score of session i, and a
missing score (``None`` or NaN) is a gap. A gain is sought between every pair
of consecutive positions N and N+1 that lies in the search range:

- N >= 1 and N + 1 <= len(scores) - 2 (0-based), so that positions exist both
  before N and after N+1. In a six-session series numbered 1..6 this is the
  intervals 2-3, 3-4 and 4-5 ("between sessions 2 and 5").
- Both x_N and x_{N+1} are present (no gain is sought across a gap).

A gain (lower is better) meets all three criteria:

1. x_N - x_{N+1} >= crit1;
2. x_N - x_{N+1} >= 25 % of x_N;
3. mean(x_{N-2..N}) - mean(x_{N+1..N+3}) > t_crit * pooled SD, where each side
   uses the scores present among its three positions and needs at least two;
   t_crit is the two-sided 95 % t quantile with df = n_pre + n_post - 2:
   2.776 (df 4, all six present), 3.182 (df 3), 4.303 (df 2).

A gain is reversed when any later score (from N+2 on) is at or above
x_{N+1} + magnitude / 2. Losses mirror every rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from plusone.core.change import check_score, within_bounds

# Tang & DeRubeis 1999 with the Lutz et al. 2013 missing-data adjustment:
# published two-sided 95 % t quantiles keyed by df = n_pre + n_post - 2.
T_CRIT: dict[int, float] = {4: 2.776, 3: 3.182, 2: 4.303}

# Criterion 2: the change is at least this share of the pre-gain score.
CRIT2_SHARE = 0.25

Selection = Literal["first", "largest", "all"]


@dataclass(frozen=True)
class Gain:
    """One sudden gain (or loss) between positions pre_index and post_index.

    ``magnitude`` is the size of the change, always positive:
    x_N - x_{N+1} for a gain on a lower-is-better scale.
    """

    pre_index: int
    post_index: int
    magnitude: float
    reversal: bool
    pre_score: float = math.nan
    post_score: float = math.nan
    loss: bool = False


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    # Plain left-to-right sums: plusone.core.batch mirrors this order to agree exactly.
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, var


def criterion3(pre: Sequence[float], post: Sequence[float]) -> tuple[float, float] | None:
    """Return (mean_pre - mean_post, t_crit * pooled SD), or None without enough data.

    Each side needs at least two scores (at most three are used).
    """
    n_pre, n_post = len(pre), len(post)
    if n_pre < 2 or n_post < 2:
        return None
    mean_pre, var_pre = _mean_var(pre)
    mean_post, var_post = _mean_var(post)
    df = n_pre + n_post - 2
    pooled_sd = math.sqrt(((n_pre - 1) * var_pre + (n_post - 1) * var_post) / df)
    return mean_pre - mean_post, T_CRIT[df] * pooled_sd


def sudden_gains(
    scores: Sequence[float | None],
    *,
    crit1: float,
    losses: bool = False,
    better: Literal["lower", "higher"] = "lower",
) -> list[Gain]:
    """Every sudden gain in a series, in session order (module docstring gives the rules).

    ``losses=True`` finds sudden losses instead. ``better="higher"`` flips the
    scale, so that a gain is a sudden rise (criterion 2 still uses x_N).
    """
    if not (math.isfinite(crit1) and crit1 > 0):
        raise ValueError(f"crit1 must be a positive number, got {crit1}")
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
    # sign = +1 when the change we look for is a fall in the raw score.
    falling = (better == "lower") != losses
    sign = 1.0 if falling else -1.0
    xs: list[float | None] = [None if v is None or math.isnan(v) else float(v) for v in scores]
    # Bounded, so that criterion 3's squared deviations cannot overflow.
    for i, x in enumerate(xs):
        if x is not None and not within_bounds(x):
            check_score(x, f"score {x:g} at position {i}")
    found: list[Gain] = []
    for n in range(1, len(xs) - 2):
        x_n, x_n1 = xs[n], xs[n + 1]
        if x_n is None or x_n1 is None:
            continue
        change = sign * (x_n - x_n1)
        if change < crit1:
            continue
        if change < CRIT2_SHARE * abs(x_n):
            continue
        pre = [v for v in xs[max(0, n - 2) : n + 1] if v is not None]
        post = [v for v in xs[n + 1 : n + 4] if v is not None]
        c3 = criterion3([sign * v for v in pre], [sign * v for v in post])
        if c3 is None or not c3[0] > c3[1]:
            continue
        # Reversal: the score comes back at least half-way towards x_N.
        back = x_n1 + sign * change / 2.0
        reversal = any(v is not None and sign * v >= sign * back for v in xs[n + 2 :])
        found.append(
            Gain(
                pre_index=n,
                post_index=n + 1,
                magnitude=change,
                reversal=reversal,
                pre_score=x_n,
                post_score=x_n1,
                loss=losses,
            )
        )
    return found


def select_gains(gains: Sequence[Gain], how: Selection) -> list[Gain]:
    """Keep the first gain, the largest (the earliest on a tie), or all of them."""
    if how == "all":
        return list(gains)
    if not gains:
        return []
    if how == "first":
        return [min(gains, key=lambda g: g.pre_index)]
    if how == "largest":
        return [max(gains, key=lambda g: (g.magnitude, -g.pre_index))]
    raise ValueError(f"how must be first, largest or all, got {how!r}")
