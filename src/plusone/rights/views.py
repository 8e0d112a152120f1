"""The privacy officer's pages for access and correction requests. Parse, call, render.

A request page takes each action as a POST with ``action`` naming it; a form
that fails comes back with its messages and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone import audit
from plusone.clinical.queries import access_client
from plusone.rights import actions, export, forms, queries
from plusone.rights.models import AccessRequest
from plusone.web.routes import Policy, route


def _apply(form: django_forms.Form, call: Callable[[], Any]) -> bool:
    """Run ``call`` for a valid form; put a refusal's messages on the form. True when done."""
    if not form.is_valid():
        return False
    try:
        call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
        return False
    return True


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def requests(request: HttpRequest) -> HttpResponse:
    """Every access and correction request of the practice, open ones by due date
    (overdue first); POST records a new access request."""
    today = timezone.localdate()
    form = forms.AccessRequestForm(request.POST or None, user=request.user)
    if request.method == "POST":
        data: dict[str, Any] = {}

        def call() -> None:
            data["made"] = actions.record_access_request(
                user=request.user,
                client=form.cleaned_data["client"],
                received_on=form.cleaned_data["received_on"],
                how_received=form.cleaned_data["how_received"],
                asked_for=form.cleaned_data["asked_for"],
                today=today,
            )

        if _apply(form, call):
            messages.success(request, "Access request recorded. Its 30-day clock has started.")
            return redirect("rights:access", request_id=data["made"].pk)
    open_rows, closed = queries.officer_requests(request.user, today)
    context = {
        "form": form,
        "open_rows": open_rows,
        "closed": closed,
        "overdue": sum(1 for r in open_rows if r.overdue),
        "due_soon": sum(1 for r in open_rows if r.urgency == "due soon"),
        "today": today,
    }
    return render(request, "rights/requests.html", context)


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def correction_new(request: HttpRequest) -> HttpResponse:
    """Record a client's request to correct their record."""
    form = forms.CorrectionRequestForm(request.POST or None, user=request.user)
    if request.method == "POST":
        data: dict[str, Any] = {}

        def call() -> None:
            data["made"] = actions.record_correction_request(
                user=request.user,
                client=form.cleaned_data["client"],
                note=form.cleaned_data["note"],
                received_on=form.cleaned_data["received_on"],
                how_received=form.cleaned_data["how_received"],
                asked=form.cleaned_data["asked"],
                today=timezone.localdate(),
            )

        if _apply(form, call):
            messages.success(request, "Correction request recorded. Its 30-day clock has started.")
            return redirect("rights:correction", correction_id=data["made"].pk)
    return render(request, "rights/correction_new.html", {"form": form})


@route(Policy.PRIVACY_OFFICER, examples={"request_id": "access_request"}, methods=("GET", "POST"))
def access(request: HttpRequest, request_id: str) -> HttpResponse:
    """One access request: its clock, severed items and the actions that answer it."""
    found = queries.access_request(request.user, request_id)
    today, post = timezone.localdate(), request.POST or None
    chosen = request.POST.get("action", "") if request.method == "POST" else ""
    items = export.severable_items(found.client)
    page = {
        "extend": forms.ExtendForm(post if chosen == "extend" else None, prefix="extend"),
        "refuse": forms.RefuseAccessForm(post if chosen == "refuse" else None, prefix="refuse"),
        "sever": forms.SeverForm(post if chosen == "sever" else None, items=items, prefix="sever"),
    }
    calls: dict[str, Callable[[], Any]] = {
        "extend": lambda: actions.extend(
            user=request.user, request=found, today=today, **page["extend"].cleaned_data
        ),
        "refuse": lambda: actions.refuse_access(
            user=request.user, request=found, today=today, **page["refuse"].cleaned_data
        ),
        "sever": lambda: actions.sever(
            user=request.user,
            request=found,
            item_label=page["sever"].item_parts()[0],  # type: ignore[attr-defined]
            item_id=page["sever"].item_parts()[1],  # type: ignore[attr-defined]
            exception=page["sever"].cleaned_data["exception"],
            explanation=page["sever"].cleaned_data["explanation"],
            now=timezone.now(),
        ),
    }
    error = ""
    if request.method == "POST":
        if chosen == "fulfil":
            try:
                actions.fulfil(user=request.user, request=found, today=today)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, "Marked fulfilled.")
                return redirect("rights:access", request_id=found.pk)
        elif chosen in calls:
            if _apply(page[chosen], calls[chosen]):
                messages.success(request, "Saved.")
                return redirect("rights:access", request_id=found.pk)
        else:
            error = "Choose what to do: extend, sever an item, fulfil or refuse."
    audit.record_view(request, found.client, action="view.access_request")
    context = {
        "req": found,
        "urgency": queries.clock.urgency(found.due_on, today),
        "severed": list(found.severed.all()),
        "error": error,
        "problems": [e for form in page.values() if form.is_bound for e in form.non_field_errors()],
        "is_open": found.status in queries.OPEN,
        **{f"{name}_form": form for name, form in page.items()},
    }
    return render(request, "rights/access.html", context, status=400 if error else 200)


