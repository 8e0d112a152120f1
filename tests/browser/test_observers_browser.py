"""Observers in the browser (issue 13): Bob invites then revokes an observer from his
portal; Olive completes the observer form; Alice sees the S2 view on Bob's journey. Phone
and desktop, English and French; screenshots into SHOTS when it is set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client as WebClient
from django.utils import timezone

from personas import login_as, make_personas
from portal_fixtures import portal_web

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("PLUSONE_SHOTS", "")
SIZES = {"phone": 390, "desktop": 1366}
if SHOTS:
    # The screenshot pass adds a tablet's width.
    SIZES["tablet"] = 820
WORDS = {
    "en": {
        "invite": "Send the invitation",
        "heading": "People who see the change",
        "send": "Send my answers",
        "thanks": "Thank you",
        "adult": "I am 18 or older",
    },
    "fr": {
        "invite": "Envoyer l'invitation",
        "heading": "Les personnes qui voient le changement",
        "send": "Envoyer mes réponses",
        "thanks": "Merci",
        "adult": "J'ai 18 ans ou plus",
    },
}


def _context(browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context


def _cookie(context: Any, base: str, web: WebClient) -> None:
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _bob_speaks(p: Any, language: str) -> None:
    from plusone.clinical.models import Client

    Client.objects.filter(pk=p.bob.pk).update(language=language)
    p.bob.language = language


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", list(SIZES))
def test_bob_invites_then_revokes_an_observer(
    live_server: Any, browser: Any, csp_watch: Any, size: str, language: str
) -> None:
    from plusone.observers.models import Observer

    p = make_personas()
    _bob_speaks(p, language)
    context = _context(browser, SIZES[size])
    try:
        _cookie(context, live_server.url, portal_web(p.bob))
        page = context.new_page()
        page.on("console", csp_watch)
        page.goto(f"{live_server.url}/me/observers/")
        assert page.locator("html").get_attribute("lang", timeout=1000).startswith(language)
        assert page.get_by_role("heading", level=1).inner_text() == WORDS[language]["heading"]
        page.locator("#id_label").fill("Tom, my brother")
        page.locator("#id_email").fill("tom@observer.example")
        page.locator("#id_relationship").select_option("family")
        page.locator("#id_discussed").check()
        _shot(page, f"portal-observers-invite-{language}-{SIZES[size]}")
        page.get_by_role("button", name=WORDS[language]["invite"]).click()
        page.wait_for_load_state()
        assert "Tom, my brother" in page.content()
        _shot(page, f"portal-observers-invited-{language}-{SIZES[size]}")
        tom = Observer.objects.get(email="tom@observer.example")
        page.locator(f"form[action$='/observers/{tom.pk}/revoke/'] button").click()
        page.wait_for_load_state()
        tom.refresh_from_db()
        assert tom.revoked_at is not None
        assert "Tom, my brother" not in page.locator(".observer-list").inner_text()
        assert csp_watch.violations == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", list(SIZES))
def test_olive_completes_the_observer_form(
    live_server: Any, browser: Any, csp_watch: Any, size: str, language: str
) -> None:
    from plusone.observers.models import ObserverRound

    p = make_personas()
    _bob_speaks(p, language)
    context = _context(browser, SIZES[size])
    try:
        page = context.new_page()
        page.on("console", csp_watch)
        page.goto(f"{live_server.url}/o/{p.olive_token}")
        assert page.url.endswith("/observer/"), page.url
        assert page.locator("html").get_attribute("lang").startswith(language)
        for n, value in enumerate((8, 7, 9, 6, 8)):
            fieldset = page.locator("fieldset.ci-question").nth(n)
            fieldset.locator(f"input[value='{value}']").check()
        page.locator("#id_text").fill("He laughs more at dinner.")
        page.get_by_label(WORDS[language]["adult"]).check()
        _shot(page, f"observer-form-{language}-{SIZES[size]}")
        page.get_by_role("button", name=WORDS[language]["send"]).click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == WORDS[language]["thanks"]
        row = ObserverRound.objects.get()
        assert row.administration.total == 7.6
        assert row.language == language
        page.goto(f"{live_server.url}/o/{p.olive_token}")
        _shot(page, f"observer-inactive-{language}-{SIZES[size]}")
        assert csp_watch.violations == []
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_sees_the_s2_view_on_bobs_journey(
    live_server: Any, browser: Any, csp_watch: Any, size: str
) -> None:
    from plusone.clinical.models import Decision, Phase
    from plusone.observers import actions
    from plusone.tokens.service import resolve

    p = make_personas()
    episode = p.bob.episodes.get()
    with transaction.atomic():
        Decision.objects.create(
            practice=p.riverside,
            episode=episode,
            phase=Phase.DEEPENING,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(),
            recorded_by=p.alice,
            options_discussed=["go_deeper"],
            focus="to stop bracing for disappointment",
            present=["client", "therapist"],
            confirmation=Decision.Confirmation.IN_SESSION,
            confirmation_text="BB",
            confirmed_on=timezone.localdate(),
        )
    actions.submit_round(
        token=resolve(p.olive_token, "observer"),
        answers={
            "observed_at_ease": 8,
            "observed_acts_on_values": 7,
            "observed_says_needs": 9,
            "observed_bounces_back": 6,
            "observed_takes_part": 8,
        },
        text="",
        language="en",
    )
    context = _context(browser, SIZES[size])
    try:
        web = WebClient()
        login_as(web, p.alice)
        _cookie(context, live_server.url, web)
        page = context.new_page()
        page.on("console", csp_watch)
        page.goto(f"{live_server.url}/practice/episodes/{episode.pk}/journey/")
        section = page.locator("[data-section='s2']")
        assert "Those around me see it" in section.inner_text()
        assert "I am different" in section.inner_text()
        assert "Seems more at ease with people close to them" in section.inner_text()
        section.scroll_into_view_if_needed()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            section.screenshot(path=str(Path(SHOTS) / f"journey-s2-{SIZES[size]}.png"))
        assert csp_watch.violations == []
    finally:
        context.close()
