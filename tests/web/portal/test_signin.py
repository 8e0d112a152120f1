"""Portal sign-in: an emailed link, then a PIN the client sets at the first sign-in and
types at every later one. Never the link alone."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client as WebClient

from personas import login_as
from plusone.accounts.models import Membership
from plusone.audit.models import AuditEvent
from plusone.portal import signin
from plusone.tokens.models import AccessToken, Purpose

pytestmark = pytest.mark.django_db

GOOD_PIN = "482915"
LINK = re.compile(r"https?://[^\s]+/me/in/[A-Za-z0-9_-]+")


def invite(p: Any, capture: Any, person: Any = None, *, reset: bool = False) -> str:
    """Alice sends ``person`` (Bob) a sign-in link from her page; return the link's path."""
    person = person or p.bob
    web = WebClient()
    login_as(web, p.alice)
    mail.outbox.clear()
    with capture(execute=True):
        answer = web.post(
            f"/me/staff/clients/{person.pk}/access/", {"action": "reset" if reset else "invite"}
        )
    assert answer.status_code == 200
    assert len(mail.outbox) == 1
    return urlsplit(LINK.search(mail.outbox[0].body).group(0)).path


def open_link(path: str) -> WebClient:
    web = WebClient()
    answer = web.get(path)
    assert answer.status_code == 302 and answer["Location"] == "/me/in/"
    return web


def sign_in_first_time(p: Any, capture: Any, pin: str = GOOD_PIN) -> WebClient:
    web = open_link(invite(p, capture))
    answer = web.post("/me/in/", {"pin": pin, "confirm": pin})
    assert answer.status_code == 302 and answer["Location"] == "/me/", answer.content[:300]
    return web


