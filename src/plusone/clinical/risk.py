"""The risk promise: who reads a flag, by when the client is told, and when it escalates.

One function, :func:`promise_for`, answers all three, so the client is never
told a time the system does not enforce (DESIGN.md, Risk). The practice's
business hours, Ontario's public holidays (:mod:`plusone.core.calendars`) and
its own closure days are data; the arithmetic is :mod:`plusone.core.business_hours`.

Reads here need no permission (they answer routing questions for actions and
tasks); pages reach flags only through ``plusone.clinical.queries.access_flag``.
Writes (``set_absence``, ``update_risk_settings``, closure days) run in one
transaction and record their audit event last.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation

from plusone import audit
from plusone.accounts.labels import check_neutral
from plusone.accounts.models import Membership, Practice, Role
from plusone.clinical.models import Absence, ClosureDay, CrisisTextVersion, Flag, RiskSettings
from plusone.clinical.safety import default_crisis_text
from plusone.core.business_hours import (
    BusinessHours,
    closing_time,
    end_of_next_business_day,
    first_business_day_from,
    subtract_business_hours,
)
from plusone.core.calendars import holidays

# The slot a practice's crisis text must hold, filled by promise_for's read-by time.
READ_BY_SLOT = "{read_by}"
# The languages every client-facing text exists in (DESIGN.md, Languages).
LANGUAGES = ("en", "fr")


def settings_for(practice: Any) -> RiskSettings:
    """The practice's risk settings row, or an unsaved one holding the defaults."""
    found = RiskSettings.objects.filter(practice_id=practice.pk).first()
    return found if found is not None else RiskSettings(practice_id=practice.pk)


def business_hours(risk: RiskSettings) -> BusinessHours:
    """The practice's business hours as the pure ``plusone.core`` value, closed on
    Ontario's public holidays and the practice's own closure days."""
    weekdays = frozenset(int(d) for d in risk.weekdays.split(",") if d.strip())
    closed = holidays("ontario") | frozenset(
        ClosureDay.objects.filter(practice_id=risk.practice_id).values_list("day", flat=True)
    )
    return BusinessHours(
        weekdays=weekdays,
        opens=risk.opens,
        closes=risk.closes,
        zone=ZoneInfo(risk.time_zone),
        closed=closed,
    )


def practice_date(risk: RiskSettings, now: dt.datetime) -> dt.date:
    """``now`` as a date on the practice's own calendar."""
    return now.astimezone(ZoneInfo(risk.time_zone)).date()


def is_practice_therapist(user: Any, practice_id: Any) -> bool:
    """True when ``user`` is a therapist of the practice."""
    return Membership.objects.filter(
        user_id=getattr(user, "pk", user), practice_id=practice_id, role=Role.THERAPIST
    ).exists()


def _absence_on(therapist_id: Any, practice_id: Any, on: dt.date) -> Absence | None:
    """The absence covering ``on``; when absences overlap, the one that started last."""
    return (
        Absence.objects.select_related("cover")
        .filter(
            practice_id=practice_id, therapist_id=therapist_id, starts_on__lte=on, ends_on__gte=on
        )
        .order_by("-starts_on", "-created_at")
        .first()
    )


def cover_for(therapist_id: Any, practice_id: Any, on: dt.date) -> Any | None:
    """The user covering ``therapist_id`` on ``on``, or None when they are not away."""
    absence = _absence_on(therapist_id, practice_id, on)
    return absence.cover if absence is not None else None


def _back_on(therapist_id: Any, practice_id: Any, day: dt.date, hours: BusinessHours) -> dt.date:
    """The therapist's first business day back, on or after ``day`` (absences chained)."""
    for _ in range(366):
        day = first_business_day_from(day, hours)
        absence = _absence_on(therapist_id, practice_id, day)
        if absence is None:
            return day
        day = absence.ends_on + dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Promise:
    """What a new flag promises the client, and how the practice keeps it.

    ``read_by``: the time the client is told their therapist (or the cover)
    reads it. ``first_told``: who is notified at once. ``escalate_to``: the
    next person not yet told, or None when there is nobody; ``escalate_at``:
    the lead time before ``read_by`` (None without ``escalate_to``).
    ``kind`` is a Flag.Promise value; with "therapist_back" the therapist is
    away with no one covering and ``read_by`` is the close of their first
    business day back.
    """

    read_by: dt.datetime
    first_told: Any
    escalate_to: Any | None
    escalate_at: dt.datetime | None
    kind: str


