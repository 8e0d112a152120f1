"""The check-in in French in a real browser (issue 13, French): a French-speaking client
completes it on a phone, the goals in French from their data file, PHQ-9 in English with
the note (no validated French offered yet), each administration's language stored; axe
finds nothing on the French check-in's states."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from personas import make_personas
from plusone.measures import actions
from plusone.measures.models import Administration

pytestmark = pytest.mark.browser

# Set to a folder to keep the screenshots (for looking at them); unset, none are written.
SHOTS = os.environ.get("PLUSONE_SHOTS_DIR", "")
WIDTHS = (390, 820, 1366)
NOTE = "Ces questions n'ont pas de version française validée"


def _french_bob() -> Any:
    p = make_personas()
    p.bob.language = "fr"
    p.bob.save(update_fields=["language"])
    return p


def _link(live_server: Any, p: Any) -> str:
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    return live_server.url + issued.url.removeprefix(settings.SITE_URL)


def _shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-fr-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def test_a_french_speaking_client_completes_the_checkin_on_a_phone(
    live_server: Any, phone_page: Any, csp_watch: Any, axe: Any
) -> None:
    p = _french_bob()
    page = phone_page
    page.goto(_link(live_server, p))
    page.wait_for_url("**/checkin/consent/")
    assert page.locator("html").get_attribute("lang") == "fr-CA"
    assert axe(page) == []
    page.get_by_role("button", name="J'accepte, continuer").click()
    page.get_by_text("Partie 1 sur 2").wait_for()
    page.get_by_text("Où en êtes-vous par rapport à chacun de vos objectifs").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(page) == []
    _shoot(page, "checkin-goals")
    page.check("#personal_goals__goal_1-4")
    page.check("#personal_goals__goal_2-6")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_text("Partie 2 sur 2").wait_for()
    page.get_by_text(NOTE).wait_for()
    assert page.locator("h1").get_attribute("lang") == "en"
    assert page.locator("legend span[lang=en]").first.inner_text().startswith("Little interest")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(page) == []
    _shoot(page, "checkin-english-only")
    for i, value in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 0], start=1):
        page.check(f"#phq9__phq9_{i}-{value}")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_url("**/checkin/done/")
    page.get_by_text("Vos réponses sont enregistrées").first.wait_for()
    assert axe(page) == []
    _shoot(page, "checkin-done")
    stored = {a.instrument_key: a for a in Administration.objects.filter(client=p.bob)}
    assert (stored["personal_goals"].language, stored["phq9"].language) == ("fr", "en")
    assert stored["phq9"].total == 11
    assert csp_watch.violations == []


def test_it_finds_no_axe_violations_in_the_french_checkin_states(
    live_server: Any, browser: Any, axe: Any
) -> None:
    p = _french_bob()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    failures: list[str] = []

    def check(label: str) -> None:
        assert page.locator("html").get_attribute("lang") == "fr-CA", label
        failures.extend(f"{label}: {v['id']} {v['help']} {v['nodes']}" for v in axe(page))

    link = _link(live_server, p)
    page.goto(link)
    check("consent")
    page.get_by_role("button", name="J'accepte, continuer").click()
    page.get_by_text("Partie 1 sur 2").wait_for()
    page.check("#personal_goals__goal_1-4")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_text("Partie 2 sur 2").wait_for()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_text("Veuillez vérifier").wait_for()
    check("group with errors, English items with the note")
    for i, value in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 1], start=1):
        page.check(f"#phq9__phq9_{i}-{value}")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_url("**/checkin/done/")
    check("acknowledgement with the safety plan")
    page.goto(link)
    check("used link")
    context.close()
    assert failures == []
