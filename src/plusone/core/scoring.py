"""Scoring: answers -> total, subscales, band, validity, risk hits and review cues.

``score`` scores one administration and explains itself (``reason``). ``score_many``
scores a whole matrix of administrations at once with numpy and agrees with ``score``
exactly: both sum whole numbers, divide once and round the same way.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from plusone.core.instruments import Band, Instrument, Item, Subscale


@dataclass(frozen=True)
class RiskHit:
    """A risk-positive answer and its grade (1 = safety plan, 2 = crisis text, 3 = CORE-10 top)."""

    item_id: str
    answer: int
    grade: int


@dataclass(frozen=True)
class Score:
    """The score of one administration.

    ``total`` is None when the administration is invalid or the instrument has no total
    (Felt Change is reported item by item). ``reason`` says why it is invalid or how it
    was prorated. ``risk`` and ``cues`` are computed even when the total is invalid: a
    risk answer is never lost because another item was skipped. ``cues`` are for the
    therapist only. ``items`` holds the scored answers after reverse keying.
    """

    key: str
    total: float | None
    subscales: dict[str, float]
    band: Band | None
    valid: bool
    prorated: bool
    reason: str | None
    risk: tuple[RiskHit, ...]
    cues: tuple[str, ...]
    items: dict[str, float] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    category: str | None = None

    @property
    def risk_grade(self) -> int:
        """The highest risk grade in this administration (0 = none)."""
        return max((h.grade for h in self.risk), default=0)


@dataclass(frozen=True)
class ScoreArrays:
    """Vectorised scores: one entry per row of the input matrix.

    ``total`` is NaN where there is no total; ``band_index`` indexes ``instrument.bands``
    (-1 for none); ``risk_grade`` is the highest grade (0 = none); ``category_index``
    indexes the classification labels (-1 for none).
    """

    total: npt.NDArray[np.float64]
    valid: npt.NDArray[np.bool_]
    prorated: npt.NDArray[np.bool_]
    band_index: npt.NDArray[np.int64]
    risk_grade: npt.NDArray[np.int64]
    category_index: npt.NDArray[np.int64]


def _half_up(x: float) -> float:
    # Prorated totals are rounded to whole points (halves up): bands and cutoffs are whole numbers.
    return float(math.floor(x + 0.5))


def band_for(instrument: Instrument, total: float | None) -> Band | None:
    """The band that holds ``total``: the highest band whose minimum it reaches."""
    if total is None or not instrument.bands or math.isnan(total):
        return None
    if total < instrument.bands[0].min or total > instrument.bands[-1].max:
        return None
    found = instrument.bands[0]
    for band in instrument.bands:
        if total >= band.min:
            found = band
    return found


def risk_grade_for(instrument: Instrument, item_id: str, answer: int) -> int:
    """The risk grade of one answer to one item (0 = none, or not a risk item)."""
    for risk in instrument.risk_items:
        if risk.item_id == item_id:
            return risk.grade(answer)
    return 0


def _coerce(item: Item, value: object) -> int | str | None:
    """Normalise one answer; raises ValueError for an answer the item cannot take."""
    if value is None:
        return None
    if item.kind == "text":
        if not isinstance(value, str):
            raise ValueError(
                f"{item.id}: free-text answer must be a string, got {type(value).__name__}"
            )
        return value if value.strip() else None
    number: int
    if isinstance(value, bool):
        raise ValueError(f"{item.id}: answer must be a whole number, got a boolean")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"{item.id}: answer {value!r} is not a whole number") from None
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        if math.isnan(float(value)):
            return None
        if not float(value).is_integer():
            raise ValueError(f"{item.id}: answer {value!r} is not a whole number")
        number = int(float(value))
    else:
        raise ValueError(f"{item.id}: answer must be a whole number, got {type(value).__name__}")
    if number not in item.values:
        raise ValueError(
            f"{item.id}: {number} is not an answer option ({item.min_value}-{item.max_value})"
        )
    return number


def _keyed(item: Item, value: int) -> int:
    return item.min_value + item.max_value - value if item.reverse else value


def _subscale(instrument: Instrument, sub: Subscale, keyed: Mapping[str, int]) -> float | None:
    present = [keyed[i] for i in sub.items if i in keyed]
    missing = len(sub.items) - len(present)
    if missing > sub.max_missing or not present:
        return None
    if sub.method == "mean":
        return sum(present) / len(present)
    if missing:
        return _half_up(sum(present) * len(sub.items) / len(present))
    return float(sum(present))


def _category(instrument: Instrument, raw: Mapping[str, int]) -> str | None:
    rule = instrument.classification
    if rule is None or any(i not in raw for i in rule.hedonic + rule.functioning):
        return None
    high_h = sum(raw[i] in rule.high_values for i in rule.hedonic)
    high_f = sum(raw[i] in rule.high_values for i in rule.functioning)
    low_h = sum(raw[i] in rule.low_values for i in rule.hedonic)
    low_f = sum(raw[i] in rule.low_values for i in rule.functioning)
    if high_h >= rule.min_hedonic and high_f >= rule.min_functioning:
        return rule.labels[0]
    if low_h >= rule.min_hedonic and low_f >= rule.min_functioning:
        return rule.labels[2]
    return rule.labels[1]


def score(instrument: Instrument, answers: Mapping[str, int | str | None]) -> Score:
    """Score one administration. Raises ValueError for unknown items or impossible answers."""
    by_id = {i.id: i for i in instrument.items}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise ValueError(f"{instrument.key}: unknown item {unknown[0]!r}")
    raw: dict[str, int] = {}
    text: dict[str, str] = {}
    for item_id, value in answers.items():
        clean = _coerce(by_id[item_id], value)
        if isinstance(clean, str):
            text[item_id] = clean
        elif clean is not None:
            raw[item_id] = clean

    scored = [i for i in instrument.items if i.scored]
    keyed = {i.id: _keyed(i, raw[i.id]) for i in scored if i.id in raw}
    missing = tuple(i.id for i in scored if i.required and i.id not in raw)
    rules = instrument.scoring
    n_answered = len(keyed)
    valid = len(missing) <= rules.max_missing and n_answered >= rules.min_answered

    total: float | None = None
    prorated = False
    reason: str | None = None
    name = instrument.short_title
    if not valid:
        if n_answered < rules.min_answered:
            reason = (
                f"{name}: {n_answered} scored items answered, at least {rules.min_answered} "
                f"needed; {rules.missing_rule}"
            )
        else:
            reason = (
                f"{name}: {len(missing)} of {len(scored)} items missing "
                f"({', '.join(missing)}); {rules.missing_rule}"
            )
    elif rules.method != "none":
        s = sum(keyed.values())
        if rules.method == "mean":
            total = s / n_answered * rules.multiplier
        elif missing:
            scaled = s * len(scored) / n_answered
            total = (_half_up(scaled) if rules.round_prorated else scaled) * rules.multiplier
        else:
            total = float(s * rules.multiplier)
        if missing:
            prorated = True
            reason = (
                f"{name}: prorated, {len(missing)} item missing ({', '.join(missing)}); "
                f"{rules.missing_rule}"
            )

    subscales: dict[str, float] = {}
    for sub in instrument.subscales:
        sub_total = _subscale(instrument, sub, keyed)
        if sub_total is not None:
            subscales[sub.key] = sub_total

    risk = tuple(
        RiskHit(r.item_id, raw[r.item_id], r.grade(raw[r.item_id]))
        for r in instrument.risk_items
        if r.item_id in raw and r.grade(raw[r.item_id]) > 0
    )
    cues = tuple(
        c.text for c in instrument.cues if c.item_id in raw and raw[c.item_id] in c.answers
    )
    return Score(
        key=instrument.key,
        total=total,
        subscales=subscales,
        band=band_for(instrument, total),
        valid=valid,
        prorated=prorated,
        reason=reason,
        risk=risk,
        cues=cues,
        items={k: float(v) for k, v in keyed.items()},
        text=text,
        missing=missing,
        category=_category(instrument, raw),
    )


def score_many(instrument: Instrument, matrix: npt.ArrayLike) -> ScoreArrays:
    """Score many administrations at once.

    ``matrix`` has one row per administration and one column per item in
    ``instrument.item_ids`` order, NaN for a missing answer (free-text columns are
    ignored). Raises ValueError when a value is not an answer option of its item.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != len(instrument.items):
        raise ValueError(
            f"{instrument.key}: expected shape (n, {len(instrument.items)}), got {m.shape}"
        )
    n = m.shape[0]
    answered = ~np.isnan(m)
    keyed = np.zeros_like(m)
    for col, item in enumerate(instrument.items):
        if not item.numeric:
            answered[:, col] = False
            continue
        column = m[:, col]
        ok = answered[:, col]
        bad = ok & ~np.isin(column, np.asarray(item.values, dtype=np.float64))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{item.id}: row {row}: {column[row]:g} is not an answer option "
                f"({item.min_value}-{item.max_value})"
            )
        keyed[:, col] = np.where(
            ok, item.min_value + item.max_value - column if item.reverse else column, 0.0
        )

    scored = np.array([i.scored for i in instrument.items], dtype=bool)
    required = np.array([i.scored and i.required for i in instrument.items], dtype=bool)
    rules = instrument.scoring
    n_missing = (~answered[:, required]).sum(axis=1)
    n_answered = answered[:, scored].sum(axis=1)
    valid = (n_missing <= rules.max_missing) & (n_answered >= rules.min_answered)
    sums = keyed[:, scored].sum(axis=1)
    n_scored = int(scored.sum())
    safe = np.where(n_answered > 0, n_answered, 1)
    if rules.method == "mean":
        total = sums / safe * rules.multiplier
    elif rules.method == "sum":
        scaled = sums * n_scored / safe
        if rules.round_prorated:
            scaled = np.floor(scaled + 0.5)
        total = np.where(n_missing > 0, scaled, sums) * rules.multiplier
    else:
        total = np.full(n, np.nan)
    total = np.where(valid, total, np.nan)
    prorated = valid & (n_missing > 0) & (rules.method != "none")

    band_index = np.full(n, -1, dtype=np.int64)
    if instrument.bands:
        for idx, band in enumerate(instrument.bands):
            band_index[valid & (total >= band.min)] = idx
        outside = (total < instrument.bands[0].min) | (total > instrument.bands[-1].max)
        band_index[outside | np.isnan(total)] = -1

    ids = instrument.item_ids
    risk_grade = np.zeros(n, dtype=np.int64)
    for risk in instrument.risk_items:
        column = m[:, ids.index(risk.item_id)]
        grade = np.zeros(n, dtype=np.int64)
        for value, g in risk.grades:
            grade[column == value] = g
        risk_grade = np.maximum(risk_grade, grade)

    category_index = np.full(n, -1, dtype=np.int64)
    rule = instrument.classification
    if rule is not None:
        h = m[:, [ids.index(i) for i in rule.hedonic]]
        f = m[:, [ids.index(i) for i in rule.functioning]]
        complete = ~np.isnan(h).any(axis=1) & ~np.isnan(f).any(axis=1)
        high = np.asarray(sorted(rule.high_values), dtype=np.float64)
        low = np.asarray(sorted(rule.low_values), dtype=np.float64)
        flourishing = (np.isin(h, high).sum(axis=1) >= rule.min_hedonic) & (
            np.isin(f, high).sum(axis=1) >= rule.min_functioning
        )
        languishing = (np.isin(h, low).sum(axis=1) >= rule.min_hedonic) & (
            np.isin(f, low).sum(axis=1) >= rule.min_functioning
        )
        category_index = np.where(
            complete, np.where(flourishing, 0, np.where(languishing, 2, 1)), -1
        ).astype(np.int64)

    return ScoreArrays(
        total=total.astype(np.float64),
        valid=valid,
        prorated=prorated,
        band_index=band_index,
        risk_grade=risk_grade,
        category_index=category_index,
    )


__all__ = ["RiskHit", "Score", "ScoreArrays", "band_for", "risk_grade_for", "score", "score_many"]
