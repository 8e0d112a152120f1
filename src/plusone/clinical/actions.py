"""Writes to clinical records. Each action runs in one transaction and records
its audit event (ids and action names only) as its last statement."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Practice
from plusone.clinical.models import (
    ADULT_AGE,
    PRIMARY_INSTRUMENTS,
    Client,
    Consent,
    Episode,
    EpisodeSummary,
    Flag,
    Goal,
    MeasurementPlan,
    SafetyPlan,
    age_on,
)
from plusone.clinical.plans import DEFAULT_MIN_INTERVAL_DAYS, check_plan, default_schedule

CONSENT_VERSION = "2026-1"
MAX_GOALS = 3
UNDER_18_MESSAGE = (
    "PlusOne v1 serves adults only: this client is under 18. "
    "Please use your practice's process for minors."
)


def refuse_minor(date_of_birth: dt.date, today: dt.date) -> None:
    """Raise ValidationError with a clear message when the client is under 18."""
    if date_of_birth > today:
        raise ValidationError("The date of birth is in the future.", code="future")
    if age_on(date_of_birth, today) < ADULT_AGE:
        raise ValidationError(UNDER_18_MESSAGE, code="minor")


@dataclass(frozen=True)
class IntakeData:
    """What the intake form collects, already parsed."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    email: str
    primary: str
    secondary: str
    prior_therapy: bool
    s2_intention: str
    goals: Sequence[str]
    safety_plan: str
    consent_channels: Sequence[str]


def intake_client(
    *, therapist: Any, practice: Practice, data: IntakeData, today: dt.date
) -> Client:
    """Create a client with their first episode, goals, safety plan, default
    measurement plan, measurement consents and summary row; audit it."""
    refuse_minor(data.date_of_birth, today)
    if data.primary not in PRIMARY_INSTRUMENTS:
        raise ValidationError(f"{data.primary!r} cannot be a primary measure.")
    goals = [g.strip() for g in data.goals if g.strip()]
    if len(goals) > MAX_GOALS:
        raise ValidationError("At most three goals.")
    schedule = default_schedule(data.primary, data.secondary)
    plan_check = check_plan(schedule)
    if not plan_check.ok:
        raise ValidationError(list(plan_check.problems))
    now = timezone.now()
    with transaction.atomic():
        client = Client.objects.create(
            practice=practice,
            therapist=therapist,
            given_name=data.given_name,
            family_name=data.family_name,
            date_of_birth=data.date_of_birth,
            email=data.email,
        )
        episode = Episode.objects.create(
            practice=practice,
            client=client,
            primary_instrument=data.primary,
            secondary_instrument=data.secondary,
            prior_therapy=data.prior_therapy,
            s2_intention=data.s2_intention,
            opened_on=today,
        )
        Goal.objects.bulk_create(
            [
                Goal(id=uuid.uuid4(), practice=practice, episode=episode, position=i, text=text)
                for i, text in enumerate(goals, start=1)
            ]
        )
        SafetyPlan.objects.create(practice=practice, client=client, text=data.safety_plan)
        MeasurementPlan.objects.create(
            practice=practice,
            episode=episode,
            schedule=schedule,
            min_interval_days=DEFAULT_MIN_INTERVAL_DAYS,
        )
        instruments = sorted({k for keys in schedule.values() for k in keys})
        Consent.objects.bulk_create(
            [
                Consent(
                    id=uuid.uuid4(),
                    practice=practice,
                    client=client,
                    kind=Consent.Kind.MEASUREMENT,
                    version=CONSENT_VERSION,
                    instrument=key,
                    channel=channel,
                    given_at=now,
                    recorded_by=therapist,
                )
                for key in instruments
                for channel in data.consent_channels
            ]
        )
        EpisodeSummary.objects.create(
            practice=practice,
            episode=episode,
            client=client,
            therapist=therapist,
            primary_instrument=data.primary,
        )
        audit.record(
            practice=practice,
            actor=therapist,
            action="client.intake",
            target_type="clinical.client",
            target_id=client.pk,
            detail={
                "episode": episode.pk,
                "goals": len(goals),
                "channels": list(data.consent_channels),
            },
        )
    return client


def open_flag(
    *,
    episode: Episode,
    grade: int,
    source_kind: str,
    source_id: uuid.UUID,
    actor: Any,
    now: dt.datetime | None = None,
) -> Flag:
    """Open a risk flag inside the caller's transaction (e.g. submit_checkin's).

    Bumps the summary's open-flag count, enqueues the therapist's notification
    in the same transaction and records the audit event. ``actor`` is as for
    :func:`plusone.audit.record` (a check-in passes "token:<uuid>").
    """
    from plusone.notify.tasks import notify_new_flag

    with transaction.atomic():
        flag = Flag.objects.create(
            practice_id=episode.practice_id,
            client_id=episode.client_id,
            episode=episode,
            grade=grade,
            source_kind=source_kind,
            source_id=source_id,
            opened_at=now or timezone.now(),
        )
        EpisodeSummary.objects.filter(episode=episode).update(
            open_flag_count=F("open_flag_count") + 1
        )
        notify_new_flag.enqueue(str(flag.pk))
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="flag.open",
            target_type="clinical.flag",
            target_id=flag.pk,
            detail={"episode": episode.pk, "source_kind": source_kind, "source": source_id},
        )
    return flag


class FlagAlreadyAcknowledged(Exception):
    """The flag was acknowledged already (perhaps by a colleague a moment ago)."""


def acknowledge_flag(*, user: Any, flag: Flag, note: str) -> Flag:
    """Close ``flag`` with the clinician's action note; audit it.

    Raises ValidationError for an empty note and FlagAlreadyAcknowledged when
    someone got there first.
    """
    note = note.strip()
    if not note:
        raise ValidationError("Write what you did or will do (the action note).", code="required")
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.status != Flag.Status.OPEN:
            raise FlagAlreadyAcknowledged
        locked.status = Flag.Status.ACKNOWLEDGED
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = user
        locked.action_note = note
        locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "action_note"])
        EpisodeSummary.objects.filter(episode_id=locked.episode_id, open_flag_count__gt=0).update(
            open_flag_count=F("open_flag_count") - 1
        )
        audit.record(
            practice=locked.practice,
            actor=user,
            action="flag.acknowledge",
            target_type="clinical.flag",
            target_id=locked.pk,
            detail={"episode": locked.episode_id, "grade": locked.grade},
        )
    return locked


SUMMARY_FIELDS = frozenset(
    {
        "latest_total",
        "band_label",
        "slope_per_week",
        "proposal_kind",
        "alerts",
        "last_session_at",
        "next_session_at",
        "not_completed_count",
        "phase",
    }
)


def update_summary(episode: Episode, **fields: Any) -> EpisodeSummary:
    """Rewrite the episode's summary row inside the caller's transaction (no audit
    event of its own: the caller's action records one). The open-flag count is
    recomputed from the flags, never passed in."""
    unknown = set(fields) - SUMMARY_FIELDS
    if unknown:
        raise TypeError(f"not summary fields: {sorted(unknown)}")
    open_count = Flag.objects.filter(episode=episode, status=Flag.Status.OPEN).count()
    summary, _ = EpisodeSummary.objects.select_for_update().get_or_create(
        episode=episode,
        defaults={
            "practice_id": episode.practice_id,
            "client_id": episode.client_id,
            "therapist_id": episode.client.therapist_id,
            "primary_instrument": episode.primary_instrument,
        },
    )
    for name, value in fields.items():
        setattr(summary, name, value)
    summary.open_flag_count = open_count
    summary.save()
    return summary
