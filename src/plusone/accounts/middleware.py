"""Mandatory MFA for staff.

A signed-in staff member (anyone with a Membership) must have a TOTP
authenticator and must have passed an MFA step in this session. Without TOTP
they are sent to set it up; with TOTP but no MFA step in this session (for
example after signing in by emailed code where the MFA stage was skipped, or
a session from before TOTP was activated) they are sent to the MFA step.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from plusone.accounts.queries import is_staff_member

# allauth's own pages, static files and health checks stay reachable mid-setup.
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")


def mfa_verified(request: HttpRequest) -> bool:
    """True when this session has completed an MFA step for its user."""
    records = get_authentication_records(request, request.user)  # type: ignore[arg-type]
    return any(r.get("method") == "mfa" for r in records)


class StaffMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        redirect = self._redirect_for(request)
        return redirect if redirect is not None else self.get_response(request)

    def _redirect_for(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.path.startswith(EXEMPT_PREFIXES):
            return None
        if mfa_verified(request) or not is_staff_member(user):  # type: ignore[arg-type]
            return None
        has_totp = Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.TOTP
        ).exists()
        target = "mfa_reauthenticate" if has_totp else "mfa_activate_totp"
        # Only the path goes into ?next=; never a query string.
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.path})}")
