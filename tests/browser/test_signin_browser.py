"""Portal sign-in in a real browser, on a phone (390 px) and a desktop (1366 px), in English
and French: the link and a new PIN at first; a later sign-in asks for the PIN; "leave
quickly" clears the session."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from personas import make_personas
from plusone.portal import signin

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/me/in/[A-Za-z0-9_-]+")
SHOTS = Path(os.environ.get("PLUSONE_SHOTS", "/tmp/shots-signin"))
WORDS = {
    "en": {
        "choose": "Choose your PIN",
        "type": "Type your PIN",
        "hello": "Hello, Bob",
        "pin": "Your PIN",
        "new_pin": "Choose a PIN",
        "again": "Type the same PIN again",
        "save": "Save my PIN and sign in",
        "sign_in": "Sign in",
        "leave": "Leave quickly",
        "email": "Your email address",
        "send": "Send me a sign-in link",
        "sent": "Check your email",
    },
    "fr": {
        "choose": "Choisissez votre NIP",
        "type": "Tapez votre NIP",
        "hello": "Bonjour, Bob",
        "pin": "Votre NIP",
        "new_pin": "Choisissez un NIP",
        "again": "Tapez le même NIP de nouveau",
        "save": "Enregistrer mon NIP et me connecter",
        "sign_in": "Connexion",
        "leave": "Partir vite",
        "email": "Votre adresse courriel",
        "send": "M'envoyer un lien de connexion",
        "sent": "Vérifiez vos courriels",
    },
}


def _last_link(base: str) -> str:
    return LINK.findall(mail.outbox[-1].body)[-1].replace(settings.SITE_URL, base)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _at_every_width(page: Any, name: str, width: int) -> None:
    """Screenshots at 390, 820 and 1366 px (once, from the phone run); nothing scrolls
    sideways at any of them. The page is left at ``width``."""
    for each in (390, 820, 1366) if width == 390 else (width,):
        page.set_viewport_size({"width": each, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= each, each
        _shot(page, f"{name}-{each}.png")
    page.set_viewport_size({"width": width, "height": 900})


@pytest.mark.parametrize(("width", "lang"), [(390, "en"), (1366, "fr"), (390, "fr"), (1366, "en")])
def test_a_client_signs_in_with_the_link_and_a_pin_then_leaves_quickly(
    live_server: Any, page: Any, csp_watch: Any, axe: Any, width: int, lang: str
) -> None:
    words = WORDS[lang]
    p = make_personas()
    p.bob.language = lang
    p.bob.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": 900})
    base = live_server.url
    signin.invite(acting_user=p.alice, client=p.bob)

    # First sign-in: the link, then a PIN of the client's own.
    page.goto(_last_link(base))
    assert page.url == f"{base}/me/in/"
    page.get_by_role("heading", name=words["choose"]).wait_for()
    assert page.locator("html").get_attribute("lang", timeout=1000).startswith(lang)
    _at_every_width(page, f"signin-choose-{lang}", width)
    assert axe(page) == []
    page.get_by_label(words["new_pin"]).fill("123456")
    page.get_by_label(words["again"]).fill("123456")
    page.get_by_role("button", name=words["save"]).click()
    page.locator(".errorlist").wait_for()
    page.get_by_label(words["new_pin"]).fill("482915")
    page.get_by_label(words["again"]).fill("482915")
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(f"{base}/me/")
    page.get_by_role("heading", name=words["hello"]).wait_for()
    _shot(page, f"portal-home-{lang}-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Leave quickly: at once to a neutral page, and the session is gone.
    page.get_by_role("link", name=words["leave"]).click()
    page.wait_for_url(lambda url: "/me/" not in url)
    assert "PlusOne" not in page.content()
    page.goto(f"{base}/me/")
    assert page.url == f"{base}/me/signin/"
    # Nothing of the session is left, its language included: a French client switches back.
    if lang == "fr":
        page.get_by_role("button", name="Français").click()

    # A later sign-in: ask for a link by address; the link asks for the PIN.
    page.get_by_label(words["email"]).fill("bob@client.example")
    page.get_by_role("button", name=words["send"]).click()
    page.get_by_role("heading", name=words["sent"]).wait_for()
    _shot(page, f"signin-sent-{lang}-{width}.png")
    page.goto(_last_link(base))
    page.get_by_role("heading", name=words["type"]).wait_for()
    _at_every_width(page, f"signin-pin-{lang}", width)
    assert axe(page) == []
    page.get_by_label(words["pin"]).fill("482915")
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.wait_for_url(f"{base}/me/")
    page.get_by_role("heading", name=words["hello"]).wait_for()
    assert csp_watch.violations == []


def _portal_cookie(context: Any, base: str, person: Any) -> None:
    """A portal session for ``person`` in the browser, as session.begin leaves it."""
    from django.test import Client as WebClient

    from portal_fixtures import portal_web

    web = portal_web(person, WebClient())
    key = web.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": base}])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_home_lists_a_check_in_due_at_every_width(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any, lang: str
) -> None:
    from plusone.measures import actions

    p = make_personas()
    p.bob.language = lang
    p.bob.save(update_fields=["language"])
    actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    _portal_cookie(context, live_server.url, p.bob)
    page.goto(f"{live_server.url}/me/")
    skip = {"en": "Skip today", "fr": "Passer pour aujourd'hui"}[lang]
    page.get_by_role("button", name=skip).wait_for()
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        _shot(page, f"portal-home-due-{lang}-{width}.png")
    assert axe(page) == []
    page.get_by_role("button", name=skip).click()
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.get_by_role("button", name=skip).count() == 0
    _shot(page, f"portal-home-skipped-{lang}-1366.png")
    assert csp_watch.violations == []


def test_the_therapists_portal_access_page(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any
) -> None:
    from personas import sign_in_browser

    p = make_personas()
    sign_in_browser(context, live_server.url, p.alice)
    page.goto(f"{live_server.url}/me/staff/clients/{p.bob.pk}/access/")
    page.get_by_role("button", name="Send the portal invitation").click()
    page.get_by_text("A sign-in link is on its way").wait_for()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@client.example"]
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"portal-access-staff-{width}.png")
    assert axe(page) == []
    assert csp_watch.violations == []
