"""The custodian's pages. Parse, call, render.

Searches are POST so that nothing typed reaches a URL or a log. Every page but the
therapist's per-client disclosures is the privacy officer's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone.clinical.queries import access_client
from plusone.custodian import actions, forms, queries
from plusone.custodian.models import IncidentCategory
from plusone.web.routes import Policy, route


def _today() -> dt.date:
    return timezone.localdate()


def _disclosure_data(data: dict[str, Any]) -> actions.DisclosureData:
    return actions.DisclosureData(
        recipient_name=data["recipient_name"],
        recipient_organisation=data["recipient_organisation"],
        legal_basis=data["legal_basis"],
        legal_basis_other=data["legal_basis_other"],
        content=data["content"],
        disclosed_on=data["disclosed_on"],
        corrects=data["corrects"],
    )


@route(Policy.PRIVACY_OFFICER)
def home(request: HttpRequest) -> HttpResponse:
    """The custodian's registers, one link each."""
    return render(request, "custodian/home.html")


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def client_disclosures(request: HttpRequest, client_id: Any) -> HttpResponse:
    """The treating therapist's log of one client's disclosures, and a form to add one."""
    found = access_client(request.user, client_id, write=True)
    form = forms.DisclosureForm(request.POST or None, client=found, today=_today())
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_disclosure(
                user=request.user, client=found, data=_disclosure_data(form.cleaned_data)
            )
        except actions.Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Disclosure recorded.")
            return redirect("custodian:client_disclosures", client_id=found.pk)
    rows = queries.client_disclosures(found)
    return render(
        request,
        "custodian/client_disclosures.html",
        {"found": found, "rows": rows, "form": form},
    )


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def disclosures(request: HttpRequest) -> HttpResponse:
    """The practice-wide disclosure log, filtered by date, legal basis or client."""
    clients = queries.officer_clients(request.user)
    form = forms.DisclosureSearchForm(request.POST or None, clients=clients)
    rows = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rows = queries.practice_disclosures(
            request.user,
            start=data["start"],
            end=data["end"],
            legal_basis=data["legal_basis"],
            client=data["client"],
        )
    elif request.method == "GET":
        rows = queries.practice_disclosures(request.user)
    return render(request, "custodian/disclosures.html", {"form": form, "rows": rows})


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def disclosure_new(request: HttpRequest) -> HttpResponse:
    """Record a disclosure for any client of the practice (privacy officer)."""
    clients = queries.officer_clients(request.user)
    form = forms.OfficerDisclosureForm(request.POST or None, clients=clients, today=_today())
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_disclosure(
                user=request.user,
                client=form.cleaned_data["client"],
                data=_disclosure_data(form.cleaned_data),
            )
        except actions.Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Disclosure recorded.")
            return redirect("custodian:disclosures")
    return render(request, "custodian/disclosure_new.html", {"form": form})


def _incident_data(data: dict[str, Any]) -> actions.IncidentData:
    return actions.IncidentData(
        category=data.get("category", ""),
        discovered_on=data.get("discovered_on") or _today(),
        description=data.get("description", ""),
        clients_affected=data["clients_affected"],
        trigger=data["trigger"],
        ipc_notified_on=data["ipc_notified_on"],
        clients_notified_on=data["clients_notified_on"],
        notification_method=data["notification_method"],
        containment=data["containment"],
        clients=list(data["clients"]),
    )


@route(Policy.PRIVACY_OFFICER)
def incidents(request: HttpRequest) -> HttpResponse:
    """The incident register: incidents whose individuals are not yet notified first."""
    rows = queries.incidents(request.user)
    return render(request, "custodian/incidents.html", {"rows": rows})


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def incident_new(request: HttpRequest) -> HttpResponse:
    """Register a privacy breach."""
    clients = queries.officer_clients(request.user)
    form = forms.IncidentForm(request.POST or None, clients=clients, today=_today())
    if request.method == "POST" and form.is_valid():
        incident = actions.record_incident(
            user=request.user,
            practice=queries.officer_practice(request.user),
            data=_incident_data(form.cleaned_data),
        )
        messages.success(request, "Incident registered.")
        return redirect("custodian:incident", incident_id=incident.pk)
    return render(request, "custodian/incident_form.html", {"form": form, "incident": None})


@route(Policy.PRIVACY_OFFICER, examples={"incident_id": "incident"}, methods=("GET", "POST"))
def incident(request: HttpRequest, incident_id: Any) -> HttpResponse:
    """One incident, and its IPC report, client notice and containment."""
    found = queries.access_incident(request.user, incident_id)
    initial = {
        "category": found.category,
        "discovered_on": found.discovered_on,
        "description": found.description,
        "clients_affected": found.clients_affected,
        "clients": [link.client for link in found.links.all()],
        "trigger": found.trigger,
        "ipc_notified_on": found.ipc_notified_on,
        "clients_notified_on": found.clients_notified_on,
        "notification_method": found.notification_method,
        "containment": found.containment,
    }
    form = forms.IncidentForm(
        request.POST or None,
        initial=initial,
        clients=queries.officer_clients(request.user),
        today=_today(),
    )
    # What happened, when, and the description are fixed once registered.
    for name in ("category", "discovered_on", "description"):
        form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        actions.update_incident(
            user=request.user, incident=found, data=_incident_data(form.cleaned_data)
        )
        messages.success(request, "Incident updated.")
        return redirect("custodian:incident", incident_id=found.pk)
    return render(request, "custodian/incident_form.html", {"form": form, "incident": found})