@route(Policy.PRIVACY_OFFICER, examples={"request_id": "access_request"}, methods=("POST",))
def access_export(request: HttpRequest, request_id: str) -> HttpResponse:
    """Download everything held about the client as JSON; the download is audited."""
    found: AccessRequest = queries.access_request(request.user, request_id)
    body = export.build_export(found, generated_at=timezone.now())
    actions.record_export(user=request.user, request=found, withheld=len(body["withheld"]))
    response = HttpResponse(
        json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json"
    )
    # The request's UUID names the file: never the client's name (PHI stays out of headers).
    response["Content-Disposition"] = f'attachment; filename="access-{found.pk}.json"'
    # Never cached: web.nostore marks every response no-store.
    return response


@route(
    Policy.PRIVACY_OFFICER,
    examples={"correction_id": "correction_request"},
    methods=("GET", "POST"),
)
def correction(request: HttpRequest, correction_id: str) -> HttpResponse:
    """One correction request: its clock, the note it is about, and the answers to it."""
    found = queries.access_correction(request.user, correction_id)
    today, post = timezone.localdate(), request.POST or None
    chosen = request.POST.get("action", "") if request.method == "POST" else ""
    page = {
        "extend": forms.ExtendForm(post if chosen == "extend" else None, prefix="extend"),
        "correct": forms.CorrectNoteForm(post if chosen == "correct" else None, prefix="correct"),
        "refuse": forms.RefuseCorrectionForm(post if chosen == "refuse" else None, prefix="refuse"),
        "statement": forms.StatementForm(
            post if chosen == "statement" else None, prefix="statement"
        ),
    }
    calls: dict[str, Callable[[], Any]] = {
        "extend": lambda: actions.extend(
            user=request.user, request=found, today=today, **page["extend"].cleaned_data
        ),
        "correct": lambda: actions.correct_note(
            user=request.user, request=found, now=timezone.now(), **page["correct"].cleaned_data
        ),
        "refuse": lambda: actions.refuse_correction(
            user=request.user, request=found, today=today, **page["refuse"].cleaned_data
        ),
        "statement": lambda: actions.attach_statement(
            user=request.user,
            request=found,
            today=today,
            statement=page["statement"].cleaned_data["statement"],
            received_on=page["statement"].cleaned_data["received_on"],
        ),
    }
    error = ""
    if request.method == "POST":
        if chosen in calls:
            if _apply(page[chosen], calls[chosen]):
                messages.success(request, "Saved.")
                return redirect("rights:correction", correction_id=found.pk)
        else:
            error = "Choose what to do: extend, correct, refuse or attach a statement."
    audit.record_view(request, found.client, action="view.correction_request")
    note_view = queries.note_rights(found.note) if found.note is not None else None
    context = {
        "req": found,
        "urgency": queries.clock.urgency(found.due_on, today),
        "note_view": note_view,
        "error": error,
        "problems": [e for form in page.values() if form.is_bound for e in form.non_field_errors()],
        "is_open": found.status in queries.OPEN,
        **{f"{name}_form": form for name, form in page.items()},
    }
    return render(request, "rights/correction.html", context, status=400 if error else 200)


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def client_request(request: HttpRequest, client_id: str) -> HttpResponse:
    """The treating therapist records an access or correction request their client made;
    the privacy officer answers it, and its clock shows on the therapist's caseload."""
    person = access_client(request.user, client_id, write=True)
    form = forms.TherapistRequestForm(request.POST or None, client=person)
    if request.method == "POST":

        def call() -> None:
            data, today = form.cleaned_data, timezone.localdate()
            common = {"user": request.user, "client": person, "today": today}
            common.update(received_on=data["received_on"], how_received=data["how_received"])
            if data["kind"] == "access":
                actions.record_access_request(asked_for=data["asked"], **common)
            else:
                actions.record_correction_request(note=data["note"], asked=data["asked"], **common)

        if _apply(form, call):
            messages.success(
                request, "Request recorded. The privacy officer answers it within 30 days."
            )
            return redirect("insights:caseload")
    return render(request, "rights/client_request.html", {"form": form, "person": person})
