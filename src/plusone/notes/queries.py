"""Reads of session notes. Access follows the client's record (plusone.clinical.queries):
"not yours", "not there" and "notes turned off" all answer Http404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from plusone.accounts.models import Practice
from plusone.clinical.models import Session
from plusone.clinical.queries import access_session
from plusone.lockbox.queries import withheld_from
from plusone.notes.models import Addendum, NoteDraft, SessionNote


def notes_enabled(practice: Practice) -> bool:
    """True unless the practice keeps its notes elsewhere; hide note links when False."""
    return bool(practice.notes_enabled)


def access_note_session(user: Any, session_id: Any, *, write: bool = False) -> Session:
    """The session, if ``user`` may read (or write) its note; Http404 also when the
    practice has turned notes off."""
    session = access_session(user, session_id, write=write)
    if not notes_enabled(session.episode.practice):
        raise Http404
    return session


@dataclass(frozen=True)
class NoteState:
    """What a session has: a signed note with its addenda, or a draft, or neither."""

    signed: SessionNote | None
    addenda: list[Addendum]
    draft: NoteDraft | None


def readable_note_state(user: Any, session: Session) -> tuple[NoteState, bool]:
    """The note as ``user`` may read it, and whether the client withheld it from them.

    A withheld note (a "note" directive on this session, or the whole record;
    plusone.lockbox) reads as empty and the page shows its marker instead.
    """

    if withheld_from(user, session.episode.client).hides("note", session.pk):
        return NoteState(None, [], None), True
    return note_state(session), False


def note_state(session: Session) -> NoteState:
    """The session's signed note (with addenda, oldest first) or its draft."""
    signed = (
        SessionNote.objects.select_related("author", "signed_by").filter(session=session).first()
    )
    if signed is not None:
        addenda = list(signed.addenda.select_related("author").order_by("created_at"))
        return NoteState(signed, addenda, None)
    draft = NoteDraft.objects.select_related("updated_by").filter(session=session).first()
    return NoteState(None, [], draft)
