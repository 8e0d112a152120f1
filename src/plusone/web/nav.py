"""The staff pages' one navigation: the same links, by role, in the header of every page.

A page's own links (the client's journey, decisions, safety plan) go in its ``local_nav``
block, inside the page; the header never changes from page to page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from plusone.accounts.models import Membership

# (role, label, URL name), in the header's order; a link held by two roles shows once.
LINKS = (
    ("therapist", "Caseload", "insights:caseload"),
    ("therapist", "Week", "insights:week"),
    ("therapist", "New client", "clinical:intake"),
    ("therapist", "Flags you cover", "clinical:covering"),
    ("therapist", "Away dates", "clinical:absences"),
    ("therapist", "Imports", "imports:home"),
    ("therapist", "Your outcomes", "outcomes:mine"),
    ("supervisor", "Supervision", "insights:signed_in"),
    ("privacy_officer", "Privacy office", "insights:signed_in"),
    ("privacy_officer", "Client requests", "rights:requests"),
    ("privacy_officer", "Consent directives", "lockbox:officer_index"),
    ("privacy_officer", "Records", "custodian:home"),
    ("privacy_officer", "Audit log", "privacy:audit_search"),
    ("privacy_officer", "Exports", "interop:home"),
    ("admin", "Practice admin", "insights:signed_in"),
    ("admin", "Away dates", "clinical:absences"),
    ("admin", "Risk settings", "clinical:risk_settings"),
    ("admin", "Practice outcomes", "outcomes:practice"),
    ("admin", "Exports", "interop:home"),
)


def staff_roles(request: HttpRequest) -> frozenset[str]:
    """The signed-in user's roles, read once per request (the route check stores them)."""
    cached = getattr(request, "staff_roles", None)
    if cached is None:
        user = request.user
        found = Membership.objects.filter(user=user).values_list("role", flat=True)
        cached = frozenset(found) if user.is_authenticated else frozenset()
        request.staff_roles = cached  # type: ignore[attr-defined]
    return cached


def staff_nav(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``staff_nav``, a list of {label, url, current} for the header."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"staff_nav": []}
    roles = staff_roles(request)
    links, seen = [], set()
    for role, label, name in LINKS:
        url = reverse(name)
        if role in roles and url not in seen:
            seen.add(url)
            links.append({"label": label, "url": url, "current": request.path == url})
    return {"staff_nav": links}
