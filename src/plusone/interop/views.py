"""The export pages: staff only, English. Parse, call, render (or download).

Every export is a POST: it writes a disclosure and an audit row, and no id but a
UUID reaches a URL.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plusone.interop import actions, queries
from plusone.interop.actions import Export, Format
from plusone.interop.forms import RecipientForm, RecordExportForm
from plusone.web.routes import Policy, route


def _download(out: Export) -> HttpResponse:
    response = HttpResponse(out.text, content_type=f"{out.content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{out.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _record_export(request: HttpRequest, subject: Any, run: Any, episode: Any) -> HttpResponse:
    form = RecordExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return _download(run(fmt=form.fmt(), recipient=form.recipient()))
        except actions.Refused as refused:
            form.add_error(None, str(refused))
    return render(
        request,
        "interop/record_export.html",
        {"form": form, "subject": subject, "episode": episode},
    )


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def client_export(request: HttpRequest, client_id: Any) -> HttpResponse:
    """Export one client's scores (the treating therapist)."""
    client = queries.access_export_client(request.user, client_id)

    def run(**kw: Any) -> Export:
        return actions.export_client(user=request.user, client_id=client.pk, **kw)

    return _record_export(request, client, run, None)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("GET", "POST"))
def episode_export(request: HttpRequest, episode_id: Any) -> HttpResponse:
    """Export one episode's scores (the treating therapist)."""
    episode = queries.access_export_episode(request.user, episode_id)

    def run(**kw: Any) -> Export:
        return actions.export_episode(user=request.user, episode_id=episode.pk, **kw)

    return _record_export(request, episode.client, run, episode)


@route(Policy.STAFF_ANY)
def home(request: HttpRequest) -> HttpResponse:
    """The practice-wide exports the user may take; a therapist exports from a client."""
    kinds = queries.practice_exports(request.user)
    return render(
        request,
        "interop/home.html",
        {"kinds": kinds, "form": RecipientForm() if "csv" in kinds else None},
    )


@route(Policy.PRIVACY_OFFICER, methods=("POST",))
def practice_scores(request: HttpRequest) -> HttpResponse:
    """The practice's scores CSV: a disclosure per client, so the privacy officer's."""
    form = RecipientForm(request.POST)
    if form.is_valid():
        try:
            return _download(
                actions.export_practice(
                    user=request.user, fmt=Format.CSV, recipient=form.recipient()
                )
            )
        except actions.Refused as refused:
            form.add_error(None, str(refused))
    kinds = queries.practice_exports(request.user)
    return render(request, "interop/home.html", {"kinds": kinds, "form": form}, status=400)


@route(Policy.ADMIN, methods=("POST",))
def research(request: HttpRequest) -> HttpResponse:
    """The de-identified research CSV (the practice admin)."""
    return _download(actions.export_practice(user=request.user, fmt=Format.RESEARCH))
