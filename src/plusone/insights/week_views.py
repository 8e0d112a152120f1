"""The therapist's week of sessions. Parse, call, render."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from plusone import audit
from plusone.accounts.queries import staff_practice
from plusone.insights import week as weeks
from plusone.web.routes import Policy, route


@route(Policy.STAFF_ANY, methods=("GET",))
def week(request: HttpRequest) -> HttpResponse:
    """Monday to Sunday of the therapist's own sessions; ``?week=YYYY-MM-DD`` picks the week
    holding that day (a malformed day shows this week)."""
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = today
    shown = weeks.week(request.user, day=day)
    audit.record_view(request, staff_practice(request.user), action="view.week")  # type: ignore[arg-type]
    context = {"week": shown, "today": today, "this_week": weeks.monday_of(today)}
    return render(request, "insights/week.html", context)
