"""The session note page: draft, sign, then addenda, with the signed note's corrections
(plusone.rights) beside it; so it sits above both notes and rights. Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plusone import audit
from plusone.clinical.models import Session
from plusone.lockbox.queries import WITHHELD_MARKER
from plusone.notes import actions, queries
from plusone.notes.forms import AddendumForm, NoteForm
from plusone.notes.models import SECTIONS
from plusone.rights.queries import note_rights
from plusone.web.routes import Policy, route


@route(Policy.STAFF_ANY, examples={"session_id": "session"}, methods=("GET", "POST"))
def note(request: HttpRequest, session_id: str) -> HttpResponse:
    """Show the session's note; the therapist saves the draft or signs it."""
    write = request.method == "POST"
    session = queries.access_note_session(request.user, session_id, write=write)
    can_write = session.episode.client.therapist_id == request.user.pk
    state, withheld = queries.readable_note_state(request.user, session)
    form, conflict = _draft_form(state), None
    if write:
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                failed = _save_or_sign(request, session, form)
            except actions.NoteConflict as exc:
                conflict = exc.current
                form.add_error(None, actions.CONFLICT_MESSAGE)
            except actions.NoteAlreadySigned:
                messages.error(request, "This note is signed. Add an addendum instead.")
                return redirect("insights:note", session_id=session.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if failed is None:
                    return redirect("insights:note", session_id=session.pk)
                form = failed
    audit.record_view(request, session, action="view.note")
    context = {"session": session, "state": state, "form": form, "conflict": conflict}
    context.update(can_write=can_write, addendum_form=AddendumForm(), withheld=withheld)
    context["withheld_markers"] = (f"This session's note: {WITHHELD_MARKER}",)
    if state.signed is not None:
        # Struck-through corrections and statements of disagreement (PHIPA s.55) go with the note.
        context["note_view"] = note_rights(state.signed)
    return render(request, "notes/note.html", context)


def _draft_form(state: queries.NoteState) -> NoteForm:
    draft = state.draft
    initial = {"version": draft.version if draft else 0}
    if draft is not None:
        initial.update({name: getattr(draft, name) for name in SECTIONS})
    return NoteForm(initial=initial)


def _save_or_sign(request: HttpRequest, session: Session, form: NoteForm) -> NoteForm | None:
    """Save the draft, then sign it if asked. Returns a form to show again when signing
    was refused (the draft is saved, so the form carries its new version)."""
    draft = actions.save_draft(
        user=request.user,
        session=session,
        sections=form.sections(),
        base_version=form.cleaned_data["version"],
    )
    if request.POST.get("action") != "sign":
        messages.success(request, "Draft saved.")
        return None
    try:
        actions.sign_note(user=request.user, session=session, base_version=draft.version)
    except ValidationError as exc:
        data = request.POST.copy()
        data["version"] = str(draft.version)
        again = NoteForm(data)
        again.is_valid()
        again.add_error(None, exc)
        messages.info(request, "Draft saved, not signed.")
        return again
    messages.success(request, "Note signed. It can no longer change; add addenda below.")
    return None


@route(Policy.THERAPIST, examples={"session_id": "session"}, methods=("POST",))
def addendum(request: HttpRequest, session_id: str) -> HttpResponse:
    """Add an addendum (reason and text) to the session's signed note."""
    session = queries.access_note_session(request.user, session_id, write=True)
    state = queries.note_state(session)
    if state.signed is None:
        raise Http404
    form = AddendumForm(request.POST)
    if form.is_valid():
        actions.add_addendum(user=request.user, note=state.signed, **form.cleaned_data)
        messages.success(request, "Addendum added.")
    else:
        messages.error(request, "An addendum needs a reason and its text.")
    return redirect("insights:note", session_id=session.pk)
