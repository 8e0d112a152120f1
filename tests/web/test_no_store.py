"""Cache-Control: no-store on every page PlusOne's views make (issue 10, section 6).

A page that shows health information, or a check-in reached by a link, must never be
kept by a browser's or a proxy's cache: a shared computer's back button or a clinic's
proxy would show it again. One middleware sets it on every response, so no page can
be forgotten. The test walks the route registry, as the access matrix does, requesting
each page as the persona it is meant for.
"""

from __future__ import annotations

from typing import Any

import pytest

from access_fixtures import example_objects, web_as
from plusone.web.routes import Policy, registered_routes

pytestmark = pytest.mark.django_db

# The persona each policy is meant for (tests/personas.py: erin is admin and privacy officer).
MEANT_FOR = {
    Policy.PUBLIC: "anonymous",
    Policy.CHECKIN_SESSION: "bob_checkin",
    Policy.STAFF_ANY: "alice",
    Policy.THERAPIST: "alice",
    Policy.SUPERVISOR: "sam",
    Policy.ADMIN: "erin",
    Policy.PRIVACY_OFFICER: "erin",
    Policy.PORTAL: "bob_portal",
}
# Pages that must be reached (200), so the walk cannot pass by seeing only redirects.
HEALTH_PAGES = {
    "insights:caseload",
    "insights:journey",
    "insights:review_together",
    "insights:session_card",
    "insights:decisions",
    "clinical:safety_plan",
    "clinical:sessions",
    "insights:week",
    "insights:note",
    "measures:consent",
    "rights:access",
}


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_it_sends_no_store_on_every_registered_page_as_its_persona(personas: Any) -> None:
    objects = example_objects(personas)
    missing, reached = [], set()
    for route in registered_routes():
        if "GET" not in route.methods:
            continue
        web = web_as(personas, MEANT_FOR[route.policy])
        response = web.get(route.example_url(objects))
        if response.status_code == 200:
            reached.add(route.name)
        if not _no_store(response):
            missing.append(f"{route.name} ({response.status_code})")
    assert missing == [], "pages without Cache-Control: no-store: " + ", ".join(missing)
    assert reached >= HEALTH_PAGES, HEALTH_PAGES - reached


def test_it_sends_no_store_on_every_post_answer(personas: Any) -> None:
    # A form sent back with its errors shows what was typed: as private as the page.
    objects = example_objects(personas)
    missing = []
    for route in registered_routes():
        if "POST" not in route.methods:
            continue
        web = web_as(personas, MEANT_FOR[route.policy])
        response = web.post(route.example_url(objects), {})
        if not _no_store(response):
            missing.append(f"{route.name} ({response.status_code})")
    assert missing == [], "answers without Cache-Control: no-store: " + ", ".join(missing)


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("anonymous", "/accounts/login/"),
        ("anonymous", "/no/such/page/"),
        ("alice", "/accounts/2fa/"),
        ("alice", "/accounts/2fa/recovery-codes/"),
    ],
)
def test_it_sends_no_store_outside_the_registry_too(personas: Any, persona: str, url: str) -> None:
    # Sign-in, recovery codes and error pages come from allauth and Django, not the registry.
    response = web_as(personas, persona).get(url)
    assert _no_store(response), (url, response.status_code, response.get("Cache-Control"))


def test_it_sends_no_store_on_the_token_page_itself(personas: Any) -> None:
    objects = example_objects(personas)
    response = web_as(personas, "anonymous").get(f"/c/{objects['token']}")
    assert response.status_code == 302
    assert _no_store(response)
