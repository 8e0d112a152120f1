"""Break-glass for the admin and the privacy officer's tools. Parse, call, render.

Searches are POST so that nothing a privacy officer types reaches a URL or a log.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.accounts.queries import privacy_practices
from plusone.audit.models import AuditEvent
from plusone.privacy import actions, forms, queries
from plusone.web.routes import Policy, route

# Everything a recipient holding the audit key needs to recompute each event's MACs
# (plusone.audit.macs): its id, MAC format version and content MAC included.
EXPORT_FIELDS = (
    "id",
    "mac_version",
    "practice_id",
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "detail",
    "key_id",
    "prev_mac",
    "content_mac",
    "mac",
)


@route(Policy.ADMIN, methods=("GET", "POST"))
def break_glass(request: HttpRequest) -> HttpResponse:
    """Open one client's record read-only for an hour, with a recorded reason."""
    form = forms.BreakGlassForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        client = form.cleaned_data["client"]
        actions.open_break_glass(
            user=request.user,
            client_id=client.pk,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
            purpose=form.cleaned_data["purpose"],
        )
        episode = client.episodes.order_by("-opened_on").first()
        if episode is not None:
            return redirect("insights:journey", episode_id=episode.pk)
        return redirect("privacy:break_glass")
    active = queries.break_glass_client_ids(request.user, timezone.now())
    return render(request, "privacy/break_glass.html", {"form": form, "active": active.count()})


@route(Policy.PRIVACY_OFFICER)
def break_glass_log(request: HttpRequest) -> HttpResponse:
    """Every break-glass access in the officer's practices, with its reason."""
    grants = queries.break_glass_log(request.user)
    return render(
        request, "privacy/break_glass_log.html", {"grants": grants, "now": timezone.now()}
    )


def _practice(user: Any) -> Practice:
    practice = privacy_practices(user).order_by("pk").first()
    if practice is None:
        raise Http404
    return practice


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the audit log by user, action, target and date range."""
    form = forms.SearchForm(request.POST or None, user=request.user)
    events: list[AuditEvent] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        events = queries.search_events(
            request.user,
            start=data["start"],
            end=data["end"],
            actor=data["actor"],
            action=data["action"],
            target_id=data["target_id"],
        )
        actions.record_search(
            user=request.user,
            practice=_practice(request.user),
            action="audit.search",
            count=len(events),
        )
    return render(request, "privacy/audit_search.html", {"form": form, "events": events})


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def opened(request: HttpRequest) -> HttpResponse:
    """Which clients' records did one user open between two dates?"""
    form = forms.OpenedForm(request.POST or None, user=request.user)
    rows: list[queries.OpenedClient] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rows = queries.opened_clients(
            request.user, actor=data["actor"], start=data["start"], end=data["end"]
        )
        actions.record_search(
            user=request.user,
            practice=_practice(request.user),
            action="audit.opened",
            count=len(rows),
        )
    return render(request, "privacy/opened.html", {"form": form, "rows": rows})


def _event_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.pk),
        "mac_version": event.mac_version,
        "practice_id": str(event.practice_id),
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": str(event.actor_id) if event.actor_id else "",
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "detail": event.detail,
        "key_id": event.key_id,
        "prev_mac": event.prev_mac,
        "content_mac": event.content_mac,
        "mac": event.mac,
    }


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def export(request: HttpRequest) -> HttpResponse:
    """Download the log for a date range as JSON or CSV; the export is itself audited."""
    form = forms.ExportForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "privacy/export.html", {"form": form})
    data = form.cleaned_data
    events = queries.search_events(request.user, start=data["start"], end=data["end"], limit=None)
    rows = [_event_row(e) for e in events]
    # The export's own event comes after the rows it exported, so it is never in them.
    actions.record_export(
        user=request.user,
        practice=_practice(request.user),
        fmt=data["format"],
        count=len(rows),
        start=data["start"],
        end=data["end"],
    )
    name = f"plusone-audit-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
    if data["format"] == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "detail": json.dumps(row["detail"], sort_keys=True)})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    body = json.dumps({"events": rows, "count": len(rows)}, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response
