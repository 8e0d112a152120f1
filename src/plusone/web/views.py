"""Health endpoints and the favicon."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

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
