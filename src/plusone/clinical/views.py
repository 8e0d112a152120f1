"""Therapist pages: intake, flag acknowledgement and the safety plan. Parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from plusone import audit
from plusone.accounts.queries import staff_practice
from plusone.clinical import actions, queries
from plusone.clinical.forms import (
    AcknowledgeFlagForm,
    IntakeForm,
    SafetyPlanForm,
)
from plusone.clinical.models import (
    SafetyPlan,
)
from plusone.web.routes import Policy, route


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
            return redirect("insights:caseload")
    return render(request, "clinical/intake.html", {"form": form})


@route(Policy.THERAPIST, examples={"flag_id": "flag"}, methods=("POST",))
def acknowledge_flag(request: HttpRequest, flag_id: str) -> HttpResponse:
    """Close a flag with an action note, then go back to the page the form was on (the
    caseload, the card, the journey or the covered-flags page)."""
    flag = queries.access_flag(request.user, flag_id, write=True)
    # Without a safe "next": a cover goes to the covered-flags page; a therapist to the caseload.
    own = flag.client.therapist_id == request.user.pk
    back = _next_or(request, "insights:caseload" if own else "clinical:covering")
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
        return redirect(back)
    messages.error(request, "Write an action note to acknowledge the flag.")
    return redirect(back)


def _next_or(request: HttpRequest, default: str) -> str:
    """The form's "next" when it is a page of this site; else the URL named ``default``."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse(default)


# Measurement plan ------------------------------------------------------------------------


# Safety plan -----------------------------------------------------------------------------


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def safety_plan(request: HttpRequest, client_id: str) -> HttpResponse:
    """Edit the client's safety plan; saving over a colleague's newer version is a conflict."""
    person = queries.access_client(request.user, client_id, write=True)
    stored = SafetyPlan.objects.filter(client=person).first()
    conflict = None
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            try:
                actions.update_safety_plan(
                    user=request.user,
                    client=person,
                    text=form.cleaned_data["text"].strip(),
                    base_version=form.cleaned_data["version"],
                )
            except actions.EditConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Safety plan saved.")
                return redirect("clinical:safety_plan", client_id=person.pk)
    else:
        initial = {
            "text": stored.text if stored else "",
            "version": stored.version if stored else 0,
        }
        form = SafetyPlanForm(initial=initial)
    audit.record_view(request, stored or person, action="view.safety_plan")
    context = {"person": person, "form": form, "conflict": conflict}
    return render(request, "clinical/safety_plan.html", context)
