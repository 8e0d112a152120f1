"""Risk cover pages: away dates, the flags a cover holds, and the practice's risk settings.

Who may do what:
- away dates: a therapist sets their own; a practice admin sets anyone's;
- covered flags: a therapist, for flags they cover (``queries.covered_flags``);
- risk settings (crisis text, read-by time, clinical contact, escalation delay):
  the practice admin, who sees only counts of open and escalated flags.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Role, User
from plusone.accounts.queries import roles, staff_practice
from plusone.clinical import queries, risk
from plusone.clinical.forms import AbsenceForm, AcknowledgeFlagForm, RiskSettingsForm
from plusone.clinical.models import Absence
from plusone.web.routes import Policy, route


def _therapists(practice: Any) -> Any:
    return User.objects.filter(
        memberships__practice=practice, memberships__role=Role.THERAPIST
    ).order_by("first_name", "email")


@route(Policy.STAFF_ANY, methods=("GET", "POST"))
def absences(request: HttpRequest) -> HttpResponse:
    """Away dates with cover: a therapist sets their own, an admin anyone's."""
    practice = staff_practice(request.user)  # type: ignore[arg-type]
    mine = roles(request.user, practice)  # type: ignore[arg-type]
    is_admin = Role.ADMIN in mine
    if not is_admin and Role.THERAPIST not in mine:
        raise PermissionDenied
    therapists = _therapists(practice)
    form = AbsenceForm(request.POST or None, therapists=therapists)
    if request.method == "POST" and form.is_valid():
        away = form.cleaned_data["therapist"]
        if not is_admin and away.pk != request.user.pk:
            raise PermissionDenied
        try:
            risk.set_absence(user=request.user, practice=practice, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Away dates saved.")
            return redirect("clinical:absences")
    if not is_admin:
        form.fields["therapist"].queryset = therapists.filter(pk=request.user.pk)  # type: ignore[attr-defined]
    listed = Absence.objects.filter(
        practice=practice, ends_on__gte=timezone.localdate()
    ).select_related("therapist", "cover")
    if not is_admin:
        listed = listed.filter(therapist=request.user) | listed.filter(cover=request.user)
    return render(request, "clinical/absences.html", {"form": form, "absences": listed})


@route(Policy.THERAPIST)
def covering(request: HttpRequest) -> HttpResponse:
    """Open flags this therapist covers for an away colleague, or that escalated to them."""
    flags = queries.covered_flags(request.user)
    audit.record_view(request, staff_practice(request.user), action="view.covered_flags")  # type: ignore[arg-type]
    return render(
        request, "clinical/covering.html", {"flags": flags, "form": AcknowledgeFlagForm()}
    )


@route(Policy.ADMIN, methods=("GET", "POST"))
def risk_settings(request: HttpRequest) -> HttpResponse:
    """The practice's crisis text and escalation settings; flag counts only."""
    practice = staff_practice(request.user)  # type: ignore[arg-type]
    current = risk.settings_for(practice)
    therapists = _therapists(practice)
    initial = {
        "crisis_text": practice.crisis_text,
        "read_by": current.read_by,
        "clinical_contact": current.clinical_contact_id,
        "escalate_after_hours": current.escalate_after_hours,
    }
    form = RiskSettingsForm(request.POST or None, initial=initial, therapists=therapists)
    if request.method == "POST" and form.is_valid():
        try:
            risk.update_risk_settings(user=request.user, practice=practice, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Risk settings saved.")
            return redirect("clinical:risk_settings")
    context = {
        "form": form,
        "counts": risk.flag_counts(practice),
        "default_text": risk.default_crisis_text(practice, timezone.now()),
    }
    return render(request, "clinical/risk_settings.html", context)
