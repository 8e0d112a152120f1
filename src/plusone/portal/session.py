"""The portal session. STAND-IN for the integrator's shell (contract in the brief)."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from plusone.clinical.models import Client

CLIENT_KEY = "portal_client"
STARTED_KEY = "portal_started_at"
SEEN_KEY = "portal_seen_at"
LANGUAGE_KEY = "plusone_language"


def begin(request: HttpRequest, client: Client) -> None:
    request.session.cycle_key()
    now = time.time()
    request.session[CLIENT_KEY] = str(client.pk)
    request.session[STARTED_KEY] = now
    request.session[SEEN_KEY] = now
    request.session[LANGUAGE_KEY] = getattr(client, "language", "en") or "en"


def end(request: HttpRequest) -> None:
    request.session.flush()


def current_client(request: HttpRequest) -> Client | None:
    client_id = request.session.get(CLIENT_KEY)
    if not client_id:
        return None
    now = time.time()
    seen = request.session.get(SEEN_KEY, 0)
    started = request.session.get(STARTED_KEY, 0)
    if now - seen > settings.PORTAL_IDLE_TIMEOUT or now - started > settings.PORTAL_ABSOLUTE_AGE:
        end(request)
        return None
    request.session[SEEN_KEY] = now
    return Client.objects.select_related("practice").filter(pk=client_id).first()
