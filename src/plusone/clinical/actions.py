"""Writes to clinical records. Each action runs in one transaction and records
its audit event (ids and action names only) as its last statement."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
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
    Flag,
    FlagNote,
    Goal,
    MeasurementPlan,
    RuptureEvent,
    SafetyPlan,
    Session,
    age_on,
)
from plusone.clinical.plans import DEFAULT_MIN_INTERVAL_DAYS, check_plan, default_schedule
from plusone.clinical.risk import promise_for
from plusone.clinical.signals import episode_opened, send_flag_raised

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
    # The client's choice, asked plainly at intake: do links show their goals in their words?
    goal_words_on_links: bool = False
    # Optional, for AUDIT-C's cutoff only (AuditcSex); "" when not recorded.
    auditc_sex: str = ""


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

    schedule = default_schedule(data.primary, data.secondary)
    plan_check = check_plan(schedule)
    # A licensed pack (CORE-10) needs the practice's text before it can be in a plan.
    problems = [*plan_check.problems, *licensed.plan_problems(practice.pk, schedule)]
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    with transaction.atomic():
        client = Client.objects.create(
            practice=practice,
            therapist=therapist,
            given_name=data.given_name,
            family_name=data.family_name,
            date_of_birth=data.date_of_birth,
            email=data.email,
            goal_words_on_links=data.goal_words_on_links,
            auditc_sex=data.auditc_sex,
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


def open_flag(
    *,
    episode: Episode,
    grade: int,
    source_kind: str,
    source_id: uuid.UUID,
    actor: Any,
    now: dt.datetime | None = None,
    instrument_key: str = "",
    item_id: str = "",
    answer: int | None = None,
) -> Flag:
    """Open a risk flag inside the caller's transaction (the one that first stores the
    risk answer: a check-in group's save, or the submit).

    Stores the answer and the promise (:func:`plusone.clinical.risk.promise_for`:
    the read-by time the client is told, who is told first and when it
    escalates), bumps the summary's open-flag count, enqueues the notification
    in the same transaction and records the audit event. ``actor`` is as for
    :func:`plusone.audit.record` (a check-in passes "token:<uuid>").
    """
    now = now or timezone.now()
    promise = promise_for(practice=episode.practice, therapist=episode.client.therapist, now=now)
    with transaction.atomic():
        flag = Flag.objects.create(
            practice_id=episode.practice_id,
            client_id=episode.client_id,
            episode=episode,
            grade=grade,
            source_kind=source_kind,
            source_id=source_id,
            opened_at=now,
            instrument_key=instrument_key,
            item_id=item_id,
            answer=answer,
            promised_read_by=promise.read_by,
            promise=promise.kind,
            escalate_at=promise.escalate_at,
            first_told=promise.first_told,
        )
        EpisodeSummary.objects.filter(episode=episode).update(
            open_flag_count=F("open_flag_count") + 1
        )
        send_flag_raised(flag.pk)
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="flag.open",
            target_type="clinical.flag",
            target_id=flag.pk,
            detail={"episode": episode.pk, "source_kind": source_kind, "source": source_id},
        )
    return flag


def update_flag_answer(
    *,
    flag: Flag,
    instrument_key: str,
    item_id: str,
    answer: int,
    grade: int,
    actor: Any,
    now: dt.datetime,
) -> bool:
    """Record a later answer to a risk item of an open sitting's flag, inside the caller's
    transaction; return True when it raised the flag's grade.

    A higher grade raises the flag (and reopens it, if a clinician had closed
    it meanwhile, with the notification sent again); any other change of a
    recorded answer, down to 0 included, adds a note. Nothing here closes a
    flag or lowers its grade: only a clinician's acknowledgement closes it.
    """
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if grade > locked.grade:
            reopened = locked.status != Flag.Status.OPEN
            locked.grade = min(grade, 3)
            locked.instrument_key, locked.item_id, locked.answer = instrument_key, item_id, answer
            fields = ["grade", "instrument_key", "item_id", "answer"]
            if reopened:
                locked.status = Flag.Status.OPEN
                locked.acknowledged_at = None
                locked.acknowledged_by = None
                fields += ["status", "acknowledged_at", "acknowledged_by"]
            locked.save(update_fields=fields)
            _flag_note(locked, FlagNote.Kind.RAISED, instrument_key, item_id, answer, grade, now)
            if reopened:
                EpisodeSummary.objects.filter(episode_id=locked.episode_id).update(
                    open_flag_count=F("open_flag_count") + 1
                )
                send_flag_raised(locked.pk, slot="reopened")
            audit.record(
                practice=locked.practice,
                actor=actor,
                action="flag.reopen" if reopened else "flag.raise",
                target_type="clinical.flag",
                target_id=locked.pk,
                detail={"episode": locked.episode_id, "grade": locked.grade},
            )
            return True
        if answer == _last_answer(locked, instrument_key, item_id):
            return False
        _flag_note(locked, FlagNote.Kind.CHANGED, instrument_key, item_id, answer, grade, now)
        audit.record(
            practice=locked.practice,
            actor=actor,
            action="flag.note",
            target_type="clinical.flag",
            target_id=locked.pk,
            detail={"episode": locked.episode_id, "grade": locked.grade},
        )
    return False


def _last_answer(flag: Flag, instrument_key: str, item_id: str) -> int | None:
    """The latest answer the flag knows for this item (None when it knows none)."""
    note = (
        FlagNote.objects.filter(flag=flag, instrument_key=instrument_key, item_id=item_id)
        .order_by("-at", "-pk")
        .first()
    )
    if note is not None:
        return note.answer
    if (flag.instrument_key, flag.item_id) == (instrument_key, item_id):
        return flag.answer
    # An answer of 0 to another risk item is not news to the flag.
    return 0


def _flag_note(
    flag: Flag, kind: str, instrument_key: str, item_id: str, answer: int, grade: int, now: Any
) -> FlagNote:
    return FlagNote.objects.create(
        practice_id=flag.practice_id,
        flag=flag,
        at=now,
        kind=kind,
        instrument_key=instrument_key,
        item_id=item_id,
        answer=answer,
        grade=grade,
    )


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
            # True when a cover (not the client's own therapist) closed it.
            detail={
                "episode": locked.episode_id,
                "grade": locked.grade,
                "cover": locked.client.therapist_id != getattr(user, "pk", None),
            },
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
        "primary_trend",
        "goal_ratings",
        "spike_review",
        "judged_on",
        "awaiting",
        "held",
        "repair_first",
        "consult",
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


# Measurement plan ------------------------------------------------------------------------


class EditConflict(Exception):
    """Someone saved the record after the editor loaded it: nothing was overwritten.

    ``current`` is the stored row as it is now (their version), for the page to show.
    """

    def __init__(self, current: Any) -> None:
        self.current = current
        who = current.updated_by if current is not None else None
        name = (who.get_full_name() or who.email) if who is not None else "Someone else"
        super().__init__(
            f"{name} changed this while you were editing; here is their version "
            f"(version {current.version if current is not None else 0}). Your changes are "
            "kept in the form below: compare them with theirs, then save again to replace it."
        )


def _swap(model: Any, pk: Any, base_version: int, **values: Any) -> Any:
    """Compare and swap: write ``values`` only if the row is still at ``base_version``.

    One UPDATE ... WHERE version = base_version, which also raises the version, so of
    two editors who loaded the same version exactly one wins; the other gets
    EditConflict with the winner's row. Runs inside the caller's transaction.
    """
    changed = model.objects.filter(pk=pk, version=base_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    current = model.objects.select_related("updated_by").get(pk=pk)
    if changed != 1:
        raise EditConflict(current)
    return current


def update_plan(
    *,
    user: Any,
    episode: Episode,
    schedule: dict[str, list[str]],
    min_interval_days: dict[str, int],
    session_interval_days: int = 7,
    base_version: int | None = None,
) -> MeasurementPlan:
    """Replace the episode's measurement plan after :func:`check_plan` accepts it; audit it.

    The definitions' minimum intervals (e.g. MHC-SF 28 days) are always kept.
    Raises ValidationError with every problem, e.g. a routine check-in over 180 s,
    and LicenceRequired (naming the licence holder) for a licensed pack whose
    text the practice has not supplied. ``base_version`` is the plan version the
    editor loaded (0 when there was no plan): when the plan has moved on since,
    raises EditConflict and changes nothing. None (code, not a person editing)
    saves over whatever version is stored.
    """

    licensed.require_text(episode.practice_id, licensed.schedule_keys(schedule))
    intervals = {**DEFAULT_MIN_INTERVAL_DAYS, **min_interval_days}
    result = check_plan(
        schedule,
        min_interval_days=intervals,
        session_interval_days=session_interval_days,
        primary=episode.primary_instrument,
        secondary=episode.secondary_instrument,
    )
    if not result.ok:
        raise ValidationError(list(result.problems))
    with transaction.atomic():
        plan, created = MeasurementPlan.objects.select_for_update().get_or_create(
            episode=episode,
            defaults={
                "practice_id": episode.practice_id,
                "schedule": schedule,
                "min_interval_days": intervals,
                "updated_by": user,
            },
        )
        if created and base_version not in (None, 0):
            raise EditConflict(None)
        if not created:
            expected = plan.version if base_version is None else base_version
            plan = _swap(
                MeasurementPlan,
                plan.pk,
                expected,
                schedule=schedule,
                min_interval_days=intervals,
                updated_by=user,
            )
        audit.record(
            practice=episode.practice,
            actor=user,
            action="plan.update",
            target_type="clinical.measurementplan",
            target_id=plan.pk,
            detail={
                "episode": episode.pk,
                "routine_seconds": result.routine_seconds,
                "review_seconds": result.review_seconds,
                "warnings": len(result.warnings),
                "version": plan.version,
            },
        )
    return plan


# Safety plan -----------------------------------------------------------------------------


def update_safety_plan(*, user: Any, client: Client, text: str, base_version: int) -> SafetyPlan:
    """Replace the client's safety plan with ``text``; audit it (never the text itself).

    ``base_version`` is the version the editor loaded (0 when the client had none).
    When someone saved in between, raises EditConflict with their version and
    changes nothing: a safety plan is never overwritten unseen.
    """
    with transaction.atomic():
        plan = SafetyPlan.objects.filter(client=client).first()
        if plan is None:
            if base_version != 0:
                raise EditConflict(None)
            try:
                # A savepoint: two first saves at once collide on the one-plan-per-client key.
                with transaction.atomic():
                    plan = SafetyPlan.objects.create(
                        practice_id=client.practice_id, client=client, text=text, updated_by=user
                    )
            except IntegrityError:
                raise EditConflict(
                    SafetyPlan.objects.select_related("updated_by").get(client=client)
                ) from None
        else:
            # The ciphertext binds the row's id: encrypt through the field, then swap.
            plan.text = text
            sealed = SafetyPlan._meta.get_field("text").pre_save(plan, False)
            plan = _swap(SafetyPlan, plan.pk, base_version, text=sealed, updated_by=user)
        audit.record(
            practice=client.practice,
            actor=user,
            action="safety_plan.update",
            target_type="clinical.safetyplan",
            target_id=plan.pk,
            detail={"client": client.pk, "version": plan.version},
        )
    return plan


# Ruptures and repairs -------------------------------------------------------------------


def log_rupture_event(
    *,
    user: Any,
    session: Session,
    kind: str,
    note: str,
    repairs: RuptureEvent | None = None,
) -> RuptureEvent:
    """Log a rupture, or the repair of an earlier rupture in the same episode; audit it.

    Raises ValidationError when a repair names no rupture of this episode, or a
    rupture names one.
    """
    if kind == RuptureEvent.Kind.REPAIR:
        if repairs is None or repairs.episode_id != session.episode_id:
            raise ValidationError("Choose the rupture this repairs.")
        if repairs.kind != RuptureEvent.Kind.RUPTURE:
            raise ValidationError("A repair repairs a rupture.")
    elif kind == RuptureEvent.Kind.RUPTURE:
        repairs = None
    else:
        raise ValidationError("Choose rupture or repair.")
    with transaction.atomic():
        event = RuptureEvent(
            practice_id=session.practice_id,
            episode_id=session.episode_id,
            session=session,
            kind=kind,
            note=note.strip(),
            repairs=repairs,
            recorded_by=user,
        )
        event.save(force_insert=True)
        audit.record(
            practice=session.episode.practice,
            actor=user,
            action=f"relationship.{kind}",
            target_type="clinical.ruptureevent",
            target_id=event.pk,
            detail={"episode": session.episode_id, "session": session.pk},
        )
    return event