@route(Policy.PRIVACY_OFFICER)
def incident_counts(request: HttpRequest) -> HttpResponse:
    """Incidents per category in one calendar year, for the annual report to the IPC."""
    form = forms.YearForm(request.GET or {"year": _today().year})
    counts = None
    year = None
    if form.is_valid():
        year = form.cleaned_data["year"]
        counts = [
            (IncidentCategory(k).label, n)
            for k, n in queries.yearly_counts(request.user, year).items()
        ]
    return render(
        request, "custodian/incident_counts.html", {"form": form, "counts": counts, "year": year}
    )


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def retention_settings(request: HttpRequest) -> HttpResponse:
    """Set the practice's governing College, which sets its retention rule."""
    practice = queries.officer_practice(request.user)
    form = forms.CollegeForm(
        request.POST or None, initial={"college": queries.college_of(practice).value}
    )
    if request.method == "POST" and form.is_valid():
        actions.set_college(
            user=request.user, practice=practice, college=form.cleaned_data["college"]
        )
        messages.success(request, "Governing College saved.")
        return redirect("custodian:retention_settings")
    return render(request, "custodian/retention_settings.html", {"form": form})


@route(Policy.PRIVACY_OFFICER)
def retention_due(request: HttpRequest) -> HttpResponse:
    """Clients whose retention period has ended or ends within N days, with their holds."""
    form = forms.DueForm(request.GET or {"days": 90})
    rows = None
    today = _today()
    if form.is_valid():
        rows = queries.retention_due(
            request.user, today=today, within_days=form.cleaned_data["days"]
        )
    return render(
        request, "custodian/retention_due.html", {"form": form, "rows": rows, "today": today}
    )


def _retention_page(
    request: HttpRequest, found: Any, *, hold_form: Any = None, release_error: str = ""
) -> HttpResponse:
    position = queries.retention_for([found])[0]
    return render(
        request,
        "custodian/retention_client.html",
        {
            "found": found,
            "position": position,
            "due": position.due(_today()),
            "hold_form": hold_form or forms.HoldForm(),
            "release_error": release_error,
        },
    )


@route(Policy.PRIVACY_OFFICER, examples={"client_id": "client"})
def retention_client(request: HttpRequest, client_id: Any) -> HttpResponse:
    """One client's retention dates and legal holds."""
    found = queries.access_officer_client(request.user, client_id)
    return _retention_page(request, found)


@route(Policy.PRIVACY_OFFICER, examples={"client_id": "client"}, methods=("POST",))
def hold_place(request: HttpRequest, client_id: Any) -> HttpResponse:
    """Place a legal hold on one client's record."""
    found = queries.access_officer_client(request.user, client_id)
    form = forms.HoldForm(request.POST)
    if form.is_valid():
        actions.place_hold(user=request.user, client=found, reason=form.cleaned_data["reason"])
        messages.success(request, "Legal hold placed.")
        return redirect("custodian:retention_client", client_id=found.pk)
    return _retention_page(request, found, hold_form=form)


@route(Policy.PRIVACY_OFFICER, examples={"hold_id": "hold"}, methods=("POST",))
def hold_release(request: HttpRequest, hold_id: Any) -> HttpResponse:
    """Release a legal hold, with the reason."""
    hold = queries.access_hold(request.user, hold_id)
    form = forms.ReleaseForm(request.POST)
    error = "Give the reason the hold is released."
    if form.is_valid():
        try:
            actions.release_hold(
                user=request.user, hold=hold, reason=form.cleaned_data["release_reason"]
            )
        except actions.Refused as refused:
            error = str(refused)
        else:
            messages.success(request, "Legal hold released.")
            return redirect("custodian:retention_client", client_id=hold.client_id)
    return _retention_page(request, hold.client, release_error=error)


@route(Policy.PRIVACY_OFFICER, examples={"client_id": "client"}, methods=("GET", "POST"))
def destroy(request: HttpRequest, client_id: Any) -> HttpResponse:
    """Destroy one client's record: typed confirmation; refused under a hold or early."""
    found = queries.access_officer_client(request.user, client_id)
    form = forms.DestroyForm(request.POST or None, expected=found.display_name)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = actions.destroy_client(
                user=request.user,
                client=found,
                confirm_name=form.cleaned_data["confirm_name"],
                today=_today(),
            )
        except actions.Refused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "The record was destroyed. This is its certificate.")
            return redirect("custodian:certificate", certificate_id=certificate.pk)
    position = queries.retention_for([found])[0]
    return render(
        request,
        "custodian/destroy.html",
        {
            "found": found,
            "form": form,
            "position": position,
            "due": position.due(_today()),
            "method": actions.destruction_method(),
        },
    )


@route(Policy.PRIVACY_OFFICER)
def certificates(request: HttpRequest) -> HttpResponse:
    """Every destruction certificate of the practice."""
    rows = queries.certificates(request.user)
    return render(request, "custodian/certificates.html", {"rows": rows})


@route(Policy.PRIVACY_OFFICER, examples={"certificate_id": "certificate"})
def certificate(request: HttpRequest, certificate_id: Any) -> HttpResponse:
    """One destruction certificate, laid out to print."""
    found = queries.access_certificate(request.user, certificate_id)
    return render(request, "custodian/certificate.html", {"cert": found})
