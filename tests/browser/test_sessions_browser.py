"""The session list and the week of sessions in a real browser, at 1366 and 390 px."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone import tokens
from plusone.clinical import actions
from plusone.insights.week import monday_of
from plusone.measures.models import Sitting
from plusone.tokens.models import AccessToken

pytestmark = pytest.mark.browser

# Set to a folder to keep the screenshots (for looking at them); unset, none are written.
SHOTS = os.environ.get("PLUSONE_SHOTS_DIR", "")
WIDTHS = (390, 820, 1366)


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _a_week_of_sessions(p: Any) -> dt.date:
    """Next week's sessions for Bob and Dave (one checked in, one with a link sent), and
    Bob's past ones, attended and not. Returns next week's Monday."""
    monday = monday_of(timezone.localdate()) + dt.timedelta(days=7)
    for days, hour, person in ((0, 9, p.bob), (0, 11, p.dave), (2, 14, p.bob), (4, 16, p.dave)):
        actions.add_session(
            user=p.alice, client=person, starts_at=_at(monday + dt.timedelta(days), hour)
        )
    for weeks_ago, attended in ((3, True), (2, True), (1, False)):
        day = monday - dt.timedelta(days=7 * (weeks_ago + 1))
        session = actions.add_session(
            user=p.alice, client=p.bob, starts_at=_at(day, 9), attended=True
        )
        if not attended:
            actions.mark_attendance(user=p.alice, session=session, status="no_show", base_version=1)
    episode = p.dave.episodes.get()
    # The link and the check-in fall the day before next week, inside both sessions'
    # windows whatever the hour this runs (on a Monday before 9:00 in Toronto, "now" is
    # more than seven days before next Monday's first session, and outside its window).
    before = _at(monday - dt.timedelta(days=1), 12)
    _, token = tokens.issue(
        "checkin", practice=p.riverside, client=p.dave, episode=episode, ttl=dt.timedelta(days=7)
    )
    AccessToken.objects.filter(pk=token.pk).update(
        created_at=before, expires_at=before + dt.timedelta(days=7)
    )
    Sitting.objects.create(
        practice=p.riverside,
        client=p.bob,
        episode=p.bob.episodes.get(),
        context="checkin",
        status="completed",
        idempotency_key="week-browser",
        started_at=before,
        completed_at=before,
    )
    return monday


def _fits(page: Any) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _look(page: Any, name: str, width: int) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


def test_it_adds_a_session_and_marks_one_at_1366_and_fits_every_width(
    live_server: Any, browser: Any, axe: Any, csp_watch: Any
) -> None:
    p = make_personas()
    monday = _a_week_of_sessions(p)
    sessions = live_server.url + reverse("clinical:sessions", kwargs={"client_id": p.bob.pk})
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    _sign_in(context, live_server.url, p.alice)
    page = context.new_page()
    page.on("console", csp_watch)
    page.goto(sessions)
    later = monday + dt.timedelta(days=3)
    page.fill("#id_date", later.isoformat())
    page.fill("#id_time", "13:00")
    page.click("text=Add the session")
    assert "Session added." in page.inner_text(".messages")
    # The one date format (web/formats): "Thu 10 Dec 2026".
    assert f"{later:%a} {later.day} {later:%b %Y}" in page.inner_text("main")
    # The no-show from a week ago, corrected to attended: its note becomes reachable.
    page.locator(".session-no_show button[value=attended]").click()
    assert "Marked attended." in page.inner_text(".messages")
    assert page.locator(".session-attended a", has_text="Session note").count() == 3
    assert axe(page) == []
    assert csp_watch.violations == []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(sessions)
        assert _fits(page), f"the session list overflows at {width} px"
        _look(page, "sessions", width)
    context.close()


def test_it_shows_the_week_as_a_list_at_390_with_each_check_in_state(
    live_server: Any, browser: Any, axe: Any, csp_watch: Any
) -> None:
    p = make_personas()
    monday = _a_week_of_sessions(p)
    url = f"{live_server.url}{reverse('insights:week')}?week={monday.isoformat()}"
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 844})
        _sign_in(context, live_server.url, p.alice)
        page = context.new_page()
        page.on("console", csp_watch)
        page.goto(url)
        items = page.locator(".week-day .session-item")
        assert items.count() == 4
        states = page.locator(".checkin-state").all_inner_texts()
        assert "Done" in states and "Sent" in states
        assert _fits(page), f"the week overflows at {width} px"
        if width == 390:
            # A list: each session as wide as the page, one under the other.
            boxes = [items.nth(i).bounding_box() for i in range(2)]
            assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1
            assert boxes[0]["width"] > 300
            page.click("text=Next week →")
            assert page.locator(".week-day .session-item").count() == 0
            page.go_back()
        assert axe(page) == []
        _look(page, "week", width)
        context.close()
    assert csp_watch.violations == []
