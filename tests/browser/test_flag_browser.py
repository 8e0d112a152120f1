"""A flag on the before-session card says what to do, and is acknowledged there, at a
laptop's width and a phone's (Chromium, strict CSP; issue 12)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from journey_fixtures import give_history
from personas import login_as, make_personas

pytestmark = pytest.mark.browser

ITEM_9 = "Thoughts that you would be better off dead or of hurting yourself in some way"


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _open_flag(episode: Any) -> Any:
    from plusone.clinical import actions

    with transaction.atomic():
        return actions.open_flag(
            episode=episode,
            grade=2,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
            instrument_key="phq9",
            item_id="phq9_9",
            answer=2,
        )


@pytest.mark.parametrize("width", [1366, 390])
def test_it_shows_the_flag_on_the_card_and_acknowledges_it_there(
    live_server: Any, browser: Any, csp_watch: Any, axe: Any, width: int
) -> None:
    from plusone.clinical.models import Flag

    p = make_personas()
    episode = p.bob.episodes.get()
    give_history(episode, n=12, skipped=9, decision_session=6, rupture_session=8)
    flag = _open_flag(episode)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    try:
        _sign_in(context, live_server.url, p.alice)
        page = context.new_page()
        page.on("console", csp_watch)
        card = live_server.url + reverse("insights:session_card", args=[episode.pk])
        page.goto(card)
        details = page.locator("article.flag-details")
        assert details.get_by_text(ITEM_9).is_visible()
        assert details.get_by_text("More than half the days").is_visible()
        assert details.get_by_text("The client was told it is read by").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe(page) == []

        page.get_by_label("Action note: what you did or will do").fill("Called Bob; safe tonight.")
        page.get_by_role("button", name="Acknowledge flag").click()
        page.get_by_text("Flag acknowledged.").wait_for()
        assert page.url == card
        assert page.get_by_text("None open.").is_visible()
        flag.refresh_from_db()
        assert flag.status == Flag.Status.ACKNOWLEDGED

        page.goto(live_server.url + reverse("insights:journey", args=[episode.pk]))
        timeline = page.locator("ul.timeline")
        assert timeline.get_by_text("Called Bob; safe tonight.").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe(page) == []
        assert csp_watch.violations == []
    finally:
        context.close()
