"""The portal home (/me/): a greeting, the check-ins due (start, or "skip today" in one
tap), and the way to the other portal pages. No nagging, no streaks, nothing "overdue"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plusone.measures import actions as measures
from plusone.measures.models import Context, Sitting
from plusone.measures.views import DONE_KEY, TOKEN_KEY
from plusone.portal import nav
from plusone.portal.auth import portal_route
from plusone.tokens import TokenError
from plusone.tokens.models import AccessToken, Purpose

CHECKIN_NAME = gettext_lazy("Check-in")
REFLECTION_NAME = gettext_lazy("Reflection on your last session")


@dataclass(frozen=True)
class Due:
    token_id: uuid.UUID
    name: Any
    until: Any


def checkins_due(found: Any) -> list[Due]:
    """The client's open check-in links: live, and neither answered nor skipped."""
    rows = list(
        AccessToken.objects.filter(
            client=found,
            purpose=Purpose.CHECKIN,
            used_at=None,
            revoked_at=None,
            expires_at__gt=timezone.now(),
        )
        .order_by("expires_at")
        .values_list("pk", "session_id", "expires_at")
    )
    # Sitting.idempotency_key is the token's id as text (one sitting per token).
    keys = [str(pk) for pk, _session, _until in rows]
    answered = (
        set(
            Sitting.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        if keys
        else set()
    )
    return [
        Due(pk, REFLECTION_NAME if session_id else CHECKIN_NAME, until)
        for pk, session_id, until in rows
        if str(pk) not in answered
    ]


def _own_token(request: HttpRequest) -> AccessToken | None:
    try:
        token_id = uuid.UUID(request.POST.get("checkin", ""))
    except ValueError:
        return None
    return (
        AccessToken.objects.select_related("practice", "client", "episode", "session")
        .filter(pk=token_id, client=request.portal_client, purpose=Purpose.CHECKIN)  # type: ignore[attr-defined]
        .first()
    )


@portal_route()
def home(request: HttpRequest) -> HttpResponse:
    found = request.portal_client  # type: ignore[attr-defined]
    links = [(reverse(name), label) for name, label in nav.NAV if name != "portal:home"]
    return render(
        request,
        "portal/home.html",
        {
            "name": found.preferred_name or found.given_name,
            "due": checkins_due(found),
            "links": links,
        },
    )


@portal_route(methods=("POST",))
def start_checkin(request: HttpRequest) -> HttpResponse:
    """Open one of the client's own check-ins, as its link would (the session holds its id)."""
    token = _own_token(request)
    if token is None:
        return redirect("portal:home")
    request.session[TOKEN_KEY] = str(token.pk)
    request.session.pop(DONE_KEY, None)
    return redirect("measures:checkin")


@portal_route(methods=("POST",))
def skip_checkin(request: HttpRequest) -> HttpResponse:
    """ "Skip today", one tap: recorded as not completed, never as overdue."""
    token = _own_token(request)
    if token is not None:
        try:
            measures.skip_checkin(link=token, context=Context.CHECKIN)
        except TokenError:
            pass
        else:
            messages.info(request, _("Skipped for today. Nothing else to do."))
    return redirect("portal:home")
