"""Health endpoints and the signed-in landing page."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from plusone.accounts.queries import has_role
from plusone.web.routes import Policy, route


@route(Policy.PUBLIC)
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up. Says nothing else."""
    return JsonResponse({"status": "ok"})


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
    """A plain page for staff roles without a caseload (admin pages come later)."""
    from django.shortcuts import render

    return render(request, "web/signed_in.html")
