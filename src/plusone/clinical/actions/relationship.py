"""Ruptures and repairs logged by the therapist for a session."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plusone import audit
from plusone.clinical.actions.summary import update_summary
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
    """Log a rupture, or a repair; audit it, and leave the summary to be re-judged.

    A repair may name the logged rupture it repairs, of the same episode, or none:
    it then repairs the possible rupture the rule engine signalled (a low
    reflection, the congruence gap). Either way it resolves the rupture signals
    of the sessions up to it (DESIGN.md). Raises ValidationError when a repair
    names what is not a rupture of this episode.
    """
    if kind == RuptureEvent.Kind.REPAIR:
        if repairs is not None and repairs.episode_id != session.episode_id:
            raise ValidationError("Choose the rupture this repairs.")
        if repairs is not None and repairs.kind != RuptureEvent.Kind.RUPTURE:
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
        # judged_on None: the caseload re-judges the possible rupture with this event in it.
        update_summary(session.episode, judged_on=None)
    return event
