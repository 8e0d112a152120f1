"""Risk cover pages: away dates, the flags a cover holds, and the practice's risk settings.

Who may do what:
- away dates: a therapist sets their own; a practice admin sets anyone's;
- covered flags: a therapist, for flags they cover (``queries.covered_flags``);
- risk settings (crisis text in both languages, clinical contact, escalation lead
  time, closure days): the practice admin, who sees only counts of open and
  escalated flags.
"""

from __future__ import annotations

import datetime as dt
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
from plusone.clinical.flag_words import brief, guidance_for
from plusone.clinical.forms import (
    AbsenceForm,
    AcknowledgeFlagForm,
    ClosureDayForm,
    RiskSettingsForm,
)
from plusone.clinical.models import Absence, ClosureDay
from plusone.clinical.safety import DEFAULT_CRISIS_TEXTS
from plusone.core.calendars import calendar
from plusone.web.ids import uuid_or_404
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
    # Each flag in words, as the caseload and the card say it (clinical.flag_words).
    rows = [(f, brief(f.practice_id, f), guidance_for(f)) for f in flags]
    return render(request, "clinical/covering.html", {"rows": rows, "form": AcknowledgeFlagForm()})


@route(Policy.ADMIN, methods=("GET", "POST"))
def risk_settings(request: HttpRequest) -> HttpResponse:
    """The practice's crisis text, escalation settings and closure days; flag counts only."""
    practice = staff_practice(request.user)  # type: ignore[arg-type]
    therapists = _therapists(practice)
    form = RiskSettingsForm(request.POST or None, initial=_initial(practice), therapists=therapists)
    if request.method == "POST" and form.is_valid():
        try:
            risk.update_risk_settings(user=request.user, practice=practice, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Risk settings saved.")
            return redirect("clinical:risk_settings")
    return _risk_settings_page(request, practice, form, ClosureDayForm())


def _initial(practice: Any) -> dict[str, Any]:
    current = risk.settings_for(practice)
    return {
        "crisis_text": practice.crisis_text,
        "crisis_text_fr": practice.crisis_text_fr,
        "clinical_contact": current.clinical_contact_id,
        "escalation_lead_hours": current.escalation_lead_hours,
        "email_label": practice.email_label,
        "untranslated_instruments": practice.untranslated_instruments,
    }


def _risk_settings_page(
    request: HttpRequest, practice: Any, form: Any, closure_form: Any
) -> HttpResponse:
    today = timezone.localdate()
    ontario = calendar("ontario")
    contact = risk.settings_for(practice).clinical_contact
    context = {
        "form": form,
        "closure_form": closure_form,
        "closures": ClosureDay.objects.filter(practice=practice, day__gte=today),
        # The next twelve months of public holidays, on which no business time passes.
        "holidays": sorted(
            (d, name)
            for d, name in ontario.holidays.items()
            if today <= d < today + dt.timedelta(days=366)
        ),
        "calendar": ontario,
        "counts": risk.flag_counts(practice),
        "default_texts": DEFAULT_CRISIS_TEXTS,
        "no_contact": contact is None,
    }
    return render(request, "clinical/risk_settings.html", context)


@route(Policy.ADMIN, methods=("POST",))
def closure_days(request: HttpRequest) -> HttpResponse:
    """Add a closure day, or (with ``remove``) open one again."""
    practice = staff_practice(request.user)  # type: ignore[arg-type]
    remove = request.POST.get("remove")
    if remove:
        closure = ClosureDay.objects.filter(practice=practice, pk=uuid_or_404(remove)).first()
        if closure is not None:
            risk.remove_closure_day(user=request.user, closure=closure)
            messages.success(request, "The day is open again.")
        return redirect("clinical:risk_settings")
    closure_form = ClosureDayForm(request.POST)
    if closure_form.is_valid():
        try:
            risk.add_closure_day(user=request.user, practice=practice, **closure_form.cleaned_data)
        except ValidationError as exc:
            closure_form.add_error(None, exc)
        else:
            messages.success(request, "Closure day saved.")
            return redirect("clinical:risk_settings")
    form = RiskSettingsForm(initial=_initial(practice), therapists=_therapists(practice))
    response = _risk_settings_page(request, practice, form, closure_form)
    response.status_code = 400
    return response
