"""Therapist pages: caseload, intake, flag acknowledgement. Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from plusone import audit
from plusone.accounts.queries import staff_practice
from plusone.clinical import actions, queries
from plusone.clinical.forms import AcknowledgeFlagForm, IntakeForm
from plusone.web.routes import Policy, route


def _issue_link_url() -> str | None:
    """The check-in app's issue-link URL, or None until that view exists."""
    try:
        return reverse("measures:issue_link")
    except NoReverseMatch:
        return None


@route(Policy.THERAPIST)
def caseload(request: HttpRequest) -> HttpResponse:
    """The therapist's clients, from summary rows, with open flags and link buttons."""
    summaries = queries.caseload(request.user)
    flags = queries.open_flags(request.user, summaries)
    rows = [(s, flags.get(s.episode_id, [])) for s in summaries]
    audit.record_view(request, staff_practice(request.user), action="view.caseload")  # type: ignore[arg-type]
    context = {"rows": rows, "issue_link_url": _issue_link_url(), "ack_form": AcknowledgeFlagForm()}
    return render(request, "clinical/caseload.html", context)


@route(Policy.THERAPIST, methods=("GET", "POST"))
def intake(request: HttpRequest) -> HttpResponse:
    """A new client and their first episode."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.intake_client(
                therapist=request.user,
                practice=staff_practice(request.user),  # type: ignore[arg-type]
                data=form.intake_data(),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Client added.")
            return redirect("clinical:caseload")
    return render(request, "clinical/intake.html", {"form": form})


@route(Policy.THERAPIST, examples={"flag_id": "flag"}, methods=("POST",))
def acknowledge_flag(request: HttpRequest, flag_id: str) -> HttpResponse:
    """Close a flag with an action note, from the caseload page."""
    flag = queries.access_flag(request.user, flag_id, write=True)
    form = AcknowledgeFlagForm(request.POST)
    if form.is_valid():
        try:
            actions.acknowledge_flag(
                user=request.user, flag=flag, note=form.cleaned_data["action_note"]
            )
        except actions.FlagAlreadyAcknowledged:
            messages.info(request, "That flag was already acknowledged.")
        else:
            messages.success(request, "Flag acknowledged.")
        return redirect("clinical:caseload")
    messages.error(request, "Write an action note to acknowledge the flag.")
    return redirect("clinical:caseload")
