"""Reads of observer rounds, shaped for who reads them.

- The therapist: ratings always; the text when the client chose "their words", and
  safety text always (it comes with a flag).
- The client: ratings and text, except safety text (withheld, PHIPA s.52(1)(e)).
Callers pass a client already read through ``plusone.clinical.queries.access_*`` or the
portal session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from plusone.clinical.models import Client, Episode, Goal, ObserverTextChoice
from plusone.core.instruments import load_instrument
from plusone.measures.models import Administration, Respondent
from plusone.observers import policy
from plusone.observers.models import Observer, ObserverRound


@dataclass(frozen=True)
class Rating:
    label: str
    value: int | None


@dataclass(frozen=True)
class RoundView:
    observer: str
    relationship: str
    completed_at: dt.datetime
    ratings: tuple[Rating, ...]
    mean: float | None
    # The text as this reader may see it ("" when hidden or none).
    text: str = ""
    safety_held: bool = False
    # Why the text is not shown, in words ("" when shown or there is none).
    hidden_because: str = ""


def _ratings(row: ObserverRound) -> tuple[Rating, ...]:
    instrument = load_instrument(policy.INSTRUMENT)
    answers = row.administration.answers
    return tuple(Rating(item.text, answers.get(item.id)) for item in instrument.items)


def _rounds(client: Client, episode: Episode | None = None) -> list[ObserverRound]:
    rows = ObserverRound.objects.select_related("observer", "administration").filter(client=client)
    if episode is not None:
        rows = rows.filter(administration__episode=episode)
    return list(rows.order_by("-completed_at"))


def for_therapist(client: Client, episode: Episode | None = None) -> list[RoundView]:
    verbatim = client.observer_text_to_therapist == ObserverTextChoice.VERBATIM
    out = []
    for row in _rounds(client, episode):
        text = row.text
        show = bool(text) and (verbatim or row.safety_held)
        out.append(
            RoundView(
                observer=row.observer.label,
                relationship=row.observer.get_relationship_display(),
                completed_at=row.completed_at,
                ratings=_ratings(row),
                mean=row.administration.total,
                text=text if show else "",
                safety_held=row.safety_held,
                hidden_because=("The client chose ratings only." if text and not show else ""),
            )
        )
    return out


def for_client(client: Client) -> list[RoundView]:
    out = []
    for row in _rounds(client):
        out.append(
            RoundView(
                observer=row.observer.label,
                relationship=row.observer.get_relationship_display(),
                completed_at=row.completed_at,
                ratings=_ratings(row),
                mean=row.administration.total,
                text="" if row.safety_held else row.text,
                safety_held=row.safety_held,
            )
        )
    return out


def observers_of(client: Client) -> list[Observer]:
    return list(Observer.objects.filter(client=client).order_by("revoked_at", "created_at"))


def _position(item_id: str) -> int:
    try:
        return int(item_id.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return 0


@dataclass(frozen=True)
class Domain:
    label: str
    observers: tuple[float, ...]
    mean: float | None
    # Observer mean minus the client's own "holds" (same 0-10 scale), or None.
    difference: float | None
    # The observers agree with each other: the spread of their ratings is at most 2.
    agree: bool | None


@dataclass(frozen=True)
class S2View:
    holds: tuple[tuple[dt.date, float], ...]
    goals: tuple[tuple[str, float], ...]
    self_rating: float | None
    domains: tuple[Domain, ...] = field(default_factory=tuple)
    rounds: int = 0


def s2_view(episode: Episode, *, since: dt.date | None = None) -> S2View:
    """ "I am different", "I can feel it" and "Those around me see it", side by side.

    Felt Change "holds" (latest three); the goals' latest ratings; per Observed Change
    domain, each observer's latest rating, their mean, the spread between observers
    and the difference from the client's latest "holds" (the client's own rating of
    change; Observed Change has no self-rated twin).
    """
    admins = Administration.objects.filter(episode=episode).order_by("completed_at")
    if since is not None:
        admins = admins.filter(completed_at__date__gte=since)
    holds: list[tuple[dt.date, float]] = []
    goal_latest: dict[str, float] = {}
    for a in admins.filter(respondent=Respondent.CLIENT, instrument_key="felt_change"):
        value = a.answers.get("felt_holds")
        if isinstance(value, int | float):
            holds.append((a.completed_at.date(), float(value)))
    goal_words = {g.position: g.text for g in Goal.objects.filter(episode=episode, active=True)}
    for a in admins.filter(respondent=Respondent.CLIENT, instrument_key="personal_goals"):
        for item_id, value in a.answers.items():
            position = _position(item_id)
            if isinstance(value, int | float) and position in goal_words:
                goal_latest[goal_words[position]] = float(value)
    self_rating = holds[-1][1] if holds else None
    latest_by_observer: dict[Any, dict[str, Any]] = {}
    for row in (
        ObserverRound.objects.select_related("administration")
        .filter(administration__episode=episode)
        .order_by("completed_at")
    ):
        if since is None or row.completed_at.date() >= since:
            latest_by_observer[row.observer_id] = row.administration.answers
    instrument = load_instrument(policy.INSTRUMENT)
    domains = []
    for item in instrument.items:
        values = tuple(
            float(v[item.id])
            for v in latest_by_observer.values()
            if isinstance(v.get(item.id), int | float)
        )
        mean = sum(values) / len(values) if values else None
        domains.append(
            Domain(
                label=item.text,
                observers=values,
                mean=round(mean, 1) if mean is not None else None,
                difference=(
                    round(mean - self_rating, 1)
                    if mean is not None and self_rating is not None
                    else None
                ),
                agree=(max(values) - min(values) <= 2) if len(values) > 1 else None,
            )
        )
    return S2View(
        holds=tuple(holds[-3:]),
        goals=tuple(sorted(goal_latest.items())),
        self_rating=self_rating,
        domains=tuple(domains) if latest_by_observer else (),
        rounds=len(latest_by_observer),
    )
