"""Kiosk (in-session) mode: the client stays in the check-in until the therapist signs in.

Starting kiosk mode signs the therapist out on that device and leaves only the
check-in in the session. While the kiosk marker is set, every URL outside the
check-in (and the sign-in pages) redirects back to it. Leaving means signing
in again: password and TOTP code, through allauth's rate-limited sign-in. A
password alone is not enough, because a client who watched it typed could
then walk from the check-in into the caseload.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

KIOSK_KEY = "checkin_kiosk"
TOKEN_KEY = "checkin_token"  # noqa: S105 - a session key's name, not a secret
DONE_KEY = "checkin_done"
# The check-in, its static files and the therapist's way back in.
ALLOWED_PREFIXES = ("/checkin/", "/static/", "/accounts/login/", "/accounts/2fa/authenticate/")


def end_kiosk(session: MutableMapping[str, Any]) -> None:
    """Forget the kiosk marker and the check-in it held."""
    for key in (KIOSK_KEY, TOKEN_KEY, DONE_KEY):
        session.pop(key, None)


class KioskMiddleware:
    """Holds a signed-out kiosk session in the check-in.

    Install after AuthenticationMiddleware. Signing in ends kiosk mode (see
    ``plusone.measures.apps``), so a signed-in user is never held.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(KIOSK_KEY):
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            if not signed_in and not request.path.startswith(ALLOWED_PREFIXES):
                return HttpResponseRedirect(reverse("measures:checkin"))
        return self.get_response(request)
