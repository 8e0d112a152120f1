"""The screens row and the check-in choices in a real browser: at 390, 820 and 1366 px no
text leaves its box and nothing scrolls sideways, and axe finds nothing.

Screenshots go to pytest's temporary folder (``--basetemp`` to keep them), never to a
tracked file.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from journey_fixtures import AUDITC_3, GAD7_12, K10_HOPELESS, PCL5_40, give_screen
from personas import login_as, make_personas
from plusone.measures.choice_actions import request_review_screens

pytestmark = pytest.mark.browser

WIDTHS = (390, 820, 1366)
# Elements (outside tables and charts, which scroll in their own region) whose box ends past
# the viewport's right edge.
OVERFLOWING = """(width) => Array.from(document.querySelectorAll('main *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !e.closest('.table-wrap') && !e.closest('svg');
}).map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def test_it_fits_the_screens_row_and_the_choices_at_every_width(
    live_server: Any, context: Any, page: Any, axe: Any, tmp_path: Any
) -> None:
    p = make_personas()
    episode = p.bob.episodes.get()
    for key, answers in (
        ("gad7", GAD7_12),
        ("pcl5", PCL5_40),
        ("auditc", AUDITC_3),
        ("k10", K10_HOPELESS),
    ):
        give_screen(episode, key, answers, days_ago=5)
    request_review_screens(user=p.alice, episode=episode, keys=["auditc"])
    _sign_in(context, live_server.url, p.alice)
    for name in ("insights:session_card", "insights:journey", "measures:plan_editor"):
        page.goto(live_server.url + reverse(name, args=[episode.pk]))
        if name != "measures:plan_editor":
            page.get_by_text("Review cue").wait_for()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
            assert page.evaluate(OVERFLOWING, width) == [], (name, width)
            page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        assert axe(page) == [], name
