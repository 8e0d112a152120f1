"""Who sees my record (issue 13): every person and role with access, who viewed the record
and when (from the audit trail: a name, a role and a date, never an event code); from here
the client withdraws a supervisor's consent. Observers and their revoke button are the
observers helper's (``record.observers_with_access`` and ``portal/_access_observers.html``)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from plusone.portal import record
from plusone.portal.auth import portal_route


@portal_route()
def access(request: HttpRequest) -> HttpResponse:
    person = request.portal_client  # type: ignore[attr-defined]
    today = timezone.localdate()
    return render(
        request,
        "portal/access.html",
        {
            "people": record.people_with_access(person, today),
            "roles": record.roles_with_access(),
            "observers": record.observers_with_access(person),
            "views": record.who_viewed(person),
        },
    )


@portal_route(examples={"consent_id": "supervision_consent"}, methods=("POST",))
def withdraw_supervision(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    """The client withdraws their consent to supervision by one supervisor."""
    person = request.portal_client  # type: ignore[attr-defined]
    consent = record.supervision_consent_of(person, consent_id)
    record.withdraw_supervision(person, consent)
    messages.success(request, _("Done: that supervisor no longer sees your record."))
    return redirect("portal:access")
