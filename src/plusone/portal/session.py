"""The portal's signed-in session: whose it is, and when it ends.

A portal session is apart from a staff sign-in: ``begin`` flushes whatever the browser held
(a staff sign-in, a check-in link) before it names the client. It ends after
``settings.PORTAL_IDLE_TIMEOUT`` seconds without a request, after
``settings.PORTAL_ABSOLUTE_AGE`` seconds however busy, and at once on "leave quickly".
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from plusone.clinical.models import Client
from plusone.web import language

CLIENT_KEY = "plusone_portal_client"
SIGNED_IN_KEY = "plusone_portal_signed_in_at"
SEEN_KEY = "plusone_portal_seen_at"
# Rewrite the last-seen stamp at most this often (seconds): one session write a minute.
SEEN_RESOLUTION = 60


def begin(request: HttpRequest, client: Client) -> None:
    """Sign ``client`` into the portal on this browser, in the client's language."""
    request.session.flush()
    now = time.time()
    request.session[CLIENT_KEY] = str(client.pk)
    request.session[SIGNED_IN_KEY] = now
    request.session[SEEN_KEY] = now
    language.choose(request, client.language)


def end(request: HttpRequest) -> None:
    """Forget everything this browser's session held."""
    request.session.flush()


def expired(session: object, now: float) -> bool:
    """True when the portal session has been idle too long or has outlived its lifetime."""
    signed_in = session.get(SIGNED_IN_KEY)  # type: ignore[attr-defined]
    seen = session.get(SEEN_KEY, signed_in)  # type: ignore[attr-defined]
    if signed_in is None or seen is None:
        return True
    return (
        now - seen > settings.PORTAL_IDLE_TIMEOUT or now - signed_in > settings.PORTAL_ABSOLUTE_AGE
    )


def current_client(request: HttpRequest) -> Client | None:
    """The signed-in portal client, or None (and the session cleared when it has expired)."""
    client_id = request.session.get(CLIENT_KEY)
    if client_id is None:
        return None
    now = time.time()
    if expired(request.session, now):
        end(request)
        return None
    found = Client.objects.select_related("practice").filter(pk=client_id).first()
    if found is None:
        end(request)
        return None
    if now - request.session.get(SEEN_KEY, 0) > SEEN_RESOLUTION:
        request.session[SEEN_KEY] = now
    return found
