"""The access matrix: every registered route x every persona x GET and POST, checked
against the route's declared policy and the record's owner.

Built from :func:`plusone.web.routes.registered_routes`, so a new view is covered
the day it is registered. One table, ``expected``, derives each cell's verdict
from the policy name and, for routes that take one of Bob's objects, from who may
read or change Bob's record. A denied cell must look exactly like denial:

- role routes: anonymous is sent to sign in; a signed-in user without the role gets 403;
- object routes: the same status and page as the same URL with a random UUID
  ("not yours" is "not there");
- check-in routes without a check-in session: the same page as a visitor with no session.

A *leak* is a cell expected denied that was not. The one-line summary is printed
(run with ``-s`` to see it) and written nowhere.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client as WebClient

from access_fixtures import PERSONAS, STAFF, example_objects, web_as
from plusone.web.routes import Policy, Route, registered_routes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Who holds each staff policy's role (tests/personas.py: erin is admin and privacy officer).
ROLE_HOLDERS: dict[Policy, frozenset[str]] = {
    Policy.STAFF_ANY: frozenset(STAFF),
    Policy.THERAPIST: frozenset({"alice", "charlie", "faye"}),
    Policy.SUPERVISOR: frozenset({"sam"}),
    Policy.ADMIN: frozenset({"erin"}),
    Policy.PRIVACY_OFFICER: frozenset({"erin"}),
}
# Who may read Bob's record (alice treats him; he consented to sam's supervision),
# and who may change it (alice alone).
BOB_READERS = frozenset({"alice", "sam"})
BOB_WRITERS = frozenset({"alice"})
# Hold a link or device session (the view checks which): check-in links, and alice's
# device handed to Bob to confirm a decision, on which every staff page asks to sign in.
CHECKIN_HOLDERS = frozenset({"bob_checkin", "dave_checkin", "bob_confirming"})

ALLOW = "allow"
# Reaches the page, and the page is the same whether Bob's ids are real or random.
ALLOW_BLIND = "allow, nothing of bob's"
SIGN_IN = "sign-in"
FORBIDDEN = "403"
# The same status and page as with random ids: "not yours" is "not there".
SAME_AS_RANDOM = "same as random ids"
NO_CHECKIN = "no-checkin-session"
# Not signed into the portal: sent to the portal's sign-in page.
NO_PORTAL = "portal sign-in"
NOT_ALLOWED = "405"

# Views whose declared policy is wider than what the view lets through (the view
# refuses with 403 itself). Narrower is never a leak; the list says where the
# registry could be more precise. absences: STAFF_ANY, but only therapists and admins.
NARROWED_IN_VIEW = {("clinical:absences", "sam", "GET")}


def _has_url_object(route: Route) -> bool:
    return any(kind != "token" for kind in route.examples.values())


def expected(route: Route, persona: str, method: str) -> str:
    """The declared verdict for one cell: the single table of the matrix."""
    policy = route.policy
    if method not in route.methods:
        return NOT_ALLOWED
    if policy is Policy.PUBLIC:
        return ALLOW
    if policy is Policy.CHECKIN_SESSION:
        return ALLOW if persona in CHECKIN_HOLDERS else NO_CHECKIN
    if policy is Policy.PORTAL:
        # A portal page shows the signed-in client's own record: Bob's ids in Dave's
        # portal are "not there", and a page without ids shows Dave nothing of Bob's.
        if persona == "bob_portal":
            return ALLOW
        if persona == "dave_portal":
            blind = method == "GET" and not _has_url_object(route)
            return ALLOW_BLIND if blind else SAME_AS_RANDOM
        return NO_PORTAL
    if persona not in STAFF:
        return SIGN_IN
    if persona not in ROLE_HOLDERS[policy] or (route.name, persona, method) in NARROWED_IN_VIEW:
        return FORBIDDEN
    # The admin's and privacy officer's pages are theirs, not Bob's record.
    own_pages = policy in (Policy.ADMIN, Policy.PRIVACY_OFFICER)
    owners = BOB_WRITERS if method == "POST" else BOB_READERS
    if own_pages or persona in owners:
        return ALLOW
    if method == "GET" and not _has_url_object(route):
        return ALLOW_BLIND
    return SAME_AS_RANDOM


_NOISE = re.compile(rb'(nonce|value|content)="[^"]*"')


def _page(response: Any) -> tuple[int, bytes]:
    """Status and body with per-request noise (nonces, CSRF tokens) blanked."""
    return response.status_code, _NOISE.sub(rb'\1=""', response.content)


def _ids(objects: dict[str, Any]) -> dict[str, str]:
    """A POST body naming each object the way forms do (``client_id``, ``episode``, ...)."""
    body: dict[str, str] = {}
    for kind, obj in objects.items():
        value = str(getattr(obj, "pk", obj))
        body[kind] = body[f"{kind}_id"] = value
    return body


def _request(web: WebClient, method: str, url: str, objects: dict[str, Any]) -> Any:
    return web.get(url) if method == "GET" else web.post(url, _ids(objects))


def _refused(response: Any) -> bool:
    status = response.status_code
    return status in (403, 404, 405) or (
        status == 302 and "/accounts/login/" in response.get("Location", "")
    )


def _holds(verdict: str, response: Any, reference: Any | None) -> bool:
    status = response.status_code
    if verdict == ALLOW:
        return not _refused(response)
    if verdict == SIGN_IN:
        return status == 302 and "/accounts/login/" in response["Location"]
    if verdict == FORBIDDEN:
        return status == 403
    if verdict == NOT_ALLOWED:
        return status == 405
    if verdict == NO_PORTAL:
        return status == 302 and response["Location"] == "/me/signin/"
    assert reference is not None
    same = _page(response) == _page(reference)
    if verdict == ALLOW_BLIND:
        return same and not _refused(response)
    return same


def walk_matrix(p: Any, personas: tuple[str, ...] = PERSONAS) -> tuple[int, list[str], list[str]]:
    """Request every cell of ``personas``; return (cells checked, leaks, over-denials).

    A failed ALLOW cell is an over-denial; any other failed cell is a leak.
    """
    objects = example_objects(p)
    # Random ids for every kind but the check-in token (a public link, not an object).
    missing = {kind: uuid.uuid4() for kind in objects}
    missing["token"] = objects["token"]
    cells, leaks, refused = 0, [], []
    for route in registered_routes():
        url = route.example_url(objects)
        for persona in personas:
            for method in ("GET", "POST"):
                verdict = expected(route, persona, method)
                response = _request(web_as(p, persona), method, url, objects)
                reference = None
                if verdict in (SAME_AS_RANDOM, ALLOW_BLIND):
                    other = route.example_url(missing)
                    reference = _request(web_as(p, persona), method, other, missing)
                elif verdict == NO_CHECKIN:
                    reference = _request(WebClient(), method, url, objects)
                cells += 1
                if not _holds(verdict, response, reference):
                    label = f"{persona} {method} {route.name} -> {response.status_code}"
                    (refused if verdict == ALLOW else leaks).append(f"{label} (expected {verdict})")
    return cells, leaks, refused


# One test per persona: each walks every route, and stays within the per-test timeout as
# the registry grows.
@pytest.mark.parametrize("persona", PERSONAS)
def test_it_denies_every_cell_the_policy_denies_and_allows_the_rest(
    personas: Any, record_property: Any, persona: str
) -> None:
    cells, leaks, refused = walk_matrix(personas, (persona,))
    routes = len(registered_routes())
    line = (
        f"access matrix, {persona}: {routes} routes x GET/POST = "
        f"{cells} cells checked, {len(leaks)} leaks, {len(refused)} over-denials"
    )
    print(f"\n{line}")
    # For scripts/security-report, which reads the JUnit XML (never a tracked file).
    record_property("access_matrix", line)
    assert cells == routes * 2
    assert leaks == [], "\n".join(leaks)
    assert refused == [], "\n".join(refused)


def test_it_covers_routes_registered_after_it_was_written() -> None:
    """The matrix reads the registry, so a route only has to be registered to be walked."""
    names = {r.name for r in registered_routes()}
    assert {"privacy:break_glass", "privacy:audit_search", "insights:journey"} <= names
