"""The client's own record in the portal, in a real browser (Chromium, strict CSP), on a
phone and a desktop, in English and French (issue 13): Bob edits a goal, disputes a point
and confirms a Deepening decision, and the phase changes only then."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from journey_fixtures import give_history
from personas import make_personas
from portal_fixtures import portal_web

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PLUSONE_SHOTS", "/tmp/shots-record"))
DESKTOP = {"width": 1366, "height": 900}
SIZES = {
    "390": {"width": 390, "height": 844},
    "820": {"width": 820, "height": 1180},
    "1366": DESKTOP,
}


def _decide(p: Any, episode: Any, phase: str, *, days_ago: int, confirmation: str) -> Any:
    from plusone.insights import decisions as actions

    on = timezone.localdate() - dt.timedelta(days=days_ago)
    deeper = phase == "deepening"
    return actions.record_decision(
        user=p.alice,
        episode=episode,
        data=actions.DecisionData(
            kind="phase_change",
            phase=phase,
            decided_on=on,
            options_discussed=["go_deeper", "continue", "end_good_enough"],
            discomfort_acknowledged=deeper,
            symptom_rise_acknowledged=deeper,
            discomfort_note="",
            focus="To stop bracing for disappointment with the people close to me"
            if deeper
            else "",
            present=["client", "therapist"],
            confirmation=confirmation,
            confirmed_on=on if confirmation == "spoken" else None,
        ),
        today=timezone.localdate(),
    )


def _world(language: str) -> tuple[Any, Any, Any]:
    p = make_personas()
    p.bob.language = language
    p.bob.save(update_fields=["language"])
    episode = p.bob.episodes.get()
    give_history(episode, n=12, skipped=7, decision_session=8, rupture_session=10)
    episode.decisions.all().delete()
    _decide(p, episode, "plus_one", days_ago=7, confirmation="spoken")
    deeper = _decide(p, episode, "deepening", days_ago=0, confirmation="pending")
    return p, episode, deeper


def _enter_portal(context: Any, base: str, person: Any) -> None:
    web = portal_web(person)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _no_horizontal_scroll(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, f"{page.url} scrolls sideways"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", ["390", "1366"])
def test_bob_edits_a_goal_disputes_a_point_and_confirms_deepening(
    live_server: Any, browser: Any, csp_watch: Any, axe: Any, language: str, size: str
) -> None:
    from plusone.clinical.models import EpisodeSummary, Goal
    from plusone.insights.decisions import agreed_phase
    from plusone.measures.models import Administration
    from plusone.rights.models import CorrectionRequest

    p, episode, deeper = _world(language)
    context = browser.new_context(
        viewport=SIZES[size], locale="fr-CA" if language == "fr" else "en-CA"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", csp_watch)
    try:
        _enter_portal(context, live_server.url, p.bob)
        base = live_server.url
        # My goals: reword goal 1.
        page.goto(base + "/me/goals/")
        assert page.locator("html").get_attribute("lang").startswith(language)
        assert axe(page) == []
        page.locator("#goal-text-1").fill("Sleep through most nights, most weeks")
        page.locator("#goal-text-1").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_url(base + "/me/goals/")
        assert page.locator("#goal-text-1").input_value() == "Sleep through most nights, most weeks"
        assert Goal.objects.filter(episode=episode, position=1).count() == 2
        _no_horizontal_scroll(page)
        # Notes and corrections: dispute a point.
        page.goto(base + "/me/record/")
        assert axe(page) == []
        page.locator("ul.points a").first.click()
        assert axe(page) == []
        page.locator("#id_dispute-text").fill("I answered this for the wrong week")
        page.locator("#id_dispute-text").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_url(base + "/me/record/")
        request = CorrectionRequest.objects.get(client=p.bob)
        assert request.status == "open" and request.due_on > request.received_on
        assert page.locator("ul.requests li").count() == 1
        # My decisions: the Deepening decision waits for Bob; the phase moves only on his yes.
        assert agreed_phase(episode) == "plus_one"
        page.goto(base + "/me/decisions/")
        assert axe(page) == []
        page.goto(base + f"/me/decisions/{deeper.pk}/")
        assert axe(page) == []
        _no_horizontal_scroll(page)
        page.locator("#id_note-text").fill("I want to go slowly")
        page.locator("#id_note-text").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_url(base + f"/me/decisions/{deeper.pk}/")
        assert agreed_phase(episode) == "plus_one"
        assert EpisodeSummary.objects.get(episode=episode).awaiting == "deepening"
        page.locator("#id_confirm-text").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_url(base + f"/me/decisions/{deeper.pk}/")
        assert agreed_phase(episode) == "deepening"
        summary = EpisodeSummary.objects.get(episode=episode)
        assert (summary.phase, summary.awaiting) == ("deepening", "")
        assert page.locator("#id_confirm-text").count() == 0
        assert Administration.objects.filter(client=p.bob).exists()
        assert csp_watch.violations == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots_of_the_record_pages(live_server: Any, browser: Any, language: str) -> None:
    from plusone.clinical.models import Consent
    from plusone.measures.models import Administration
    from plusone.rights import actions as rights
    from plusone.rights.models import CorrectionRequest

    p, episode, deeper = _world(language)
    web = portal_web(p.bob)
    web.post("/me/goals/", {"position": "1", "text": "Sleep through most nights, most weeks"})
    point = Administration.objects.filter(
        client=p.bob, instrument_key=episode.primary_instrument
    ).latest("completed_at")
    web.post(
        f"/me/record/points/{point.pk}/",
        {"action": "note", "note-text": "My mother was in hospital that week; I slept badly."},
    )
    web.post(
        f"/me/record/points/{point.pk}/",
        {"action": "dispute", "dispute-text": "I answered this for the wrong week."},
    )
    request = CorrectionRequest.objects.get(client=p.bob)
    rights.refuse_correction(
        user=p.erin,
        request=request,
        ground="s55_8",
        reason="The answers were recorded as they were given on that day.",
        today=timezone.localdate(),
    )
    from django.test import Client

    from personas import login_as

    alice = Client()
    login_as(alice, p.alice)
    alice.get(f"/practice/episodes/{episode.pk}/journey/")
    assert Consent.objects.filter(client=p.bob, kind="supervision").exists()
    pages = {
        "goals": "/me/goals/",
        "decisions": "/me/decisions/",
        "decision": f"/me/decisions/{deeper.pk}/",
        "record": "/me/record/",
        "point": f"/me/record/points/{point.pk}/",
        "correction": f"/me/record/requests/{request.pk}/",
        "access": "/me/access/",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport)
        try:
            _enter_portal(context, live_server.url, p.bob)
            page = context.new_page()
            for name, path in pages.items():
                page.goto(live_server.url + path)
                _no_horizontal_scroll(page)
                page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        finally:
            context.close()
    assert (SHOTS / f"access-{language}-1366.png").exists()
