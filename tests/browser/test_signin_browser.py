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
    _shot(page, f"signin-choose-{lang}-{width}.png")
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
    _shot(page, f"signin-pin-{lang}-{width}.png")
    assert axe(page) == []
    page.get_by_label(words["pin"]).fill("482915")
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.wait_for_url(f"{base}/me/")
    page.get_by_role("heading", name=words["hello"]).wait_for()
    assert csp_watch.violations == []
