"""Risk cover: who covers whom, the practice's business hours, and the stated read-by time.

Reads here need no permission (they answer routing questions for actions and
tasks); pages reach flags only through ``plusone.clinical.queries.access_flag``.
Writes (``set_absence``, ``update_risk_settings``) run in one transaction and
record their audit event last.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats

from plusone import audit
from plusone.accounts.models import Membership, Practice, Role
from plusone.clinical.models import Absence, Flag, RiskSettings
from plusone.core.business_hours import BusinessHours, end_of_next_business_day

DEFAULT_ESCALATE_AFTER_HOURS = 24


def settings_for(practice: Any) -> RiskSettings:
    """The practice's risk settings row, or an unsaved one holding the defaults."""
    found = RiskSettings.objects.filter(practice_id=practice.pk).first()
    return found if found is not None else RiskSettings(practice_id=practice.pk)


def business_hours(risk: RiskSettings) -> BusinessHours:
    """The practice's business hours as the pure ``plusone.core`` value."""
    weekdays = frozenset(int(d) for d in risk.weekdays.split(",") if d.strip())
    return BusinessHours(
        weekdays=weekdays, opens=risk.opens, closes=risk.closes, zone=ZoneInfo(risk.time_zone)
    )


def practice_date(risk: RiskSettings, now: dt.datetime) -> dt.date:
    """``now`` as a date on the practice's own calendar."""
    return now.astimezone(ZoneInfo(risk.time_zone)).date()


def is_practice_therapist(user: Any, practice_id: Any) -> bool:
    """True when ``user`` is a therapist of the practice."""
    return Membership.objects.filter(
        user_id=getattr(user, "pk", user), practice_id=practice_id, role=Role.THERAPIST
    ).exists()


def cover_for(therapist_id: Any, practice_id: Any, on: dt.date) -> Any | None:
    """The user covering ``therapist_id`` on ``on``, or None when they are not away.

    When absences overlap, the one that started last wins.
    """
    absence = (
        Absence.objects.select_related("cover")
        .filter(
            practice_id=practice_id, therapist_id=therapist_id, starts_on__lte=on, ends_on__gte=on
        )
        .order_by("-starts_on", "-created_at")
        .first()
    )
    return absence.cover if absence is not None else None


def flag_recipient(flag: Flag, now: dt.datetime) -> Any:
    """Who is told of a new flag: the client's therapist, or their cover while away."""
    risk = settings_for(flag.practice)
    cover = cover_for(flag.client.therapist_id, flag.practice_id, practice_date(risk, now))
    return cover if cover is not None else flag.client.therapist


def escalation_recipient(flag: Flag, now: dt.datetime) -> Any | None:
    """Who an overdue flag escalates to: the cover while the therapist is away, else the
    practice's designated clinical contact (None when neither is set, or when the
    contact is the flag's own therapist, who was told already)."""
    risk = settings_for(flag.practice)
    cover = cover_for(flag.client.therapist_id, flag.practice_id, practice_date(risk, now))
    if cover is not None:
        return cover
    contact = risk.clinical_contact
    if contact is None or contact.pk == flag.client.therapist_id:
        return None
    return contact


def read_by_text(practice: Any, now: dt.datetime) -> str:
    """The stated response time: the practice's own words, else the computed next
    business day, e.g. "the next business day (Monday 30 November, 17:00)"."""
    risk = settings_for(practice)
    if risk.read_by.strip():
        return risk.read_by.strip()
    due = end_of_next_business_day(now, business_hours(risk))
    when = formats.date_format(due, "l j F, H:i")
    return f"the next business day ({when})"


def default_crisis_text(practice: Any, now: dt.datetime) -> str:
    """The crisis text a practice gets until it writes its own, with its read-by time."""
    from plusone.measures.safety import CRISIS_TEXT_TEMPLATE

    return CRISIS_TEXT_TEMPLATE.format(read_by=read_by_text(practice, now))


def flag_counts(practice: Practice) -> dict[str, int]:
    """Counts only (the admin's view): open flags, and how many of them escalated."""
    open_flags = Flag.objects.filter(practice=practice, status=Flag.Status.OPEN)
    return {
        "open": open_flags.count(),
        "escalated": open_flags.filter(escalated_at__isnull=False).count(),
    }


# Writes ---------------------------------------------------------------------------------


def set_absence(
    *,
    user: Any,
    practice: Practice,
    therapist: Any,
    starts_on: dt.date,
    ends_on: dt.date,
    cover: Any,
) -> Absence:
    """Record ``therapist``'s away dates with ``cover``; audit it.

    Raises ValidationError unless both are therapists of ``practice``, the cover
    is someone else and the dates are in order. ``user`` is the therapist
    themself or a practice admin (the view checks which).
    """
    errors = []
    if not is_practice_therapist(therapist, practice.pk):
        errors.append("Only a therapist of this practice can be away with cover.")
    if not is_practice_therapist(cover, practice.pk):
        errors.append("The cover must be a therapist of this practice.")
    if getattr(cover, "pk", None) == getattr(therapist, "pk", None):
        errors.append("The cover must be someone else.")
    if ends_on < starts_on:
        errors.append("The last day away cannot be before the first.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        absence = Absence.objects.create(
            practice=practice,
            therapist=therapist,
            starts_on=starts_on,
            ends_on=ends_on,
            cover=cover,
            created_by=user,
        )
        audit.record(
            practice=practice,
            actor=user,
            action="absence.set",
            target_type="clinical.absence",
            target_id=absence.pk,
            detail={"therapist": therapist.pk, "cover": cover.pk},
        )
    return absence


def update_risk_settings(
    *,
    user: Any,
    practice: Practice,
    crisis_text: str,
    read_by: str,
    clinical_contact: Any | None,
    escalate_after_hours: int,
) -> RiskSettings:
    """Save the practice's crisis text, read-by time, clinical contact and escalation delay.

    Raises ValidationError when the contact is not a therapist of the practice.
    """
    if clinical_contact is not None and not is_practice_therapist(clinical_contact, practice.pk):
        raise ValidationError("The clinical contact must be a therapist of this practice.")
    with transaction.atomic():
        risk, _ = RiskSettings.objects.get_or_create(practice=practice)
        risk.read_by = read_by.strip()
        risk.clinical_contact = clinical_contact
        risk.escalate_after_hours = escalate_after_hours
        risk.save()
        practice.crisis_text = crisis_text.strip()
        practice.save(update_fields=["crisis_text"])
        audit.record(
            practice=practice,
            actor=user,
            action="risk_settings.update",
            target_type="clinical.risksettings",
            target_id=risk.pk,
            detail={
                "contact": clinical_contact.pk if clinical_contact is not None else "",
                "hours": escalate_after_hours,
                "own_text": bool(practice.crisis_text),
            },
        )
    return risk
