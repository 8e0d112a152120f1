"""Health endpoints and the signed-in landing page."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone.accounts.queries import has_role
from plusone.web.routes import Policy, route


@route(Policy.PUBLIC)
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up. Says nothing else."""
    return JsonResponse({"status": "ok"})


@route(Policy.PUBLIC)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page says: the app's icon (SVG)."""
    icon = finders.find("plusone/favicon.svg")
    body = Path(str(icon)).read_bytes() if icon else b""
    response = HttpResponse(body, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@route(Policy.PUBLIC)
def readyz(request: HttpRequest) -> HttpResponse:
    """The database answers. 503 when it does not; no detail either way."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@route(Policy.STAFF_ANY)
def home(request: HttpRequest) -> HttpResponse:
    """Send staff to their main page: therapists to the caseload."""
    if has_role(request.user, "therapist"):  # type: ignore[arg-type]
        return redirect("clinical:caseload")
    return redirect("web:signed_in")


@route(Policy.STAFF_ANY)
def signed_in(request: HttpRequest) -> HttpResponse:
    """The home of staff without a caseload: each role's tools, and what is due.

    The privacy officer's reminders (access and correction requests near or past
    their 30-day clock, clients still to be told of a breach, records whose
    retention has ended) lead the page, so nothing waits unseen.
    """
    from plusone.privacy.reminders import office_reminders

    user = request.user
    context = {
        "is_admin": has_role(user, "admin"),  # type: ignore[arg-type]
        "is_officer": has_role(user, "privacy_officer"),  # type: ignore[arg-type]
        "is_supervisor": has_role(user, "supervisor"),  # type: ignore[arg-type]
        "is_therapist": has_role(user, "therapist"),  # type: ignore[arg-type]
    }
    if context["is_officer"]:
        context["reminders"] = office_reminders(user, today=timezone.localdate())
    if context["is_supervisor"]:
        from plusone.clinical.queries import visible_clients

        # Clients who consented to this supervisor, each with their latest episode.
        supervised = (
            visible_clients(user)
            .exclude(therapist=user)
            .prefetch_related("episodes")
            .order_by("family_name", "given_name")
        )
        context["supervised"] = [
            (c, max(c.episodes.all(), key=lambda e: e.opened_on, default=None)) for c in supervised
        ]
    return render(request, "web/signed_in.html", context)
