"""An invented course of therapy for dashboard and journey tests (and the benchmark).

:func:`give_history` writes ``n`` weekly attended sessions, ending last week, to an
episode, with a check-in at each: PHQ-9 (or the episode's primary), the goals,
the Session Reflection and the Therapist Rating; Felt Change every 4th session;
WHO-5 and SWLS alternating every 4th session; one skipped check-in; a +1
decision; a rupture and its repair. Scores come from ``plusone.core.scoring``.
Sessions, sittings and administrations have no write action of their own yet,
so they are inserted directly, as the demo loader does; the summary is then
rewritten through the check-in app's ``refresh_summary``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from plusone.clinical.models import Decision, Episode, Phase, RuptureEvent, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.models import Administration, Context, Respondent, Sitting, SittingStatus

# Symptom totals: a sudden gain between sessions 4 and 5 (17 -> 8), then a slow ease.
HIGH = (18, 18, 17, 17)
LOW_START = 8
LOW_TEXT = "It felt rushed at the end."


@dataclass(frozen=True)
class History:
    sessions: list[Session]
    skipped: int
    decision_session: int
    rupture_session: int
    low_reflection_session: int


def primary_total(number: int) -> int:
    """The primary total at session ``number`` (1-based)."""
    if number <= len(HIGH):
        return HIGH[number - 1]
    return max(LOW_START - (number - len(HIGH)) // 8, 4)


def _answers_for_total(key: str, total: int) -> dict[str, int]:
    """Answers that sum to ``total``, risk item last and 0."""
    items = [i for i in load_instrument(key).items if i.numeric]
    out = {}
    left = total
    for item in items[:-1]:
        value = min(item.max_value, left)
        out[item.id] = value
        left -= value
    out[items[-1].id] = 0
    return out


def _same(key: str, value: int) -> dict[str, int]:
    return {
        i.id: max(min(value, i.max_value), i.min_value)
        for i in load_instrument(key).items
        if i.numeric
    }


def give_history(
    episode: Episode,
    *,
    n: int = 40,
    skipped: int = 17,
    decision_session: int = 20,
    rupture_session: int = 30,
    next_session: bool = True,
) -> History:
    """Write ``n`` weekly sessions with their check-ins to ``episode`` (see module docstring)."""
    now = timezone.now().replace(microsecond=0)
    first = now - dt.timedelta(weeks=n)
    practice_id, client_id = episode.practice_id, episode.client_id
    sessions = [
        Session(
            id=uuid.uuid4(),
            practice_id=practice_id,
            episode=episode,
            starts_at=first + dt.timedelta(weeks=i),
            status=Session.Status.ATTENDED,
        )
        for i in range(n)
    ]
    if next_session:
        sessions.append(
            Session(
                id=uuid.uuid4(),
                practice_id=practice_id,
                episode=episode,
                starts_at=now + dt.timedelta(days=3),
                status=Session.Status.SCHEDULED,
            )
        )
    admins: list[Administration] = []
    sittings: list[Sitting] = []

    def add(session: Session, number: int, key: str, answers: dict[str, int], **extra: Any):
        result = score(load_instrument(key), answers)
        at = session.starts_at - dt.timedelta(minutes=30)
        admins.append(
            Administration(
                id=uuid.uuid4(),
                practice_id=practice_id,
                client_id=client_id,
                episode=episode,
                session=session,
                instrument_key=key,
                instrument_version=load_instrument(key).version,
                context=Context.CHECKIN,
                respondent=extra.pop("respondent", Respondent.CLIENT),
                answers=answers,
                total=result.total,
                band=result.band.label if result.band else "",
                valid=result.valid,
                started_at=at,
                completed_at=at,
                idempotency_key=f"fixture:{session.pk}:{key}",
                **extra,
            )
        )

    for number, session in enumerate(sessions[:n], start=1):
        if number == skipped:
            sittings.append(
                Sitting(
                    id=uuid.uuid4(),
                    practice_id=practice_id,
                    client_id=client_id,
                    episode=episode,
                    session=session,
                    context=Context.CHECKIN,
                    status=SittingStatus.SKIPPED,
                    idempotency_key=f"fixture-skip:{session.pk}",
                    started_at=session.starts_at - dt.timedelta(hours=1),
                    completed_at=session.starts_at - dt.timedelta(hours=1),
                )
            )
            continue
        add(
            session,
            number,
            episode.primary_instrument,
            _answers_for_total(episode.primary_instrument, primary_total(number)),
        )
        goal = min(3 + number // 6, 8)
        add(session, number, "personal_goals", {"goal_1": goal, "goal_2": max(goal - 1, 0)})
        low = number == rupture_session
        reflection = _same("session_reflection", 5 if low else 8)
        add(
            session,
            number,
            "session_reflection",
            reflection,
            free_text=json.dumps({"reflection_not_right": LOW_TEXT}) if low else "",
        )
        add(
            session,
            number,
            "therapist_rating",
            _same("therapist_rating", 7),
            respondent=Respondent.THERAPIST,
        )
        if number % 4 == 0:
            add(
                session,
                number,
                "felt_change",
                {"felt_holds": min(number // 5, 10), "felt_understand_stuck": 6, "felt_stuck": 5},
            )
            growth = "who5" if number % 8 == 4 else "swls"
            add(session, number, growth, _same(growth, 3 if number < 20 else 4))
    with transaction.atomic():
        Session.objects.bulk_create(sessions)
        Sitting.objects.bulk_create(sittings)
        for a in admins:
            a.save(force_insert=True)
        decided = sessions[decision_session - 1]
        Decision.objects.create(
            practice_id=practice_id,
            episode=episode,
            phase=Phase.PLUS_ONE,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(decided.starts_at),
            recorded_by=episode.client.therapist,
            options_discussed=["go_deeper", "end_good_enough"],
            focus="to stop bracing for disappointment",
            present=["client", "therapist"],
        )
        rupture = RuptureEvent.objects.create(
            practice_id=practice_id,
            episode=episode,
            session=sessions[rupture_session - 1],
            kind=RuptureEvent.Kind.RUPTURE,
            recorded_by=episode.client.therapist,
        )
        RuptureEvent.objects.create(
            practice_id=practice_id,
            episode=episode,
            session=sessions[rupture_session],
            kind=RuptureEvent.Kind.REPAIR,
            repairs=rupture,
            recorded_by=episode.client.therapist,
        )
        from plusone.measures.actions import refresh_summary

        refresh_summary(episode, today=timezone.localdate())
    return History(sessions, skipped, decision_session, rupture_session, rupture_session)


# Screens for the screens-row tests (tests/web/test_screens_row.py, the browser test).
GAD7_12 = {f"gad7_{i}": v for i, v in enumerate([2, 2, 2, 2, 2, 1, 1], start=1)}
PCL5_40 = {f"pcl5_{i}": 2 for i in range(1, 21)}
AUDITC_3 = {"auditc_1": 1, "auditc_2": 1, "auditc_3": 1}
# K10 27 ("high"), with item 4 ("hopeless") at "Most of the time".
K10_HOPELESS = {f"k10_{i}": 3 for i in range(1, 11)} | {"k10_4": 4, "k10_5": 1, "k10_6": 1}


def give_screen(episode, key, answers, *, days_ago):
    """Store one scored administration of ``key`` for the episode's client, as the check-in
    stores it (the journey fixtures do the same)."""
    instrument = load_instrument(key)
    result = score(instrument, answers)
    at = timezone.now() - dt.timedelta(days=days_ago)
    return Administration.objects.create(
        practice_id=episode.practice_id,
        client_id=episode.client_id,
        episode=episode,
        instrument_key=key,
        instrument_version=instrument.version,
        context=Context.CHECKIN,
        respondent=Respondent.CLIENT,
        answers=answers,
        total=result.total,
        band=result.band.label if result.band else "",
        valid=result.valid,
        started_at=at,
        completed_at=at,
        idempotency_key=f"screens:{uuid.uuid4()}",
    )
