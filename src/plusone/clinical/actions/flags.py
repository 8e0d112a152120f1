"""Risk flags: opened in the transaction that stores the risk answer, raised by a
later higher answer, closed only by a clinician's acknowledgement (DESIGN.md, Risk)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import (
    Episode,
    EpisodeSummary,
    Flag,
    FlagNote,
)
from plusone.clinical.risk import promise_for
from plusone.clinical.signals import send_flag_raised


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


# An imported answer's flag names the administration that holds the answer.
IMPORT_SOURCE = "import"


def open_historical_flag(
    *,
    episode: Episode,
    grade: int,
    source_id: uuid.UUID,
    actor: Any,
    opened_at: dt.datetime,
    instrument_key: str,
    item_id: str,
    answer: int,
) -> Flag:
    """Open a flag "historical, for review" for a risk answer found in imported past
    scores, inside the caller's transaction (DESIGN.md, Risk).

    No client is waiting on an answer, so it makes no promise, sends no notification
    and never escalates; it stays open until a clinician reviews and acknowledges it.
    ``opened_at`` is when the answer was given.
    """
    with transaction.atomic():
        flag = Flag.objects.create(
            practice_id=episode.practice_id,
            client_id=episode.client_id,
            episode=episode,
            grade=min(max(grade, 1), 3),
            source_kind=IMPORT_SOURCE,
            source_id=source_id,
            opened_at=opened_at,
            instrument_key=instrument_key,
            item_id=item_id,
            answer=answer,
            historical=True,
        )
        EpisodeSummary.objects.filter(episode=episode).update(
            open_flag_count=F("open_flag_count") + 1
        )
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="flag.open_historical",
            target_type="clinical.flag",
            target_id=flag.pk,
            detail={"episode": episode.pk, "source_kind": IMPORT_SOURCE, "source": source_id},
        )
    return flag
