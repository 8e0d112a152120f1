"""Reliable and clinically significant change (Jacobson & Truax 1991)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Better = Literal["lower", "higher"]
CutoffType = Literal["a", "b", "c"]

# Two-sided 95 % normal critical value; "reliable" means |RCI| strictly above it.
Z_CRIT = 1.959964

# Past 1e12 whole-number RC points stop being exact (floats skip whole numbers above
# 2**53) and squared deviations overflow; no scale comes near it. An SD below 1e-12
# would make the RCI of such a change infinite.
MAX_MAGNITUDE = 1e12
MIN_SD = 1e-12
BOUNDS = "from -1e12 to 1e12"
SD_BOUNDS = "from 1e-12 to 1e12"


def within_bounds(value: float) -> bool:
    """Whether ``value`` is a finite number within ±MAX_MAGNITUDE (NaN and infinity are not)."""
    return abs(value) <= MAX_MAGNITUDE


def check_score(value: float, what: str) -> float:
    """``value`` when it is within bounds; ValueError naming ``what`` otherwise."""
    if not within_bounds(value):
        raise ValueError(f"{what} is not a number {BOUNDS}")
    return value


def check_sd(value: float, what: str) -> float:
    """``value`` when it is an SD from MIN_SD to MAX_MAGNITUDE; ValueError otherwise."""
    if not MIN_SD <= value <= MAX_MAGNITUDE:
        raise ValueError(f"{what} must be a number {SD_BOUNDS}, got {value}")
    return value


def standard_error(sd: float, reliability: float) -> float:
    """SE of measurement: SD * sqrt(1 - r)."""
    check_sd(sd, "sd")
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must be in [0, 1), got {reliability}")
    return sd * math.sqrt(1.0 - reliability)


def s_diff(sd: float, reliability: float) -> float:
    """Standard error of a difference between two scores: sqrt(2) * SE."""
    return math.sqrt(2.0) * standard_error(sd, reliability)


def rc_points(sd: float, reliability: float) -> int:
    """The smallest whole-number change that is reliable (|RCI| > 1.959964).

    The SD bounds of ``standard_error`` keep the points below 2**52, where every
    whole number is a float, so the settling loops below take a step or two.
    """
    sdiff = s_diff(sd, reliability)
    points = math.floor(Z_CRIT * sdiff) + 1
    # Rounding in Z_CRIT * sdiff can be off by one at a whole number: settle it
    # with the same test that is_reliable applies.
    while not is_reliable(points / sdiff):
        points += 1
    while points > 1 and is_reliable((points - 1) / sdiff):
        points -= 1
    return points


def rci(pre: float, post: float, *, s_diff: float) -> float:
    """Reliable Change Index: (post - pre) / S_diff (positive when the score rose)."""
    if s_diff <= 0:
        raise ValueError(f"s_diff must be positive, got {s_diff}")
    return (post - pre) / s_diff


def is_reliable(rci: float) -> bool:
    """Reliable when |RCI| is strictly above 1.959964."""
    return abs(rci) > Z_CRIT


def _direction(better: Better) -> int:
    if better == "lower":
        return -1
    if better == "higher":
        return 1
    raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")


def cutoff_a(clinical_mean: float, clinical_sd: float, *, better: Better) -> float:
    """Cutoff a: two clinical SDs from the clinical mean, towards the functional side."""
    return clinical_mean + _direction(better) * 2.0 * clinical_sd


def cutoff_b(functional_mean: float, functional_sd: float, *, better: Better) -> float:
    """Cutoff b: two functional SDs from the functional mean, towards the clinical side."""
    return functional_mean - _direction(better) * 2.0 * functional_sd


def cutoff_c(
    clinical_mean: float, clinical_sd: float, functional_mean: float, functional_sd: float
) -> float:
    """Cutoff c: the point equally likely under both populations, weighted by their SDs.

    (SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func).
    """
    total = clinical_sd + functional_sd
    if total <= 0:
        raise ValueError("the clinical and functional SDs must not both be zero")
    return (clinical_sd * functional_mean + functional_sd * clinical_mean) / total


def is_functional(score: float, *, cutoff: float, better: Better) -> bool:
    """On the functional side: strictly past the cutoff in the better direction.

    A score exactly at the cutoff is not closer to the functional mean than to
    the clinical one, so it counts as clinical.
    """
    return _direction(better) * (score - cutoff) > 0


class Category(StrEnum):
    """Jacobson-Truax categories; every complete case gets exactly one."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"
    HARMED = "harmed"


CATEGORIES: tuple[Category, ...] = tuple(Category)


