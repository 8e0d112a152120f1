"""The portal session ends after PORTAL_IDLE_TIMEOUT idle seconds and PORTAL_ABSOLUTE_AGE
seconds after sign-in however busy; "Leave quickly" ends it at once, on every portal page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client as WebClient
from django.urls import reverse

from plusone.web.routes import Policy, registered_routes
from portal_fixtures import portal_web as portal_as

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)


def _signed_in(web: WebClient) -> bool:
    answer = web.get("/me/")
    return answer.status_code == 200


def test_an_idle_portal_session_ends(personas: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        web = portal_as(personas.bob)
        clock.shift(dt.timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT - 60))
        assert _signed_in(web)
        clock.shift(dt.timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT + 1))
        assert not _signed_in(web)
        # Ended, not just refused: coming back within the idle time does not revive it.
        assert not _signed_in(web)


def test_a_busy_portal_session_ends_at_its_absolute_age(personas: Any) -> None:
    step = dt.timedelta(seconds=settings.PORTAL_IDLE_TIMEOUT // 2)
    with time_machine.travel(START, tick=False) as clock:
        web = portal_as(personas.bob)
        elapsed = dt.timedelta(0)
        while elapsed + step < dt.timedelta(seconds=settings.PORTAL_ABSOLUTE_AGE):
            clock.shift(step)
            elapsed += step
            assert _signed_in(web), elapsed
        clock.shift(step + dt.timedelta(seconds=1))
        assert not _signed_in(web)


def test_the_settings_are_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text()
    for name in (
        "PORTAL_IDLE_TIMEOUT",
        "PORTAL_ABSOLUTE_AGE",
        "PORTAL_SIGNIN_LINK_TTL",
        "PORTAL_PIN_ATTEMPTS",
        "PORTAL_LINK_REQUESTS_PER_HOUR",
    ):
        assert f"`{name}`" in doc, name


def portal_pages() -> list[Any]:
    """Every portal page a client reads (GET), from the route registry."""
    return [
        r
        for r in registered_routes()
        if r.name.startswith("portal:")
        and "GET" in r.methods
        and r.name != "portal:leave"
        and not r.name.startswith("portal:signin_invite")
    ]


def test_every_portal_page_offers_leave_quickly_and_it_clears_the_session(
    personas: Any,
) -> None:
    pages = portal_pages()
    assert {r.name for r in pages} >= {"portal:home", "portal:signin", "portal:signin_pin"}
    leave = reverse("portal:leave")
    for page in pages:
        if page.examples:
            continue  # the link itself redirects at once; it renders no page
        web = portal_as(personas.bob)
        shown = web.get(reverse(page.name), follow=True)
        assert shown.status_code == 200, page.name
        assert f'href="{leave}"'.encode() in shown.content, page.name
        gone = web.get(leave)
        assert gone.status_code == 302, page.name
        assert not gone["Location"].startswith("/me/"), page.name
        assert dict(web.session.items()) == {}, page.name
        neutral = web.get(gone["Location"])
        assert neutral.status_code == 200 and b"PlusOne" not in neutral.content, page.name
        assert not _signed_in(web), page.name


def test_policy_portal_is_what_the_portal_pages_declare() -> None:
    declared = {r.name: r.policy for r in registered_routes()}
    assert declared["portal:home"] is Policy.PORTAL
