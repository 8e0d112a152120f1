"""The portal's shell: its session, "leave quickly", the language switch and ``lang``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client as WebClient
from django.urls import reverse

from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client
from plusone.measures import actions
from plusone.web.routes import Policy, registered_routes
from portal_fixtures import portal_web

pytestmark = pytest.mark.django_db


def test_it_greets_bob_by_name_on_his_portal_home(personas: Any) -> None:
    page = portal_web(personas.bob).get("/me/")
    assert page.status_code == 200
    assert personas.bob.given_name in page.content.decode()


def test_it_sends_a_visitor_without_a_portal_session_to_sign_in(personas: Any) -> None:
    page = WebClient().get("/me/")
    assert page.status_code == 302
    assert page["Location"] == "/me/signin/"


def test_it_does_not_let_a_staff_sign_in_reach_the_portal(personas: Any, login_as: Any) -> None:
    web = WebClient()
    login_as(web, personas.alice)
    assert web.get("/me/")["Location"] == "/me/signin/"


def test_it_ends_the_portal_session_after_fifteen_idle_minutes(personas: Any) -> None:
    start = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web = portal_web(personas.bob)
        assert web.get("/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=14))
        assert web.get("/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=16))
        assert web.get("/me/")["Location"] == "/me/signin/"
        # Cleared, not only refused: coming back a minute later does not revive it.
        assert web.get("/me/")["Location"] == "/me/signin/"


def test_it_ends_a_busy_portal_session_after_two_hours(personas: Any) -> None:
    start = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web = portal_web(personas.bob)
        for _ in range(12):
            clock.shift(dt.timedelta(minutes=10))
            assert web.get("/me/").status_code == 200
        clock.shift(dt.timedelta(minutes=1))
        assert web.get("/me/")["Location"] == "/me/signin/"


def test_it_offers_leave_quickly_on_every_portal_page(personas: Any) -> None:
    web = portal_web(personas.bob)
    pages = [r for r in registered_routes() if r.policy is Policy.PORTAL and "GET" in r.methods]
    assert pages
    for page_route in pages:
        if page_route.examples:
            continue
        page = web.get(reverse(page_route.name))
        assert page.status_code == 200, page_route.name
        assert 'href="/me/leave/"' in page.content.decode(), page_route.name


def test_leave_quickly_clears_the_session_and_lands_on_a_page_with_nothing_of_plusone(
    personas: Any,
) -> None:
    web = portal_web(personas.bob)
    left = web.get("/me/leave/")
    assert left.status_code == 302
    neutral = web.get(left["Location"])
    body = neutral.content.decode()
    assert "PlusOne" not in body and personas.bob.given_name not in body
    assert dict(web.session) == {}
    assert web.get("/me/")["Location"] == "/me/signin/"


def test_it_shows_bobs_portal_in_french_once_he_switches_and_remembers_it(
    personas: Any,
) -> None:
    web = portal_web(personas.bob)
    assert 'lang="en-CA"' in web.get("/me/").content.decode()
    switched = web.post("/language/", {"language": "fr", "next": "/me/"})
    assert switched["Location"] == "/me/"
    page = web.get("/me/").content.decode()
    assert 'lang="fr-CA"' in page
    assert "Partir vite" in page
    assert Client.objects.get(pk=personas.bob.pk).language == "fr"
    event = AuditEvent.objects.filter(action="client.language_set").get()
    assert event.target_id == str(personas.bob.pk)


def test_a_check_in_link_holder_switches_the_clients_language(personas: Any) -> None:
    web = WebClient()
    issued = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.bob, send_email=False
    )
    web.get(issued.url.split("testserver", 1)[-1] if "://" in issued.url else issued.url)
    web.post("/language/", {"language": "fr", "next": "/checkin/"})
    assert Client.objects.get(pk=personas.bob.pk).language == "fr"
    assert 'lang="fr-CA"' in web.get("/checkin/", follow=True).content.decode()


def test_a_check_in_link_opens_in_the_clients_stored_language(personas: Any) -> None:
    Client.objects.filter(pk=personas.bob.pk).update(language="fr")
    issued = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.bob, send_email=False
    )
    web = WebClient()
    web.get(issued.url.split("testserver", 1)[-1] if "://" in issued.url else issued.url)
    assert 'lang="fr-CA"' in web.get("/checkin/", follow=True).content.decode()


def test_a_visitor_switches_language_for_the_session_only(personas: Any) -> None:
    web = WebClient()
    web.post("/language/", {"language": "fr", "next": "/me/signin/"})
    assert 'lang="fr-CA"' in web.get("/me/signin/").content.decode()
    assert not AuditEvent.objects.filter(action="client.language_set").exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "journey", ""])
def test_the_switch_only_returns_to_a_path_on_this_site(personas: Any, target: str) -> None:
    answer = WebClient().post("/language/", {"language": "fr", "next": target})
    assert answer["Location"] == "/me/"


def test_staff_pages_stay_english_after_a_french_client_used_the_device(
    personas: Any, login_as: Any
) -> None:
    web = WebClient()
    web.post("/language/", {"language": "fr", "next": "/me/signin/"})
    login_as(web, personas.alice)
    assert 'lang="en-CA"' in web.get("/", follow=True).content.decode()
