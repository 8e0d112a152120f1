"""The import pages: upload, map the columns, dry run, then import. Parse, call, render.

Nothing uploaded is kept between requests: a dry run reports, and the import itself
reads the file again, so no clinical data waits on the server half-imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plusone.imports import forms, scores
from plusone.imports.reading import ImportRefused
from plusone.imports.schedule import DEFAULT_MAPPINGS, import_schedule
from plusone.web.routes import Policy, route


@route(Policy.THERAPIST)
def home(request: HttpRequest) -> HttpResponse:
    """The two imports, one link each."""
    return render(request, "imports/home.html")


@route(Policy.THERAPIST, methods=("GET", "POST"))
def scores_import(request: HttpRequest) -> HttpResponse:
    """Past scores from CSV: all rows checked; all stored or none."""
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = _run(request, form, scores.import_scores)
    counts = report and [
        ("Rows read", report.rows),
        ("New administrations", report.new),
        ("Already imported", report.already),
        ("Stored", report.stored),
        ("Historical flags opened", report.flags),
    ]
    context = {"form": form, "report": report, "counts": counts}
    return render(request, "imports/scores.html", context)


@route(Policy.THERAPIST, methods=("GET", "POST"))
def schedule_import(request: HttpRequest) -> HttpResponse:
    """Appointments from Jane App, Owl Practice or an iCalendar file: idempotent."""
    form = forms.ScheduleForm(request.POST or None, request.FILES or None)
    report = _run(request, form, import_schedule, "source")
    counts = report and [
        ("Appointments read", report.rows),
        ("New sessions", report.new),
        ("Sessions updated", report.updated),
        ("Unchanged", report.unchanged),
    ]
    context = {"form": form, "report": report, "counts": counts, "defaults": DEFAULT_MAPPINGS}
    return render(request, "imports/schedule.html", context)


def _run(
    request: HttpRequest, form: forms.ImportForm, action: Callable[..., Any], *also: str
) -> Any:
    """The report of ``action`` on the uploaded file (with the form's ``also`` fields too), or
    None when nothing was posted or the form is not valid; a file refused as a whole is the
    file field's error."""
    if request.method != "POST" or not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return action(
            user=request.user,
            raw=data["file"],
            encoding=data["encoding"],
            mapping=data["mapping"],
            dry_run=data["dry_run"],
            **{name: data[name] for name in also},
        )
    except ImportRefused as exc:
        form.add_error("file", str(exc))
        return None
