"""Follow-ups after an Ending in a real browser (issue 14): a French client reads their
check-ins after finishing and the offer of a session in the portal, and Alice reads them
after the Ending line of the journey; nothing scrolls sideways or clips, and axe finds
nothing. Screenshots go to pytest's temporary folder, or to $PLUSONE_SHOTS when set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from browser.test_portal_journey_browser import OVERFLOWING, _shots
from journey_fixtures import give_history
from personas import make_personas, sign_in_browser
from plusone.clinical.models import Client
from plusone.insights import decisions
from plusone.measures.actions.followups import invite_follow_up, record_follow_up_consent
from plusone.measures.models import FollowUp
from portal_fixtures import portal_web
from web.test_follow_ups import HIGH, walk

pytestmark = pytest.mark.browser


def _followed_up() -> Any:
    """Bob's Ending confirmed 3 weeks ago (after his +1 decision), with consent; his 3-month
    follow-up brought forward to today (the months themselves: tests/web/test_follow_ups.py)
    and answered high."""
    p = make_personas()
    episode = p.bob.episodes.get()
    give_history(episode, n=12, skipped=5, decision_session=6, rupture_session=9)
    record_follow_up_consent(acting_user=p.alice, client=p.bob, agree=True)
    ended = timezone.localdate() - dt.timedelta(days=3)
    decisions.record_decision(
        user=p.alice,
        episode=episode,
        data=decisions.DecisionData(
            kind="phase_change",
            phase="ending",
            decided_on=ended,
            options_discussed=["end_good_enough"],
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            discomfort_note="",
            focus="",
            present=["client", "therapist"],
            confirmation="spoken",
            confirmed_on=ended,
            reason="Held for months; we agreed to finish well.",
        ),
        today=timezone.localdate(),
    )
    row = FollowUp.objects.get(months=3)
    FollowUp.objects.filter(pk=row.pk).update(due_on=timezone.localdate())
    invite_follow_up(row.pk)
    issued = [line for line in mail.outbox[-1].body.splitlines() if line.startswith("http")]
    walk(WebClient(), issued[0], HIGH)
    Client.objects.filter(pk=p.bob.pk).update(language="fr")
    p.bob.refresh_from_db()
    return p


def _look(page: Any, shots: Path, name: str, axe: Any) -> None:
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        assert page.evaluate(OVERFLOWING, width) == [], width
        page.locator('[data-section="follow-ups"]').scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.locator('[data-section="follow-ups"]').screenshot(
            path=str(shots / f"{name}-section-{width}.png")
        )
    assert axe(page) == []


def test_bob_and_alice_read_the_follow_ups(
    live_server: Any, browser: Any, csp_watch: Any, axe: Any, tmp_path: Path
) -> None:
    from browser.conftest import _new_context

    p = _followed_up()
    shots = _shots(tmp_path)
    ctx = _new_context(browser, viewport={"width": 390, "height": 900})
    try:
        page = ctx.new_page()
        page.on("console", csp_watch)
        web = portal_web(p.bob)
        cookie = web.cookies[settings.SESSION_COOKIE_NAME].value
        ctx.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page.goto(live_server.url + reverse("portal:journey"))
        section = page.locator('[data-section="follow-ups"]').inner_text()
        assert "Suivis après la fin" in section
        assert "faire le point ensemble" in section
        _look(page, shots, "follow-ups-portal-fr", axe)
    finally:
        ctx.close()
    ctx = _new_context(browser, viewport={"width": 1366, "height": 900})
    try:
        page = ctx.new_page()
        sign_in_browser(ctx, live_server.url, p.alice)
        page.goto(live_server.url + f"/practice/episodes/{p.bob.episodes.get().pk}/journey/")
        section = page.locator('[data-section="follow-ups"]').inner_text()
        assert "3 months, due" in section and "done, PHQ-9 15" in section
        _look(page, shots, "follow-ups-journey", axe)
    finally:
        ctx.close()
    assert csp_watch.violations == []