def test_the_invitation_emails_a_link_with_no_health_information_and_is_audited(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invite(personas, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.to == ["bob@client.example"]
    for word in ("Bob", "goal", "therap", "phq", "safety", "sister"):
        assert word.lower() not in (message.subject + message.body).lower()
    assert AuditEvent.objects.filter(action="portal.invite").count() == 1


def test_opening_the_link_never_consumes_it_and_drops_the_token_from_the_url(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    path = invite(personas, django_capture_on_commit_callbacks)
    open_link(path)
    open_link(path)  # a mail scanner's prefetch, then the client
    token = AccessToken.objects.get(purpose=Purpose.PORTAL_SIGNIN)
    assert token.used_at is None and token.revoked_at is None


def test_the_link_alone_never_opens_the_portal(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    web = open_link(invite(personas, django_capture_on_commit_callbacks))
    home = web.get("/me/")
    assert home.status_code == 302 and home["Location"].startswith("/me/signin/")


def test_the_first_sign_in_sets_a_hashed_pin_on_a_portal_user_with_no_staff_role(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    web = sign_in_first_time(personas, django_capture_on_commit_callbacks)
    personas.bob.refresh_from_db()
    user = personas.bob.portal_user
    assert user is not None and not Membership.objects.filter(user=user).exists()
    assert GOOD_PIN not in user.password and user.check_password(GOOD_PIN)
    assert AccessToken.objects.get(purpose=Purpose.PORTAL_SIGNIN).used_at is not None
    page = web.get("/me/")
    assert page.status_code == 200 and b"Hello, Bob" in page.content


@pytest.mark.parametrize("pin", ["000000", "123456", "654321", "121212", "123123", "12345"])
def test_it_refuses_a_trivial_or_short_pin_with_a_clear_message(
    personas: Any, django_capture_on_commit_callbacks: Any, pin: str
) -> None:
    web = open_link(invite(personas, django_capture_on_commit_callbacks))
    answer = web.post("/me/in/", {"pin": pin, "confirm": pin})
    assert answer.status_code == 200
    assert b"too easy to guess" in answer.content or b"6 to 12 digits" in answer.content
    assert AccessToken.objects.get(purpose=Purpose.PORTAL_SIGNIN).used_at is None


def test_it_refuses_the_clients_date_of_birth_and_a_mismatched_confirmation(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    web = open_link(invite(personas, django_capture_on_commit_callbacks))
    born = personas.bob.date_of_birth.strftime("%Y%m%d")
    answer = web.post("/me/in/", {"pin": born, "confirm": born})
    assert b"date of birth" in answer.content
    answer = web.post("/me/in/", {"pin": GOOD_PIN, "confirm": "482916"})
    assert b"not the same" in answer.content


def test_a_later_sign_in_asks_for_the_pin(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_in_first_time(personas, django_capture_on_commit_callbacks)
    web = WebClient()
    with django_capture_on_commit_callbacks(execute=True):
        sent = web.post("/me/signin/", {"email": "bob@client.example"})
    assert sent.status_code == 200
    web = open_link(urlsplit(LINK.search(mail.outbox[-1].body).group(0)).path)
    page = web.get("/me/in/")
    assert b"Type your PIN" in page.content and b"confirm" not in page.content
    wrong = web.post("/me/in/", {"pin": "999111"})
    assert b"not right" in wrong.content and b"4 more times" in wrong.content
    right = web.post("/me/in/", {"pin": GOOD_PIN})
    assert right.status_code == 302 and right["Location"] == "/me/"


def test_five_wrong_pins_spend_the_link(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_in_first_time(personas, django_capture_on_commit_callbacks)
    web = open_link(invite(personas, django_capture_on_commit_callbacks))
    for _ in range(4):
        web.post("/me/in/", {"pin": "999111"})
    fifth = web.post("/me/in/", {"pin": "999111"})
    assert fifth.status_code == 403 and b"too many times" in fifth.content
    assert web.post("/me/in/", {"pin": GOOD_PIN})["Location"] == "/me/signin/"
    token = AccessToken.objects.filter(purpose=Purpose.PORTAL_SIGNIN).latest("created_at")
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="portal.pin_wrong").count() == 5


def test_asking_for_a_link_answers_the_same_for_a_known_and_an_unknown_address(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invite(personas, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = WebClient().post("/me/signin/", {"email": "BOB@client.example"})
        unknown = WebClient().post("/me/signin/", {"email": "nobody@client.example"})
        # Dave has an address but was never invited to the portal.
        not_invited = WebClient().post("/me/signin/", {"email": "dave@client.example"})
    strip = re.compile(rb'value="[^"]*"')
    assert strip.sub(b"", known.content) == strip.sub(b"", unknown.content)
    assert strip.sub(b"", known.content) == strip.sub(b"", not_invited.content)
    assert [m.to for m in mail.outbox] == [["bob@client.example"]]


def test_asking_for_links_is_rate_limited(
    personas: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    invite(personas, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    web = WebClient()
    answers = [
        web.post("/me/signin/", {"email": "bob@client.example"}).status_code for _ in range(7)
    ]
    assert answers == [200] * 5 + [429] * 2


def test_the_therapist_resets_the_pin_and_the_new_link_sets_a_new_one(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_in_first_time(personas, django_capture_on_commit_callbacks)
    web = open_link(invite(personas, django_capture_on_commit_callbacks, reset=True))
    page = web.get("/me/in/")
    assert b"Choose your PIN" in page.content
    answer = web.post("/me/in/", {"pin": "735102", "confirm": "735102"})
    assert answer["Location"] == "/me/"
    personas.bob.refresh_from_db()
    assert personas.bob.portal_user.check_password("735102")
    assert AuditEvent.objects.filter(action="portal.reset_pin").count() == 1


def test_a_new_link_revokes_the_old_one(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = invite(personas, django_capture_on_commit_callbacks)
    invite(personas, django_capture_on_commit_callbacks)
    assert WebClient().get(first).status_code == 410


def test_another_therapist_cannot_invite_bob(personas: Any) -> None:
    web = WebClient()
    login_as(web, personas.charlie)
    assert web.post(f"/me/staff/clients/{personas.bob.pk}/access/").status_code == 404
    assert web.get(f"/me/staff/clients/{personas.bob.pk}/access/").status_code == 404


def test_a_client_without_email_gets_no_link_and_the_therapist_is_told(personas: Any) -> None:
    personas.dave.email = ""
    personas.dave.save()
    web = WebClient()
    login_as(web, personas.alice)
    answer = web.post(f"/me/staff/clients/{personas.dave.pk}/access/", {"action": "invite"})
    assert b"no email address" in answer.content
    assert not AccessToken.objects.filter(purpose=Purpose.PORTAL_SIGNIN).exists()


@pytest.mark.parametrize(
    ("pin", "ok"),
    [("482915", True), ("90817263", True), ("111111", False), ("987654", False), ("12a456", False)],
)
def test_pin_rules(pin: str, ok: bool) -> None:
    assert (signin.pin_problem(pin) is None) is ok


def test_the_invitation_is_in_the_clients_language(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    personas.bob.language = "fr"
    personas.bob.save(update_fields=["language"])
    invite(personas, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.subject == "Riverside : votre lien de connexion"
    assert "Bonjour" in message.body and "NIP" in message.body


def test_opening_the_link_shows_the_pin_page_in_the_clients_language(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    personas.bob.language = "fr"
    personas.bob.save(update_fields=["language"])
    web = open_link(invite(personas, django_capture_on_commit_callbacks))
    page = web.get("/me/in/")
    assert b"Choisissez votre NIP" in page.content and b'lang="fr' in page.content


def test_the_caseload_row_menu_leads_to_the_clients_portal_access(personas: Any) -> None:
    web = WebClient()
    login_as(web, personas.alice)
    page = web.get("/practice/caseload/").content.decode()
    assert f'href="/me/staff/clients/{personas.bob.pk}/access/"' in page
    assert "Portal access" in page
