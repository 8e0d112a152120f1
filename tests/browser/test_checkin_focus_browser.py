"""After a check-in page is sent with answers missing, focus lands on the error summary, so
that a screen reader reads it first and a keyboard starts from it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from personas import make_personas
from plusone.measures import actions

pytestmark = pytest.mark.browser


def test_it_moves_focus_to_the_error_summary(
    live_server: Any, phone_page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    phone_page.goto(live_server.url + issued.url.removeprefix(settings.SITE_URL))
    phone_page.get_by_role("button", name="I agree, continue").click()
    phone_page.get_by_text("Part 1 of 2").wait_for()
    phone_page.check("#personal_goals__goal_1-4")
    phone_page.get_by_role("button", name="Next").click()
    phone_page.get_by_text("Part 2 of 2").wait_for()
    phone_page.check("#phq9__phq9_1-1")
    phone_page.get_by_role("button", name="Send my answers").click()
    phone_page.get_by_text("Please check 8 answers").wait_for()
    focused = phone_page.evaluate("document.activeElement.className")
    assert focused == "ci-error-summary"
    assert axe(phone_page) == []
    assert csp_watch.violations == []
