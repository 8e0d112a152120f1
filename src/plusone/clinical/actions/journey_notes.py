"""The client's own record on their journey (issue 13): release timing, moments that
matter, and what they want to bring to the next session.

Each write runs in one transaction and records its audit event (ids and action names
only, never the client's words).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from plusone import audit
from plusone.clinical.models import (
    BringNote,
    Client,
    Episode,
    Moment,
    ReleaseTiming,
    Session,
)

MOMENT_MAX_CHARS = 500
BRING_MAX_CHARS = 2000


def client_actor(client: Client) -> Any:
    """Who the audit trail names for a write the client makes in the portal: their portal
    user when they have one, else the client's id as a token holder's."""
    return client.portal_user if client.portal_user_id else f"token:{client.pk}"


def set_release_timing(*, client: Client, timing: str) -> Client:
    """The client chooses when their scores show in the portal; audited."""
    if timing not in ReleaseTiming.values:
        raise ValidationError(gettext("Choose when you want to see your results."))
    with transaction.atomic():
        Client.objects.filter(pk=client.pk).update(release_timing=timing)
        client.release_timing = timing
        audit.record(
            practice=client.practice,
            actor=client_actor(client),
            action="portal.release_timing",
            target_type="clinical.client",
            target_id=client.pk,
            detail={"timing": timing},
        )
    return client


def _moment_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError(gettext("Write the moment in your own words."))
    if len(text) > MOMENT_MAX_CHARS:
        raise ValidationError(
            gettext("Keep it to %(n)d characters or fewer.") % {"n": MOMENT_MAX_CHARS}
        )
    return text


def add_moment(
    *,
    episode: Episode,
    text: str,
    happened_on: dt.date,
    today: dt.date,
    therapist: Any = None,
) -> Moment:
    """Mark a moment that matters in the client's words: by the client in the portal
    (``therapist`` None) or by the therapist with the client in session. Never scored."""
    text = _moment_text(text)
    if happened_on > today:
        raise ValidationError(gettext("A moment that matters has already happened."))
    by = Moment.By.CLIENT if therapist is None else Moment.By.THERAPIST_WITH_CLIENT
    with transaction.atomic():
        moment = Moment(
            practice_id=episode.practice_id,
            episode=episode,
            text=text,
            happened_on=happened_on,
            recorded_by_kind=by,
            recorded_by=therapist,
        )
        moment.save(force_insert=True)
        audit.record(
            practice=episode.practice,
            actor=therapist if therapist is not None else client_actor(episode.client),
            action="moment.add",
            target_type="clinical.moment",
            target_id=moment.pk,
            detail={"episode": episode.pk, "with_client": therapist is not None},
        )
    return moment


def remove_moment(*, client: Client, moment: Moment) -> None:
    """The client removes one of their moments from both journeys; audited. The caller
    has checked that the moment is the client's."""
    if moment.episode.client_id != client.pk:
        raise ValidationError("not this client's moment")
    with transaction.atomic():
        Moment.objects.filter(pk=moment.pk, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
        audit.record(
            practice=client.practice,
            actor=client_actor(client),
            action="moment.remove",
            target_type="clinical.moment",
            target_id=moment.pk,
            detail={"episode": moment.episode_id},
        )


def set_bring_note(*, client: Client, session: Session, text: str) -> BringNote | None:
    """What I want to bring today: write, rewrite or clear (blank) the client's note for one
    scheduled session; audited. Returns the note, or None once cleared."""
    text = text.strip()
    if len(text) > BRING_MAX_CHARS:
        raise ValidationError(
            gettext("Keep it to %(n)d characters or fewer.") % {"n": BRING_MAX_CHARS}
        )
    if session.episode.client_id != client.pk or session.status != Session.Status.SCHEDULED:
        raise ValidationError("not this client's scheduled session")
    with transaction.atomic():
        note = BringNote.objects.select_for_update().filter(session=session).first()
        if not text:
            if note is not None:
                note.delete()
            action, note = "bring_note.clear", None
        elif note is None:
            note = BringNote(
                practice_id=session.practice_id,
                episode_id=session.episode_id,
                session=session,
                text=text,
            )
            note.save(force_insert=True)
            action = "bring_note.write"
        else:
            note.text = text
            note.save(update_fields=["text", "updated_at"])
            action = "bring_note.write"
        audit.record(
            practice=client.practice,
            actor=client_actor(client),
            action=action,
            target_type="clinical.session",
            target_id=session.pk,
            detail={"episode": session.episode_id},
        )
    return note
