"""Intake: a new adult client, their first episode, goals and measurement plan."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Practice
from plusone.clinical import licensed
from plusone.clinical.models import (
    ADULT_AGE,
    PRIMARY_INSTRUMENTS,
    AuditcSex,
    Client,
    Consent,
    Episode,
    EpisodeSummary,
    Goal,
    MeasurementPlan,
    SafetyPlan,
    age_on,
)
from plusone.clinical.plans import DEFAULT_MIN_INTERVAL_DAYS, check_plan, default_schedule
from plusone.clinical.signals import episode_opened

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
    # The practice's own id (imports match on it) and a mobile number in E.164; "" when none.
    practice_ref: str = ""
    phone: str = ""
    # The client's choice, asked plainly at intake: do links show their goals in their words?
    goal_words_on_links: bool = False
    # Optional, for AUDIT-C's cutoff only (AuditcSex); "" when not recorded.
    auditc_sex: str = ""
    # The therapy-history reflection, for a client who has had therapy before (optional):
    # what helped, what didn't, what they wish had happened, in their words.
    prior_helped: str = ""
    prior_unhelpful: str = ""
    prior_wished: str = ""


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
    if data.auditc_sex not in AuditcSex.values:
        raise ValidationError("Choose female, male or not recorded for AUDIT-C scoring.")
    history = [t.strip() for t in (data.prior_helped, data.prior_unhelpful, data.prior_wished)]
    if any(history) and not data.prior_therapy:
        raise ValidationError(
            "The therapy-history answers are for a client who had therapy before."
        )

    schedule = default_schedule(data.primary, data.secondary)
    plan_check = check_plan(schedule)
    # A licensed pack (CORE-10) needs the practice's text before it can be in a plan.
    problems = [*plan_check.problems, *licensed.plan_problems(practice.pk, schedule)]
    if problems:
        raise ValidationError(problems)
    if (
        data.practice_ref
        and Client.objects.filter(practice=practice, practice_ref=data.practice_ref).exists()
    ):
        raise ValidationError({"practice_ref": "Another client in this practice has this id."})
    now = timezone.now()
    with transaction.atomic():
        client = Client.objects.create(
            practice=practice,
            therapist=therapist,
            given_name=data.given_name,
            family_name=data.family_name,
            date_of_birth=data.date_of_birth,
            email=data.email,
            phone=data.phone,
            practice_ref=data.practice_ref,
            goal_words_on_links=data.goal_words_on_links,
            auditc_sex=data.auditc_sex,
        )
        episode = Episode.objects.create(
            practice=practice,
            client=client,
            primary_instrument=data.primary,
            secondary_instrument=data.secondary,
            prior_therapy=data.prior_therapy,
            prior_helped=history[0],
            prior_unhelpful=history[1],
            prior_wished=history[2],
            s2_intention=data.s2_intention,
            opened_on=today,
        )
        Goal.objects.bulk_create(
            [
                Goal(id=uuid.uuid4(), practice=practice, episode=episode, position=i, text=text)
                for i, text in enumerate(goals, start=1)
            ]
        )
        SafetyPlan.objects.create(
            practice=practice, client=client, text=data.safety_plan, updated_by=therapist
        )
        MeasurementPlan.objects.create(
            practice=practice,
            episode=episode,
            updated_by=therapist,
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
        # Judged from the first day, like every summary (DESIGN.md: judged as of today).
        episode_opened.send(sender=None, episode=episode, today=today)
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
                "goal_words_on_links": data.goal_words_on_links,
            },
        )
    return client
