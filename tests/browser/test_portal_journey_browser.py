"""My journey in a real browser (issue 13): a client reads it, sets release timing and adds
a moment, on a phone and a desktop, in English and French; nothing scrolls sideways and
axe finds nothing.

Screenshots go to pytest's temporary folder, or to $PLUSONE_SHOTS when it is set.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from journey_fixtures import give_history
from personas import TODAY, intake_data, make_personas
from plusone.clinical import actions
from plusone.clinical.models import Client
from portal_fixtures import portal_web

pytestmark = pytest.mark.browser

INTENTION = (
    "I want to stop waking at four every morning with my chest tight, and feel that the day "
    "belongs to me again."
)
GOALS = [
    "Sleep through the night at least four nights a week without lying awake going over work",
    "Tell my sister plainly what I need from her when she calls",
]
WORDS = {
    "en": {
        "title": "My journey",
        "moment": "Mark a moment that matters",
        "text": "The moment, in your own words",
        "when": "When it happened",
        "add": "Add the moment",
        "at_once": "As soon as I send them",
        "save": "Save my choice",
        "saved": "Your choice is saved.",
    },
    "fr": {
        "title": "Mon parcours",
        "moment": "Noter un moment qui compte",
        "text": "Le moment, dans vos propres mots",
        "when": "Quand c’est arrivé",
        "add": "Ajouter le moment",
        "at_once": "Dès que je les envoie",
        "save": "Enregistrer mon choix",
        "saved": "Votre choix est enregistré.",
    },
}
OVERFLOWING = """(width) => Array.from(document.querySelectorAll('main *')).filter(e => {
    if (e.closest('svg') || e.closest('.table-wrap')) return false;
    const r = e.getBoundingClientRect();
    const cut = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
    return r.width > 0 && (r.right > width + 1 || cut);
}).map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PLUSONE_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _signed_in(context: Any, base: str, person: Any) -> None:
    web = portal_web(person)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def _wren(language: str) -> Any:
    p = make_personas()
    data = intake_data(given_name="Wren", family_name="Tester", s2_intention=INTENTION, goals=GOALS)
    person = actions.intake_client(therapist=p.alice, practice=p.riverside, data=data, today=TODAY)
    give_history(person.episodes.get(), n=12, skipped=5, decision_session=6, rupture_session=9)
    Client.objects.filter(pk=person.pk).update(language=language)
    person.refresh_from_db()
    return person


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_client_reads_the_journey_sets_release_timing_and_adds_a_moment(
    live_server: Any,
    browser: Any,
    csp_watch: Any,
    axe: Any,
    tmp_path: Path,
    language: str,
    viewport: str,
) -> None:
    from browser.conftest import _new_context

    width = 390 if viewport == "phone" else 1366
    ctx = _new_context(
        browser,
        viewport={"width": width, "height": 900},
        **({"has_touch": True, "is_mobile": True} if viewport == "phone" else {}),
    )
    try:
        page = ctx.new_page()
        page.on("console", csp_watch)
        person = _wren(language)
        _signed_in(ctx, live_server.url, person)
        words = WORDS[language]
        page.goto(live_server.url + reverse("portal:journey"))
        assert page.locator("html").get_attribute("lang").startswith(language)
        assert page.locator("h1").inner_text() == words["title"]
        assert "feel that the day belongs to me again" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(OVERFLOWING, width) == []
        assert axe(page) == []

        page.get_by_label(words["at_once"]).check()
        page.get_by_role("button", name=words["save"]).click()
        assert words["saved"] in page.locator(".messages").inner_text()
        person.refresh_from_db()
        assert person.release_timing == "at_once"

        page.get_by_text(words["moment"]).click()
        page.get_by_label(words["text"]).fill("the day I walked by the river again")
        day = (TODAY - dt.timedelta(days=15)).isoformat()
        page.get_by_label(words["when"]).fill(day)
        page.get_by_role("button", name=words["add"]).click()
        assert "the day I walked by the river again" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert csp_watch.violations == []
        shots = _shots(tmp_path)
        for shot in (390, 820, 1366):
            page.set_viewport_size({"width": shot, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= shot, shot
            page.screenshot(path=str(shots / f"journey-{language}-{shot}.png"), full_page=True)
        page.goto(live_server.url + reverse("portal:bring"))
        assert axe(page) == []
        for shot in (390, 1366):
            page.set_viewport_size({"width": shot, "height": 900})
            page.screenshot(path=str(shots / f"bring-{language}-{shot}.png"), full_page=True)
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_therapist_reads_the_moment_and_the_note_and_marks_results_looked_at(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any, tmp_path: Path, width: int
) -> None:
    from personas import sign_in_browser
    from plusone.clinical.actions.journey_notes import add_moment, set_bring_note
    from plusone.clinical.models import Session
    from plusone.measures.models import Sitting

    person = _wren("en")
    episode = person.episodes.get()
    add_moment(
        episode=episode,
        text="the day I walked by the river again",
        happened_on=TODAY - dt.timedelta(days=15),
        today=TODAY,
    )
    upcoming = Session.objects.get(episode=episode, status=Session.Status.SCHEDULED)
    set_bring_note(client=person, session=upcoming, text="My sister's visit, and sleeping again.")
    Sitting.objects.create(
        practice_id=episode.practice_id,
        client=person,
        episode=episode,
        context="checkin",
        status="completed",
        idempotency_key="browser-unreviewed",
        started_at=upcoming.starts_at - dt.timedelta(days=5),
        completed_at=upcoming.starts_at - dt.timedelta(days=5),
    )
    therapist = person.therapist
    sign_in_browser(context, live_server.url, therapist)
    page.set_viewport_size({"width": width, "height": 900})
    shots = _shots(tmp_path)
    page.goto(live_server.url + reverse("insights:session_card", args=[episode.pk]))
    assert "My sister's visit, and sleeping again." in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(shots / f"card-bring-{width}.png"), full_page=True)
    page.goto(live_server.url + reverse("insights:journey", args=[episode.pk]))
    assert "the day I walked by the river again" in page.locator("main").inner_text()
    page.get_by_role("button", name="We looked at the results together").click()
    assert "Everything so far has been looked at together." in page.locator("main").inner_text()
    page.locator('[data-section="moments"]').screenshot(
        path=str(shots / f"therapist-moments-{width}.png")
    )
    assert csp_watch.violations == []
