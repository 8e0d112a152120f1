"""Writes of the rights app, each with its audit row in the same transaction.

Audit ``detail`` carries ids, statuses and exception codes only: never what the
client asked for, a reason, a statement or any record text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plusone import audit
from plusone.clinical.models import Client
from plusone.notes.models import SECTIONS, SessionNote
from plusone.rights import clock
from plusone.rights.export import PARTS, rows_for
from plusone.rights.models import (
    SEVERANCE_EXCEPTIONS,
    AccessException,
    AccessRequest,
    ClockedRequest,
    CorrectionRefusal,
    CorrectionRequest,
    NoteCorrection,
    SeveredItem,
)

OPEN = ("open", "extended")
ONE_EXTENSION = (
    "This request was already extended once. PHIPA allows one extension of up to 30 days "
    "(s.54(3), s.55(4)); answer it by {due:%B %-d, %Y}."
)


def _record(user: Any, obj: Any, action: str, **detail: Any) -> None:
    audit.record(
        practice=obj.practice,
        actor=user,
        action=action,
        target_type=obj._meta.label_lower,
        target_id=obj.pk,
        detail={"client": obj.client_id, **detail} if hasattr(obj, "client_id") else detail,
    )


def _check_received(received_on: dt.date, today: dt.date) -> None:
    if received_on > today:
        raise ValidationError({"received_on": "The date received cannot be in the future."})


def _required(**fields: str) -> dict[str, str]:
    stripped = {name: (value or "").strip() for name, value in fields.items()}
    missing = {name: "This is required." for name, value in stripped.items() if not value}
    if missing:
        raise ValidationError(missing)
    return stripped


def record_access_request(
    *,
    user: Any,
    client: Client,
    received_on: dt.date,
    how_received: str,
    asked_for: str,
    today: dt.date,
) -> AccessRequest:
    """Record a client's access request; its clock starts on ``received_on``."""
    _check_received(received_on, today)
    text = _required(asked_for=asked_for)
    with transaction.atomic():
        request = AccessRequest.objects.create(
            practice=client.practice,
            client=client,
            received_on=received_on,
            how_received=how_received,
            asked_for=text["asked_for"],
            due_on=clock.due_on(received_on, extended=False),
            recorded_by=user,
        )
        _record(user, request, "rights.access.record")
    return request


def record_correction_request(
    *,
    user: Any,
    client: Client,
    note: SessionNote | None,
    received_on: dt.date,
    how_received: str,
    asked: str,
    today: dt.date,
) -> CorrectionRequest:
    """Record a client's request to correct their record (a signed note, or other)."""
    _check_received(received_on, today)
    text = _required(asked=asked)
    if note is not None and note.episode.client_id != client.pk:
        raise ValidationError({"note": "That note is not one of this client's."})
    with transaction.atomic():
        request = CorrectionRequest.objects.create(
            practice=client.practice,
            client=client,
            note=note,
            received_on=received_on,
            how_received=how_received,
            asked=text["asked"],
            due_on=clock.due_on(received_on, extended=False),
            recorded_by=user,
        )
        _record(user, request, "rights.correction.record")
    return request


def _lock(request: ClockedRequest) -> Any:
    return type(request).objects.select_for_update().get(pk=request.pk)


def extend(
    *, user: Any, request: ClockedRequest, reason: str, client_told_on: dt.date, today: dt.date
) -> Any:
    """Extend the request's clock once, by 30 days, with the reason and the day the client
    was told. A second extension, or one after the 30 days ran out, is refused."""
    text = _required(reason=reason)
    with transaction.atomic():
        locked = _lock(request)
        if locked.status not in OPEN:
            raise ValidationError("This request is closed; it cannot be extended.")
        if locked.extended_on is not None:
            raise ValidationError(ONE_EXTENSION.format(due=locked.due_on))
        if today > locked.due_on:
            raise ValidationError(
                f"The 30 days ran out on {locked.due_on:%B %-d, %Y}. An extension must be "
                "given, with notice to the client, within them."
            )
        if client_told_on < locked.received_on or client_told_on > today:
            raise ValidationError(
                {
                    "client_told_on": "The day the client was told must fall between "
                    "receipt and today."
                }
            )
        locked.extended_on = today
        locked.extension_reason = text["reason"]
        locked.client_told_on = client_told_on
        locked.status = "extended"
        locked.due_on = clock.due_on(locked.received_on, extended=True)
        locked.save()
        _record(user, locked, f"rights.{_kind(locked)}.extend")
    return locked


def _kind(request: ClockedRequest) -> str:
    return "access" if isinstance(request, AccessRequest) else "correction"


def _close(locked: Any, user: Any, status: str, today: dt.date) -> None:
    if locked.status not in OPEN:
        raise ValidationError(f"This request is already {locked.get_status_display().lower()}.")
    locked.status = status
    locked.closed_on = today
    locked.closed_by = user


def fulfil(*, user: Any, request: AccessRequest, today: dt.date) -> AccessRequest:
    """Mark the access request fulfilled (the export, less any severed items, was given)."""
    with transaction.atomic():
        locked = _lock(request)
        _close(locked, user, AccessRequest.Status.FULFILLED, today)
        locked.save()
        _record(user, locked, "rights.access.fulfil", severed=locked.severed.count())
    return locked


