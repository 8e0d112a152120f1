"""Writes to session notes. Each runs in one transaction and records its audit event last.

A draft is saved against the version the writer started from; a stale
version raises NoteConflict instead of overwriting a colleague's words.
Signing turns the draft into an immutable SessionNote; afterwards only
addenda (author, time, reason) can be added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import Session
from plusone.notes.models import (
    REQUIRED_SECTIONS,
    SECTION_LABELS,
    SECTIONS,
    Addendum,
    NoteDraft,
    SessionNote,
)

CONFLICT_MESSAGE = (
    "Someone saved this note while you were editing it. Your text is below; "
    "the latest saved version is shown beside it. Copy what you need, then save again."
)


class NoteConflict(Exception):
    """The draft changed since the writer loaded it (a stale version)."""

    def __init__(self, current: NoteDraft | None) -> None:
        super().__init__(CONFLICT_MESSAGE)
        self.current = current


class NoteAlreadySigned(Exception):
    """The session's note is signed: it cannot change; add an addendum instead."""


class NotesTurnedOff(Exception):
    """The practice keeps its notes elsewhere."""


def _guard(session: Session) -> None:
    if not session.episode.practice.notes_enabled:
        raise NotesTurnedOff
    if SessionNote.objects.filter(session=session).exists():
        raise NoteAlreadySigned


def save_draft(
    *, user: Any, session: Session, sections: Mapping[str, str], base_version: int
) -> NoteDraft:
    """Create or update the session's draft note; audit it.

    ``base_version`` is the draft version the writer loaded (0 for a new note).
    Raises NoteConflict when the draft has moved on (or was created meanwhile),
    NoteAlreadySigned once the note is signed, NotesTurnedOff when the practice
    has turned notes off.
    """
    with transaction.atomic():
        _guard(session)
        draft = NoteDraft.objects.select_for_update().filter(session=session).first()
        current_version = draft.version if draft is not None else 0
        if current_version != base_version:
            raise NoteConflict(draft)
        creating = draft is None
        if draft is None:
            draft = NoteDraft(
                practice_id=session.practice_id,
                episode_id=session.episode_id,
                session=session,
                author=user,
                updated_by=user,
                version=1,
            )
        else:
            draft.version += 1
            draft.updated_by = user
        for name in SECTIONS:
            setattr(draft, name, (sections.get(name) or "").strip())
        try:
            # A savepoint: two first saves at once collide on the one-draft-per-session key.
            with transaction.atomic():
                draft.save(force_insert=creating)
        except IntegrityError:
            raise NoteConflict(NoteDraft.objects.filter(session=session).first()) from None
        audit.record(
            practice=session.episode.practice,
            actor=user,
            action="note.save_draft",
            target_type="notes.notedraft",
            target_id=draft.pk,
            detail={"session": session.pk, "version": draft.version},
        )
    return draft


def sign_note(*, user: Any, session: Session, base_version: int) -> SessionNote:
    """Sign the session's draft as it was saved at ``base_version``: write the immutable
    SessionNote, delete the draft, audit it.

    Raises ValidationError naming each empty required section, NoteConflict when
    the draft moved on, NoteAlreadySigned when signed already.
    """
    with transaction.atomic():
        _guard(session)
        draft = NoteDraft.objects.select_for_update().filter(session=session).first()
        if draft is None and SessionNote.objects.filter(session=session).exists():
            # Someone signed it while we waited for the lock.
            raise NoteAlreadySigned
        if draft is None or draft.version != base_version:
            raise NoteConflict(draft)
        missing = [SECTION_LABELS[n] for n in REQUIRED_SECTIONS if not getattr(draft, n).strip()]
        if missing:
            raise ValidationError(
                f"Write every required section before signing: {', '.join(missing)}."
            )
        note = SessionNote(
            practice_id=draft.practice_id,
            episode_id=draft.episode_id,
            session=session,
            author=draft.author,
            signed_by=user,
            signed_at=timezone.now(),
            signed_version=draft.version,
            **{name: getattr(draft, name) for name in SECTIONS},
        )
        note.save()
        draft.delete()
        audit.record(
            practice=session.episode.practice,
            actor=user,
            action="note.sign",
            target_type="notes.sessionnote",
            target_id=note.pk,
            detail={"session": session.pk, "version": note.signed_version},
        )
    return note


def add_addendum(*, user: Any, note: SessionNote, reason: str, text: str) -> Addendum:
    """Add an addendum (author, time, reason, text) to a signed note; audit it."""
    reason, text = reason.strip(), text.strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why you are adding to a signed note."
    if not text:
        errors["text"] = "Write the addendum."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not note.episode.practice.notes_enabled:
            raise NotesTurnedOff
        addendum = Addendum(
            practice_id=note.practice_id,
            note=note,
            author=user,
            created_at=timezone.now(),
            reason=reason,
            text=text,
        )
        addendum.save()
        audit.record(
            practice=note.episode.practice,
            actor=user,
            action="note.addendum",
            target_type="notes.addendum",
            target_id=addendum.pk,
            detail={"note": note.pk, "session": note.session_id},
        )
    return addendum
