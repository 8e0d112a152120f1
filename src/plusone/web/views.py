"""Health endpoints and the favicon."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader

from plusone.web.requestid import request_id_of
from plusone.web.routes import Policy, route

# Once every migration this code knows is applied, it stays so for the process's life.
_migrated = False


def migrations_applied() -> bool:
    """No migration of this code is unapplied (checked until true, then remembered)."""
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrated


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
    """Ready to serve: the database answers and no migration is unapplied. 503 with the
    reason ("database" or "migrations") otherwise; never a count, a name or a record."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        migrated = migrations_applied()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "reason": "database"}, status=503)
    if not migrated:
        return JsonResponse({"status": "unavailable", "reason": "migrations"}, status=503)
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the error page with the request id, so a report finds its log line.

    Rendered without the request's context processors: they may need what just failed.
    Not in the route registry: Django calls it for an error, no URL leads to it.
    """
    page = loader.get_template("500.html").render({"request_id": request_id_of(request)})
    return HttpResponseServerError(page)
