"""The screens: the secondary measure, PCL-5, AUDIT-C and K10, read by the therapist.

Nothing is collected that nobody reads (DESIGN.md, Burden): the "screens" row of
the before-session card and the journey shows each with its band, cutoff and
date, and K10's "hopeless" review cue. PCL-5, AUDIT-C and K10 are asked at
intake, and at reviews only when they were at or above their cutoff at intake,
still owed from an intake that never gave them, or asked for by the therapist
(:func:`due_at_review`).

Selectors (reads only). Each reads a constant number of queries whatever the
length of the episode; the journey passes the rows it has already read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from plusone.clinical.models import AuditcSex, Episode
from plusone.clinical.plans import SCREENS
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.models import Administration

# Bradley KA, et al. Alcohol Clin Exp Res. 2007;31(7):1208-1217: AUDIT-C positive at 4 or
# more for men, 3 or more for women.
AUDITC_CUTOFF_MEN = 4
AUDITC_CUTOFF_WOMEN = 3
# With the client's sex not recorded, the lower cutoff: a woman who scored 3 is never missed.
AUDITC_CUTOFF_NOT_RECORDED = AUDITC_CUTOFF_WOMEN


def cutoff_for(key: str, *, auditc_sex: str = "") -> float | None:
    """The cutoff that applies to this client: AUDIT-C's by their recorded sex (3 when not
    recorded), every other instrument's from its definition."""
    if key == "auditc":
        return float(AUDITC_CUTOFF_MEN if auditc_sex == AuditcSex.MALE else AUDITC_CUTOFF_WOMEN)
    return load_instrument(key).cutoff


def at_or_above_cutoff(key: str, total: float, *, auditc_sex: str = "") -> bool:
    """True when ``total`` is at or beyond the applicable cutoff on the worse side."""
    cutoff = cutoff_for(key, auditc_sex=auditc_sex)
    if cutoff is None:
        return False
    return total >= cutoff if load_instrument(key).direction == "lower" else total <= cutoff


@dataclass(frozen=True)
class Given:
    """One administration, as much of it as the screens read."""

    key: str
    total: float | None
    band: str
    valid: bool
    answers: dict[str, Any]
    completed_at: dt.datetime
    pk: Any = None


def _given(episode: Episode, keys: Sequence[str]) -> list[Given]:

    rows = (
        Administration.objects.filter(
            episode=episode, instrument_key__in=keys, respondent="client", risk_item_only=False
        )
        .order_by("completed_at")
        .values_list("instrument_key", "total", "band", "valid", "answers", "completed_at", "pk")
    )
    return [Given(*row) for row in rows]


def pending_requests(episode: Episode, given: Iterable[Given] | None = None) -> set[str]:
    """The screens asked for at the next review that have not been given since."""
    requests = episode.review_screen_requests or {}
    if not requests:
        return set()
    rows = list(given) if given is not None else _given(episode, list(requests))
    latest = {g.key: g.completed_at for g in rows}
    return {
        key
        for key, asked in requests.items()
        if key not in latest or latest[key] < dt.datetime.fromisoformat(asked)
    }


def due_at_review(episode: Episode, keys: Sequence[str], *, auditc_sex: str = "") -> set[str]:
    """Which of the screens ``keys`` a review asks: those at or above the cutoff at intake
    (their first valid score in the episode), those never validly given (the intake screen
    is still owed), and those the therapist asked for since they were last given."""
    keys = [k for k in keys if k in SCREENS]
    if not keys:
        return set()
    given = _given(episode, keys)
    first: dict[str, float] = {}
    for g in given:
        if g.valid and g.total is not None:
            first.setdefault(g.key, g.total)
    due = {
        k for k in keys if k not in first or at_or_above_cutoff(k, first[k], auditc_sex=auditc_sex)
    }
    return due | (pending_requests(episode, given) & set(keys))


@dataclass(frozen=True)
class ScreenLine:
    """One measure on the screens row, in the therapist's words."""

    key: str
    title: str
    role: str
    total: float | None
    band: str
    cutoff: str
    at_or_above: bool | None
    completed_at: dt.datetime | None
    cue: str = ""
    requested: bool = False

    @property
    def given(self) -> bool:
        return self.completed_at is not None


def _cutoff_text(key: str, auditc_sex: str) -> str:
    if key == "auditc":
        applies = {
            AuditcSex.MALE: f"≥ {AUDITC_CUTOFF_MEN} applies (recorded: male)",
            AuditcSex.FEMALE: f"≥ {AUDITC_CUTOFF_WOMEN} applies (recorded: female)",
        }.get(auditc_sex, f"≥ {AUDITC_CUTOFF_NOT_RECORDED} applies (sex not recorded)")
        return f"cutoff ≥ {AUDITC_CUTOFF_WOMEN} women, ≥ {AUDITC_CUTOFF_MEN} men; {applies}"
    instrument = load_instrument(key)
    if instrument.cutoff is None:
        return "no cutoff"
    sign = "≥" if instrument.direction == "lower" else "≤"
    return f"cutoff {sign} {instrument.cutoff:g}"


def _line(
    key: str, role: str, latest: Given | None, auditc_sex: str, requested: bool
) -> ScreenLine:
    instrument = load_instrument(key)
    if latest is None:
        return ScreenLine(
            key,
            instrument.short_title,
            role,
            None,
            "",
            _cutoff_text(key, auditc_sex),
            None,
            None,
            requested=requested,
        )
    total = latest.total if latest.valid else None
    cues = score(instrument, latest.answers).cues if instrument.cues else ()
    return ScreenLine(
        key=key,
        title=instrument.short_title,
        role=role,
        total=total,
        band=latest.band,
        cutoff=_cutoff_text(key, auditc_sex),
        at_or_above=None
        if total is None
        else at_or_above_cutoff(key, total, auditc_sex=auditc_sex),
        completed_at=latest.completed_at,
        cue=" ".join(cues),
        requested=requested,
    )


def screen_keys(episode: Episode) -> list[str]:
    """The measures on the row: the secondary measure, then PCL-5, AUDIT-C and K10."""
    keys = [episode.secondary_instrument] if episode.secondary_instrument else []
    return [*keys, *(k for k in SCREENS if k not in keys)]


def given_for(episode: Episode) -> list[Given]:
    """The client's administrations of the row's measures, in completed order (one query)."""
    return _given(episode, screen_keys(episode))


def screens_row(
    episode: Episode, *, given: Iterable[Given] | None = None, auditc_sex: str = ""
) -> tuple[ScreenLine, ...]:
    """The screens row: the latest administration of each measure, or "not given yet".

    K10, which the default plan does not ask, appears once given or asked for; the
    others always do. ``given`` are the client administrations this reader may see, in
    completed order (default: :func:`given_for`).
    """
    keys = screen_keys(episode)
    rows = [g for g in (given_for(episode) if given is None else given) if g.key in keys]
    latest = {g.key: g for g in rows}
    requested = pending_requests(episode, rows)
    lines = []
    for key in keys:
        if key == "k10" and key not in latest and key not in requested:
            continue
        role = "secondary measure" if key == episode.secondary_instrument else "screen"
        lines.append(_line(key, role, latest.get(key), auditc_sex, key in requested))
    return tuple(lines)