def readers(therapist: Any, practice: Any, on: dt.date) -> list[Any]:
    """Who can act on a flag on ``on``, in the order they are told: the therapist
    (or their cover while they are away), then the designated clinical contact.
    Nobody appears twice; an away therapist without cover is left out."""
    risk = settings_for(practice)
    absence = _absence_on(therapist.pk, practice.pk, on)
    people: list[Any] = []
    if absence is None:
        people.append(therapist)
    elif absence.cover is not None:
        people.append(absence.cover)
    contact = risk.clinical_contact
    new = all(contact.pk != p.pk for p in people) if contact is not None else False
    if contact is not None and new and contact.pk != therapist.pk:
        people.append(contact)
    return people


def promise_for(*, practice: Any, therapist: Any, now: dt.datetime) -> Promise:
    """The one source of the read-by time and the escalation (DESIGN.md, Risk).

    The read-by time is the close of the next business day after ``now``
    (holidays and closure days skipped). Someone must be there on that day:
    the therapist, or their cover, or the clinical contact. When nobody is
    (a solo therapist away with no cover), the promise moves to the close of
    the therapist's first business day back. Escalation goes to the next
    person in :func:`readers` not yet told, ``lead`` business hours before
    the promise.
    """
    risk = settings_for(practice)
    hours = business_hours(risk)
    read_by = end_of_next_business_day(now, hours)
    day = read_by.date()
    people = readers(therapist, practice, day)
    kind = Flag.Promise.NEXT_BUSINESS_DAY
    if not people:
        back = _back_on(therapist.pk, practice.pk, day, hours)
        read_by = closing_time(back, hours)
        people = [therapist]
        kind = Flag.Promise.THERAPIST_BACK
    escalate_to = people[1] if len(people) > 1 else None
    escalate_at = None
    if escalate_to is not None:
        lead = dt.timedelta(hours=risk.escalation_lead_hours)
        escalate_at = max(subtract_business_hours(read_by, lead, hours), now)
    return Promise(
        read_by=read_by,
        first_told=people[0],
        escalate_to=escalate_to,
        escalate_at=escalate_at,
        kind=kind,
    )


def format_read_by(
    practice: Any, moment: dt.datetime, language: str = "en", *, risk: RiskSettings | None = None
) -> str:
    """The read-by time on the practice's clock, in the client's language, e.g.
    "Tuesday 13 October at 17:00". ``risk``: the practice's settings, when the caller
    formats many times (one query, not one each)."""
    zone = ZoneInfo((risk or settings_for(practice)).time_zone)
    with translation.override(language):
        # Translators: a Django date format: weekday, day, month, then the time, as in
        # "Tuesday 13 October at 17:00". Escape literal letters with a backslash.
        pattern = translation.gettext("l j F \\a\\t H:i")
        return formats.date_format(moment.astimezone(zone), pattern)


def crisis_text(practice: Any, read_by: dt.datetime, language: str = "en") -> str:
    """The crisis text in ``language`` with its read-by time filled in.

    The practice's own text when it has set one with the slot; otherwise the
    default (clinical.safety). A stored text without the slot is never shown:
    it could only state a time the system does not keep.
    """
    own = (practice.crisis_text_fr if language == "fr" else practice.crisis_text) or ""
    when = format_read_by(practice, read_by, language)
    if own.strip().count(READ_BY_SLOT) == 1:
        return own.strip().replace(READ_BY_SLOT, when)
    return default_crisis_text(language).replace(READ_BY_SLOT, when)


def check_crisis_text(text: str, language: str) -> str:
    """The text, stripped; ValidationError unless it holds the {read_by} slot exactly once
    and no other braces."""
    text = text.strip()
    name = {"en": "English", "fr": "French"}[language]
    if text.count(READ_BY_SLOT) != 1:
        raise ValidationError(
            f"The {name} crisis text must contain {READ_BY_SLOT} exactly once: "
            "PlusOne fills in the time the therapist reads the check-in."
        )
    if re.search(r"[{}]", text.replace(READ_BY_SLOT, "")):
        raise ValidationError(f"The {name} crisis text may hold no braces except {READ_BY_SLOT}.")
    return text


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
    cover: Any | None,
) -> Absence:
    """Record ``therapist``'s away dates with ``cover`` (None: nobody covers, and flags
    promise the therapist's first business day back); audit it.

    Raises ValidationError unless both are therapists of ``practice``, the cover
    is someone else and the dates are in order. ``user`` is the therapist
    themself or a practice admin (the view checks which).
    """
    errors = []
    if not is_practice_therapist(therapist, practice.pk):
        errors.append("Only a therapist of this practice can be away.")
    if cover is not None and not is_practice_therapist(cover, practice.pk):
        errors.append("The cover must be a therapist of this practice.")
    if cover is not None and getattr(cover, "pk", None) == getattr(therapist, "pk", None):
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
            detail={"therapist": therapist.pk, "cover": cover.pk if cover is not None else ""},
        )
    return absence


