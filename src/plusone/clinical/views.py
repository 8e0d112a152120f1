"""Therapist pages: intake, flag acknowledgement, the safety plan and the session list.
Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from plusone import audit
from plusone.accounts.queries import staff_practice
from plusone.clinical import actions, queries
from plusone.clinical.forms import (
    AcknowledgeFlagForm,
    ContactForm,
    IntakeForm,
    MoveSessionForm,
    SafetyPlanForm,
    SessionForm,
    SessionMarkForm,
)
from plusone.clinical.models import (
    Client,
    SafetyPlan,
    Session,
)
from plusone.web.routes import Policy, route


@route(Policy.THERAPIST, methods=("GET", "POST"))
def intake(request: HttpRequest) -> HttpResponse:
    """A new client and their first episode."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.intake_client(
                therapist=request.user,
                practice=staff_practice(request.user),  # type: ignore[arg-type]
                data=form.intake_data(),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Client added.")
            return redirect("insights:caseload")
    return render(request, "clinical/intake.html", {"form": form})


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("POST",))
def client_contact(request: HttpRequest, client_id: str) -> HttpResponse:
    """Record the practice's own id for the client and their mobile number, then go back to
    the journey."""
    person = queries.access_client(request.user, client_id, write=True)
    episode = person.episodes.order_by("-opened_on").first()
    back = (
        redirect("insights:journey", episode_id=episode.pk)
        if episode is not None
        else redirect("insights:caseload")
    )
    form = ContactForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        actions.set_contact(
            user=request.user,
            client=person,
            practice_ref=form.cleaned_data["practice_ref"],
            phone=form.cleaned_data["phone"],
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return back
    messages.success(request, "Practice id and mobile number saved.")
    return back


@route(Policy.THERAPIST, examples={"flag_id": "flag"}, methods=("POST",))
def acknowledge_flag(request: HttpRequest, flag_id: str) -> HttpResponse:
    """Close a flag with an action note, then go back to the page the form was on (the
    caseload, the card, the journey or the covered-flags page)."""
    flag = queries.access_flag(request.user, flag_id, write=True)
    # Without a safe "next": a cover goes to the covered-flags page; a therapist to the caseload.
    own = flag.client.therapist_id == request.user.pk
    back = _next_or(request, "insights:caseload" if own else "clinical:covering")
    form = AcknowledgeFlagForm(request.POST)
    if form.is_valid():
        try:
            actions.acknowledge_flag(
                user=request.user, flag=flag, note=form.cleaned_data["action_note"]
            )
        except actions.FlagAlreadyAcknowledged:
            messages.info(request, "That flag was already acknowledged.")
        else:
            messages.success(request, "Flag acknowledged.")
        return HttpResponseRedirect(back)
    messages.error(request, "Write an action note to acknowledge the flag.")
    return HttpResponseRedirect(back)


def _next_or(request: HttpRequest, default: str) -> str:
    """The form's "next" when it is a path on this site; else the URL named ``default``.

    Only an absolute path counts: anything else given to ``redirect`` would be taken
    for a view name (a 500 the fuzz found) or a page relative to this one.
    """
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else reverse(default)


# Safety plan -----------------------------------------------------------------------------


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def safety_plan(request: HttpRequest, client_id: str) -> HttpResponse:
    """Edit the client's safety plan; saving over a colleague's newer version is a conflict."""
    person = queries.access_client(request.user, client_id, write=True)
    stored = SafetyPlan.objects.filter(client=person).first()
    conflict = None
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            try:
                actions.update_safety_plan(
                    user=request.user,
                    client=person,
                    text=form.cleaned_data["text"].strip(),
                    base_version=form.cleaned_data["version"],
                )
            except actions.EditConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Safety plan saved.")
                return redirect("clinical:safety_plan", client_id=person.pk)
    else:
        initial = {
            "text": stored.text if stored else "",
            "version": stored.version if stored else 0,
        }
        form = SafetyPlanForm(initial=initial)
    audit.record_view(request, stored or person, action="view.safety_plan")
    context = {"person": person, "form": form, "conflict": conflict}
    return render(request, "clinical/safety_plan.html", context)


# Sessions --------------------------------------------------------------------------------


@route(Policy.STAFF_ANY, examples={"client_id": "client"}, methods=("GET", "POST"))
def sessions(request: HttpRequest, client_id: str) -> HttpResponse:
    """The client's sessions, to come and past; the therapist adds one here."""
    write = request.method == "POST"
    person = queries.access_client(request.user, client_id, write=write)
    form = SessionForm(request.POST if write else None)
    if write and form.is_valid():
        try:
            actions.add_session(
                user=request.user,
                client=person,
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                kind=form.cleaned_data["kind"],
                attended=form.cleaned_data["attended"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Session added.")
            return redirect("clinical:sessions", client_id=person.pk)
    return _sessions_page(request, person, form)


def _sessions_page(request: HttpRequest, person: Client, form: SessionForm) -> HttpResponse:
    audit.record_view(request, person, action="view.sessions")
    now = timezone.now()
    rows = queries.client_sessions(person)
    context = {
        "person": person,
        "form": form,
        "can_write": person.therapist_id == request.user.pk,
        "upcoming": [s for s in rows if s.starts_at > now and s.status == Session.Status.SCHEDULED],
        "past": [
            s for s in reversed(rows) if s.starts_at <= now or s.status != Session.Status.SCHEDULED
        ],
        "now": now,
        "notes_enabled": person.practice.notes_enabled,
    }
    return render(request, "clinical/sessions.html", context)


def _own_session(request: HttpRequest, client_id: str, session_id: str) -> Session:
    """The therapist's session, reached through its own client's URL; else 404."""
    person = queries.access_client(request.user, client_id, write=True)
    session = queries.access_session(request.user, session_id, write=True)
    if session.episode.client_id != person.pk:
        raise Http404
    return session


@route(
    Policy.THERAPIST,
    examples={"client_id": "client", "session_id": "session"},
    methods=("GET", "POST"),
)
def session_move(request: HttpRequest, client_id: str, session_id: str) -> HttpResponse:
    """Move a scheduled session to another time."""
    session = _own_session(request, client_id, session_id)
    conflict = None
    if request.method == "POST":
        form = MoveSessionForm(request.POST)
        if form.is_valid():
            try:
                actions.move_session(
                    user=request.user,
                    session=session,
                    starts_at=form.starts_at(),
                    duration_minutes=form.cleaned_data["duration_minutes"],
                    base_version=form.cleaned_data["version"],
                )
            except actions.SessionConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Session moved.")
                return redirect("clinical:sessions", client_id=client_id)
    else:
        at = timezone.localtime(session.starts_at)
        initial = {
            "date": at.date(),
            "time": at.time(),
            "duration_minutes": session.duration_minutes,
            "version": session.version,
        }
        form = MoveSessionForm(initial=initial)
    audit.record_view(request, session, action="view.session_move")
    context = {"session": session, "person": session.episode.client, "form": form}
    context["conflict"] = conflict
    return render(request, "clinical/session_move.html", context)


MARKED = {
    "cancelled": "Session cancelled.",
    "attended": "Marked attended.",
    "no_show": "Marked no-show.",
    "late_cancel": "Marked late cancel.",
}


@route(
    Policy.THERAPIST,
    examples={"client_id": "client", "session_id": "session"},
    methods=("POST",),
)
def session_mark(request: HttpRequest, client_id: str, session_id: str) -> HttpResponse:
    """Cancel a session, or mark it attended, no-show or late cancel."""
    session = _own_session(request, client_id, session_id)
    form = SessionMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page is out of date. Look at the session again.")
        return redirect("clinical:sessions", client_id=client_id)
    mark, version = form.cleaned_data["mark"], form.cleaned_data["version"]
    try:
        if mark == "cancelled":
            actions.cancel_session(user=request.user, session=session, base_version=version)
        else:
            actions.mark_attendance(
                user=request.user, session=session, status=mark, base_version=version
            )
    except actions.SessionConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, MARKED[mark])
    return redirect("clinical:sessions", client_id=client_id)
