"""The Therapist Rating: the therapist's 3-item view of a session, stored as an
Administration beside the client's reflection of the same session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import Episode, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.administrations import scored_administration
from plusone.measures.models import Administration, Context, Respondent
from plusone.measures.summary import refresh_summary

INSTRUMENT = "therapist_rating"


class SessionAlreadyRated(Exception):
    """The session has a Therapist Rating already."""


def rate_session(
    *, user: Any, session: Session, answers: dict[str, int], now: dt.datetime | None = None
) -> Administration:
    """Store the therapist's 3-item Therapist Rating of ``session`` as an Administration
    (respondent "therapist", scored by plusone.core); audit it, and re-judge the episode's
    summary (the congruence gap with the client's reflection of the same session).

    One rating per session: raises SessionAlreadyRated for a second one, and
    ValidationError when the answers do not score (all three items are needed).
    """
    instrument = load_instrument(INSTRUMENT)
    try:
        result = score(instrument, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    if not result.valid:
        raise ValidationError(result.reason or "Rate all three items.")
    now = now or timezone.now()
    key = f"{INSTRUMENT}:{session.pk}"
    with transaction.atomic():
        if Administration.objects.filter(idempotency_key=key).exists():
            raise SessionAlreadyRated
        administration = scored_administration(
            instrument,
            answers,
            result,
            completed_at=now,
            practice_id=session.practice_id,
            client_id=session.episode.client_id,
            episode_id=session.episode_id,
            session=session,
            context=Context.IN_SESSION,
            respondent=Respondent.THERAPIST,
            idempotency_key=key,
        )
        administration.save(force_insert=True)
        audit.record(
            practice=session.episode.practice,
            actor=user,
            action="administration.create",
            target_type="measures.administration",
            target_id=administration.pk,
            detail={"instrument": instrument.key, "session": session.pk, "respondent": "therapist"},
        )
        # The congruence gap is judged at once: the caseload, card and journey agree now.
        refresh_summary(session.episode, today=timezone.localdate(now))
    return administration


def therapist_ratings(episode: Episode) -> list[Administration]:
    """The therapist's Therapist Rating administrations for the episode, by session time."""
    return list(
        Administration.objects.filter(
            episode=episode, instrument_key=INSTRUMENT, respondent=Respondent.THERAPIST
        )
        .select_related("session")
        .order_by("completed_at")
    )


def therapist_rating_for(session: Session) -> Administration | None:
    """The session's Therapist Rating administration, or None."""
    return Administration.objects.filter(
        session=session, instrument_key=INSTRUMENT, respondent=Respondent.THERAPIST
    ).first()
