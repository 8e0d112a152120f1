"""Notes and corrections (issue 13): the client annotates or disputes any point (an
administration's score) or decision. A note is kept on the record and shown to the
therapist; a dispute also opens a correction request (PHIPA s.55) whose clock starts that
day. The client sees the status of each request and, when a correction is refused, attaches
a statement of disagreement (s.55(11))."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from plusone.clinical.models import RecordAnnotation
from plusone.portal import record
from plusone.portal.auth import portal_route
from plusone.portal.record_forms import DisputeForm, NoteForm, StatementForm, apply
from plusone.rights.models import CorrectionRequest


def _point_row(person, administration, notes):  # type: ignore[no-untyped-def]
    released = record.point_released(person, administration)
    return {
        "administration": administration,
        "title": record.point_title(administration),
        "total": _number(administration.total) if released else None,
        "released": released,
        "notes": notes.get(str(administration.pk), []),
    }


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


@portal_route()
def record_home(request: HttpRequest) -> HttpResponse:
    """The client's points and requests: each point links to its note and dispute forms."""
    person = request.portal_client  # type: ignore[attr-defined]
    points = record.client_points(person)
    notes = record.annotations_on(
        person, RecordAnnotation.Target.ADMINISTRATION, [a.pk for a in points]
    )
    rows = [_point_row(person, a, notes) for a in points]
    return render(
        request,
        "portal/record.html",
        {
            "points": rows,
            "held": any(not row["released"] for row in rows),
            "requests": [_request_row(r) for r in record.client_requests(person)],
        },
    )


def _request_row(found: CorrectionRequest) -> dict:
    return {
        "request": found,
        "status": record.CORRECTION_STATUS.get(found.status, ""),  # type: ignore[call-overload]
        "refused": found.status == CorrectionRequest.Status.REFUSED,
        "open": found.status in ("open", "extended"),
    }


@portal_route(examples={"administration_id": "administration"}, methods=("GET", "POST"))
def point(request: HttpRequest, administration_id: uuid.UUID) -> HttpResponse:
    """One point: add a note (POST action=note) or dispute it (action=dispute)."""
    person = request.portal_client  # type: ignore[attr-defined]
    found = record.point_of(person, administration_id)
    chosen = request.POST.get("action", "") if request.method == "POST" else ""
    page = {
        "note": NoteForm(request.POST if chosen == "note" else None, prefix="note"),
        "dispute": DisputeForm(request.POST if chosen == "dispute" else None, prefix="dispute"),
    }
    target = RecordAnnotation.Target.ADMINISTRATION
    if chosen == "note":
        if apply(
            page["note"],
            lambda text: record.annotate(person, found.episode, target, found.pk, text),
        ):
            messages.success(request, _("Your note is kept with this result."))
            return redirect("portal:record_point", administration_id=found.pk)
    elif chosen == "dispute":
        if apply(
            page["dispute"],
            lambda text: record.dispute(person, found.episode, target, found.pk, text),
        ):
            messages.success(request, _("Your request for a correction is sent."))
            return redirect("portal:record")
    elif request.method == "POST":
        return redirect("portal:record_point", administration_id=found.pk)
    notes = record.annotations_on(person, target, [found.pk])
    return render(
        request,
        "portal/point.html",
        {**_point_row(person, found, notes), "forms": page, "chosen": chosen},
    )


@portal_route(examples={"request_id": "correction_request"}, methods=("GET", "POST"))
def correction(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """One correction request: its status and due date; after a refusal, the reasons given
    and the client's statement of disagreement (POST)."""
    person = request.portal_client  # type: ignore[attr-defined]
    found = record.request_of(person, request_id)
    can_state = found.status == CorrectionRequest.Status.REFUSED and not found.statement
    form = StatementForm(request.POST if request.method == "POST" and can_state else None)
    if request.method == "POST":
        if can_state and apply(form, lambda text: record.attach_statement(person, found, text)):
            messages.success(request, _("Your statement is attached to your record."))
        if not form.errors:
            return redirect("portal:record_request", request_id=found.pk)
    return render(
        request,
        "portal/correction.html",
        {**_request_row(found), "form": form if can_state else None},
    )