def classify(
    pre: float, post: float, *, s_diff: float, cutoff: float | None, better: Better
) -> Category:
    """The one category of a pre/post pair.

    - recovered: reliably better, and from the clinical to the functional side;
    - improved: reliably better otherwise;
    - unchanged: no reliable change;
    - deteriorated: reliably worse otherwise;
    - harmed: reliably worse, and from the functional to the clinical side.

    Without a cutoff, nobody is recovered or harmed.
    """
    index = rci(pre, post, s_diff=s_diff)
    if not is_reliable(index):
        return Category.UNCHANGED
    better_now = _direction(better) * index > 0
    if cutoff is None:
        return Category.IMPROVED if better_now else Category.DETERIORATED
    was = is_functional(pre, cutoff=cutoff, better=better)
    now = is_functional(post, cutoff=cutoff, better=better)
    if better_now:
        return Category.RECOVERED if (not was and now) else Category.IMPROVED
    return Category.HARMED if (was and not now) else Category.DETERIORATED


@dataclass(frozen=True)
class ChangeRow:
    id: str
    pre: float
    post: float
    rci: float
    category: Category


@dataclass(frozen=True)
class ChangeResult:
    """Jacobson-Truax over a data set's complete cases.

    ``counts`` has every category (zeros included) and sums to ``n``.
    ``excluded`` lists the ids without both a pre and a post score.
    """

    n: int
    counts: dict[Category, int]
    sd: float
    se: float
    s_diff: float
    rc_points: int
    reliability: float
    better: Better
    cutoff: float
    cutoff_type: CutoffType
    clinical_mean: float
    clinical_sd: float
    functional_mean: float | None
    functional_sd: float | None
    rows: tuple[ChangeRow, ...]
    excluded: tuple[str, ...]


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var)


def jacobson_truax(
    ids: Sequence[str],
    pre: Sequence[float | None],
    post: Sequence[float | None],
    *,
    reliability: float,
    better: Better,
    sd: float | None = None,
    clinical: tuple[float, float] | None = None,
    functional: tuple[float, float] | None = None,
    cutoff: CutoffType | None = None,
) -> ChangeResult:
    """Classify every complete case (both pre and post present).

    ``sd`` and ``clinical`` (mean, SD) default to the mean and sample SD
    (n - 1) of the pre scores of the complete cases. ``functional`` is
    (mean, SD) of a functional population. The cutoff type defaults to c with
    functional norms and to a without; b and c need functional norms.
    Raises ValueError for bad parameters or fewer than two complete cases
    when a default must be estimated.
    """
    if not (len(ids) == len(pre) == len(post)):
        raise ValueError("ids, pre and post must have the same length")
    _direction(better)
    if cutoff is None:
        cutoff = "c" if functional is not None else "a"
    if cutoff not in ("a", "b", "c"):
        raise ValueError(f"cutoff must be a, b or c, got {cutoff!r}")
    if cutoff in ("b", "c") and functional is None:
        raise ValueError(f"cutoff {cutoff} needs the functional mean and SD")
    for name, norms in (("clinical", clinical), ("functional", functional)):
        if norms is not None:
            check_score(norms[0], f"the {name} mean ({norms[0]})")
            check_sd(norms[1], f"the {name} SD")
    complete: list[tuple[str, float, float]] = []
    excluded: list[str] = []
    for i, x, y in zip(ids, pre, post, strict=True):
        if x is None or y is None or _missing(x) or _missing(y):
            excluded.append(i)
        else:
            for when, value in (("pre", x), ("post", y)):
                if not within_bounds(value):
                    check_score(value, f"the {when} score of id {i!r} ({value})")
            complete.append((i, float(x), float(y)))
    if sd is None or clinical is None:
        if len(complete) < 2:
            raise ValueError(
                f"{len(complete)} complete case(s): at least 2 are needed to estimate the SD"
            )
        pre_mean, pre_sd = _mean_sd([x for _, x, _ in complete])
        if sd is None:
            sd = check_sd(pre_sd, "the sample SD of the pre scores")
        if clinical is None:
            clinical = (pre_mean, pre_sd)
    se = standard_error(sd, reliability)
    sdiff = s_diff(sd, reliability)
    m_clin, sd_clin = clinical
    if cutoff == "a":
        value = cutoff_a(m_clin, sd_clin, better=better)
    elif cutoff == "b":
        assert functional is not None
        value = cutoff_b(functional[0], functional[1], better=better)
    else:
        assert functional is not None
        value = cutoff_c(m_clin, sd_clin, functional[0], functional[1])
    rows = tuple(
        ChangeRow(
            id=i,
            pre=x,
            post=y,
            rci=rci(x, y, s_diff=sdiff),
            category=classify(x, y, s_diff=sdiff, cutoff=value, better=better),
        )
        for i, x, y in complete
    )
    counts = dict.fromkeys(CATEGORIES, 0)
    for row in rows:
        counts[row.category] += 1
    return ChangeResult(
        n=len(rows),
        counts=counts,
        sd=sd,
        se=se,
        s_diff=sdiff,
        rc_points=rc_points(sd, reliability),
        reliability=reliability,
        better=better,
        cutoff=value,
        cutoff_type=cutoff,
        clinical_mean=m_clin,
        clinical_sd=sd_clin,
        functional_mean=None if functional is None else functional[0],
        functional_sd=None if functional is None else functional[1],
        rows=rows,
        excluded=tuple(excluded),
    )