def refuse_access(
    *, user: Any, request: AccessRequest, ground: str, reason: str, today: dt.date
) -> AccessRequest:
    """Refuse the whole request under one exception of s.52(1) or s.54(6)."""
    if ground not in AccessException.values:
        raise ValidationError({"ground": "Choose the exception that applies."})
    return _refuse(user=user, request=request, ground=ground, reason=reason, today=today)


def sever(
    *,
    user: Any,
    request: AccessRequest,
    item_label: str,
    item_id: str,
    exception: str,
    explanation: str,
    now: dt.datetime,
) -> SeveredItem:
    """Withhold one row of the client's record from the export, under a narrow exception.

    The row must be part of this client's export; it is listed in the export's
    ``withheld`` section with its exception.
    """
    if exception not in [c.value for c in SEVERANCE_EXCEPTIONS]:
        raise ValidationError({"exception": "Choose one of the exceptions of s.52(1)."})
    text = _required(explanation=explanation)
    labels = {p.model.lower(): p for p in PARTS}
    part = labels.get(item_label)
    if part is None or not any(str(r.pk) == item_id for r in rows_for(part, request.client)):
        raise ValidationError({"item": "That item is not part of this client's record."})
    with transaction.atomic():
        locked = _lock(request)
        if locked.status not in OPEN:
            raise ValidationError("This request is closed; nothing more can be severed.")
        if SeveredItem.objects.filter(
            request=locked, item_label=item_label, item_id=item_id
        ).exists():
            raise ValidationError({"item": "That item is already withheld."})
        item = SeveredItem.objects.create(
            practice=locked.practice,
            request=locked,
            item_label=item_label,
            item_id=item_id,
            exception=exception,
            explanation=text["explanation"],
            recorded_by=user,
            recorded_at=now,
        )
        _record(
            user,
            locked,
            "rights.access.sever",
            item=item_label,
            item_id=item_id,
            exception=exception,
        )
    return item


def record_export(*, user: Any, request: AccessRequest, withheld: int) -> None:
    """Audit the download of a client's export (ids and counts only)."""
    with transaction.atomic():
        _record(user, request, "rights.access.export", withheld=withheld)


def correct_note(
    *,
    user: Any,
    request: CorrectionRequest,
    section: str,
    new_text: str,
    reason: str,
    now: dt.datetime,
) -> NoteCorrection:
    """Correct one section of the request's signed note with a struck-through version.

    The signed note is never changed: the correction keeps the text it strikes
    through, with its author, time and reason. The first correction closes the
    request as corrected; more sections may follow.
    """
    if section not in SECTIONS:
        raise ValidationError({"section": "Choose the section to correct."})
    text = _required(new_text=new_text, reason=reason)
    with transaction.atomic():
        locked = _lock(request)
        if locked.note_id is None:
            raise ValidationError("This request is not about a signed note.")
        if locked.status == CorrectionRequest.Status.REFUSED:
            raise ValidationError("This request was refused; it cannot be corrected now.")
        note = SessionNote.objects.get(pk=locked.note_id)
        previous = NoteCorrection.objects.filter(note=note, section=section).last()
        old = previous.new_text if previous is not None else getattr(note, section)
        correction = NoteCorrection.objects.create(
            practice=locked.practice,
            request=locked,
            note=note,
            section=section,
            old_text=old,
            new_text=text["new_text"],
            reason=text["reason"],
            author=user,
            created_at=now,
        )
        if locked.status in OPEN:
            _close(locked, user, CorrectionRequest.Status.CORRECTED, now.date())
            locked.save()
        _record(user, locked, "rights.correction.correct", note=note.pk, section=section)
    return correction


def refuse_correction(
    *, user: Any, request: CorrectionRequest, ground: str, reason: str, today: dt.date
) -> CorrectionRequest:
    """Refuse the correction with its ground and reasons; the client may then attach a
    statement of disagreement (s.55(11))."""
    if ground not in CorrectionRefusal.values:
        raise ValidationError({"ground": "Choose the ground for refusing."})
    return _refuse(user=user, request=request, ground=ground, reason=reason, today=today)


def _refuse(*, user: Any, request: Any, ground: str, reason: str, today: dt.date) -> Any:
    """Close an access or correction request as refused, with its checked ground and the
    reasons given to the client."""
    text = _required(reason=reason)
    with transaction.atomic():
        locked = _lock(request)
        _close(locked, user, "refused", today)
        locked.refusal_ground = ground
        locked.refusal_reason = text["reason"]
        locked.save()
        _record(user, locked, f"rights.{_kind(locked)}.refuse", ground=ground)
    return locked


def attach_statement(
    *,
    user: Any,
    request: CorrectionRequest,
    statement: str,
    received_on: dt.date,
    today: dt.date,
) -> CorrectionRequest:
    """Store the client's statement of disagreement with the refused correction."""
    text = _required(statement=statement)
    _check_received(received_on, today)
    with transaction.atomic():
        locked = _lock(request)
        if locked.status != CorrectionRequest.Status.REFUSED:
            raise ValidationError(
                "A statement of disagreement follows a refused correction; this one is not refused."
            )
        if locked.statement:
            raise ValidationError("A statement of disagreement is already attached.")
        locked.statement = text["statement"]
        locked.statement_received_on = received_on
        locked.save()
        _record(user, locked, "rights.correction.statement")
    return locked
