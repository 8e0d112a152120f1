"""The client's own record (issue 13): their goals in their words, their notes on a point or
a decision, and their supervision consents.

``actor`` is whoever the audit names: the client's user, or "token:<client id>" for a
portal client without one (plusone.portal.record.portal_actor).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from plusone import audit
from plusone.clinical.models import Client, Consent, Episode, Goal, RecordAnnotation

MAX_GOALS = 3
# Long enough for a goal in a sentence or two; a goal is not a journal.
MAX_GOAL_CHARS = 300
MAX_ANNOTATION_CHARS = 2000


def _words(text: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(gettext("Write it in your own words first."), code="required")
    if len(text) > limit:
        raise ValidationError(
            gettext("Please keep it under %(limit)d characters.") % {"limit": limit},
            code="max_length",
        )
    return text


def current_goals(episode: Episode) -> dict[int, Goal]:
    """The current version of each active goal, by position."""
    out: dict[int, Goal] = {}
    for goal in Goal.objects.filter(episode=episode, active=True).order_by("position", "version"):
        out[goal.position] = goal
    return out


def write_goal(*, actor: Any, episode: Episode, position: int, text: str) -> Goal:
    """Write goal ``position`` (1-3) in the client's words: a new version of the goal there
    (same goal_id, version + 1; every version is kept, and a rating stays with the version
    it was given under), or a new goal where there is none. Audited."""
    text = _words(text, MAX_GOAL_CHARS)
    if position not in range(1, MAX_GOALS + 1):
        raise ValidationError(gettext("You can keep up to three goals."), code="invalid")
    with transaction.atomic():
        # Lock the episode so two rewrites of one goal cannot take the same version.
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        latest = (
            Goal.objects.filter(episode=episode, position=position, active=True)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.text == text:
            return latest
        goal = Goal(
            practice_id=episode.practice_id,
            episode=episode,
            position=position,
            text=text,
            goal_id=latest.goal_id if latest else Goal._meta.get_field("goal_id").get_default(),
            version=latest.version + 1 if latest else 1,
        )
        goal.save(force_insert=True)
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="goal.rewrite" if latest else "goal.add",
            target_type="clinical.goal",
            target_id=goal.pk,
            detail={"episode": episode.pk, "position": position, "version": goal.version},
        )
    return goal


def annotate(
    *,
    actor: Any,
    client: Client,
    episode: Episode,
    target: str,
    target_id: Any,
    text: str,
    correction_request_id: Any = None,
) -> RecordAnnotation:
    """Keep the client's note on a point or a decision (a dispute when it names the
    correction request it opened). Audited; the text never reaches the audit row."""
    text = _words(text, MAX_ANNOTATION_CHARS)
    if target not in RecordAnnotation.Target.values:
        raise ValidationError("Unknown annotation target.")
    if episode.client_id != client.pk:
        raise ValidationError("That episode is not this client's.")
    with transaction.atomic():
        note = RecordAnnotation(
            practice_id=client.practice_id,
            client=client,
            episode=episode,
            target=target,
            target_id=target_id,
            kind=(
                RecordAnnotation.Kind.DISPUTE
                if correction_request_id
                else RecordAnnotation.Kind.NOTE
            ),
            text=text,
            correction_request_id=correction_request_id,
        )
        note.save(force_insert=True)
        audit.record(
            practice=client.practice,
            actor=actor,
            action=f"annotation.{note.kind}",
            target_type="clinical.recordannotation",
            target_id=note.pk,
            detail={"episode": episode.pk, "target": target, "target_id": str(target_id)},
        )
    return note


def withdraw_supervision(*, actor: Any, client: Client, consent: Consent, now: dt.datetime) -> None:
    """The client withdraws their consent to supervision by one supervisor: from now the
    supervisor no longer reads the record (plusone.clinical.queries). Audited."""
    if consent.client_id != client.pk or consent.kind != Consent.Kind.SUPERVISION:
        raise ValidationError("That consent is not one of this client's supervision consents.")
    with transaction.atomic():
        changed = Consent.objects.filter(
            client=client,
            kind=Consent.Kind.SUPERVISION,
            supervisor_id=consent.supervisor_id,
            withdrawn_at__isnull=True,
        ).update(withdrawn_at=now)
        audit.record(
            practice=client.practice,
            actor=actor,
            action="consent.supervision.withdraw",
            target_type="clinical.consent",
            target_id=consent.pk,
            detail={"client": client.pk, "supervisor": consent.supervisor_id, "rows": changed},
        )