def update_risk_settings(
    *,
    user: Any,
    practice: Practice,
    crisis_text: str,
    crisis_text_fr: str,
    clinical_contact: Any | None,
    escalation_lead_hours: int,
    email_label: str | None = None,
    untranslated_instruments: str | None = None,
) -> RiskSettings:
    """Save the practice's crisis text (both languages, or neither), clinical contact,
    escalation lead time and, unless None, the neutral label link emails carry.

    Raises ValidationError when the contact is not a therapist of the practice,
    when a crisis text is given in one language only or lacks its slot, or when
    the label names the kind of care.
    """
    errors: list[str] = []
    if email_label is not None:
        email_label = " ".join(email_label.split())
        try:
            check_neutral(email_label)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if clinical_contact is not None and not is_practice_therapist(clinical_contact, practice.pk):
        errors.append("The clinical contact must be a therapist of this practice.")
    texts = {"en": crisis_text.strip(), "fr": crisis_text_fr.strip()}
    if any(texts.values()):
        if not all(texts.values()):
            errors.append(
                "Give the crisis text in both English and French, or leave both blank "
                "for the default text."
            )
        for language, text in texts.items():
            if text:
                try:
                    check_crisis_text(text, language)
                except ValidationError as exc:
                    errors.extend(exc.messages)
    if untranslated_instruments not in (None, "english_note", "leave_out"):
        errors.append("Choose English with a note, or leave it out.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        risk, _ = RiskSettings.objects.get_or_create(practice=practice)
        risk.clinical_contact = clinical_contact
        risk.escalation_lead_hours = escalation_lead_hours
        risk.save()
        last = (
            CrisisTextVersion.objects.filter(practice=practice)
            .order_by("-in_force_from")
            .values_list("text_en", "text_fr")
            .first()
        )
        if last != (texts["en"], texts["fr"]) and (
            last is not None or any(texts.values()) or practice.crisis_text
        ):
            # Each wording put in force is kept, both languages together (DESIGN.md, Languages).
            CrisisTextVersion.objects.create(
                practice=practice,
                text_en=texts["en"],
                text_fr=texts["fr"],
                in_force_from=timezone.now(),
                saved_by=user,
            )
        practice.crisis_text = texts["en"]
        practice.crisis_text_fr = texts["fr"]
        if email_label is not None:
            practice.email_label = email_label
        if untranslated_instruments is not None:
            practice.untranslated_instruments = untranslated_instruments
        practice.save(
            update_fields=[
                "crisis_text",
                "crisis_text_fr",
                "email_label",
                "untranslated_instruments",
            ]
        )
        audit.record(
            practice=practice,
            actor=user,
            action="risk_settings.update",
            target_type="clinical.risksettings",
            target_id=risk.pk,
            detail={
                "contact": clinical_contact.pk if clinical_contact is not None else "",
                "lead_hours": escalation_lead_hours,
                "own_text": bool(practice.crisis_text),
                "email_label": practice.email_label,
                "untranslated_instruments": practice.untranslated_instruments,
            },
        )
    return risk


def add_closure_day(*, user: Any, practice: Practice, day: dt.date, label: str) -> ClosureDay:
    """Mark ``day`` closed for the practice (no business time passes); audit it.

    Raises ValidationError when it is marked already.
    """
    if ClosureDay.objects.filter(practice=practice, day=day).exists():
        raise ValidationError("That day is already marked closed.")
    with transaction.atomic():
        closure = ClosureDay.objects.create(
            practice=practice, day=day, label=label.strip(), created_by=user
        )
        audit.record(
            practice=practice,
            actor=user,
            action="closure_day.add",
            target_type="clinical.closureday",
            target_id=closure.pk,
        )
    return closure


def remove_closure_day(*, user: Any, closure: ClosureDay) -> None:
    """Open the day again; audit it (flags already promised keep their promise)."""
    with transaction.atomic():
        pk, practice = closure.pk, closure.practice
        closure.delete()
        audit.record(
            practice=practice,
            actor=user,
            action="closure_day.remove",
            target_type="clinical.closureday",
            target_id=pk,
        )
