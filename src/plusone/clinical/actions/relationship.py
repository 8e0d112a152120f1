"""Ruptures and repairs logged by the therapist for a session."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plusone import audit
from plusone.clinical.models import (
    RuptureEvent,
    Session,
)

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
