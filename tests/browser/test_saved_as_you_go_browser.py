"""Saved as you go, on a phone (issue 12): each tap is saved, a reload keeps it, a risk
answer tapped opens the flag before Next, and without JavaScript Next still works."""

from __future__ import annotations

from typing import Any

import pytest
from test_checkin_browser import agree_to_consent, answer_first_checkin, checkin_url

from personas import make_personas
from plusone.clinical.models import Flag
from plusone.measures.models import CheckinDraft

pytestmark = pytest.mark.browser

GOALS = {"goal_1": 4, "goal_2": 6}
PHQ9 = dict(zip([f"phq9_{i}" for i in range(1, 10)], [1, 1, 2, 2, 1, 2, 1, 1, 0], strict=True))


def tap(page: Any, instrument: str, answers: dict[str, int]) -> None:
    """Tap each answer and wait for its save to come back."""
    for item_id, value in answers.items():
        with page.expect_response("**/checkin/answer/") as saved:
            page.check(f"#{instrument}__{item_id}-{value}")
        assert saved.value.status == 200, saved.value.status


def assert_chosen(page: Any, instrument: str, answers: dict[str, int]) -> None:
    for item_id, value in answers.items():
        assert page.is_checked(f"#{instrument}__{item_id}-{value}"), (item_id, value)


def test_it_keeps_tapped_answers_through_a_reload_on_a_phone(
    live_server: Any, phone_page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    url = checkin_url(live_server, p)
    phone_page.goto(url)
    agree_to_consent(phone_page)
    phone_page.get_by_text("Part 1 of 2").wait_for()
    tap(phone_page, "personal_goals", GOALS)
    phone_page.get_by_role("button", name="Next").click()
    phone_page.get_by_text("Part 2 of 2").wait_for()
    tap(phone_page, "phq9", PHQ9)
    assert (
        phone_page.get_by_role("status").last.text_content().strip()
        == "Answer to question 9 saved."
    )
    phone_page.reload()
    phone_page.get_by_text("Part 2 of 2").wait_for()
    assert_chosen(phone_page, "phq9", PHQ9)
    # Not the browser's memory of the form: a fresh page from the same link shows them too.
    fresh = phone_page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        other = fresh.new_page()
        other.goto(url)
        other.get_by_text("Part 2 of 2").wait_for()
        assert_chosen(other, "phq9", PHQ9)
    finally:
        fresh.close()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(phone_page) == []
    phone_page.get_by_role("button", name="Send my answers").click()
    phone_page.get_by_text("Your answers are saved").wait_for()
    assert csp_watch.violations == []


def test_a_tapped_risk_answer_opens_the_flag_and_next_shows_the_response(
    live_server: Any, phone_page: Any
) -> None:
    p = make_personas()
    answer_first_checkin(p)
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    phone_page.get_by_text("Part 1 of 3").wait_for()
    tap(phone_page, "personal_goals", GOALS)
    phone_page.get_by_role("button", name="Next").click()
    phone_page.get_by_text("Part 2 of 3").wait_for()
    tap(phone_page, "phq9", {**PHQ9, "phq9_9": 2})
    # Open before any Next, and the page has not moved.
    assert Flag.objects.get(client=p.bob).grade == 2
    assert phone_page.url.endswith("/checkin/")
    phone_page.get_by_role("button", name="Next").click()
    phone_page.wait_for_url("**/checkin/safety/")
    phone_page.get_by_text("This form is not watched in real time.").wait_for()


def test_next_still_works_without_javascript(live_server: Any, browser: Any) -> None:
    p = make_personas()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    saves: list[str] = []
    try:
        nojs = context.new_page()
        nojs.on("request", lambda r: saves.append(r.url) if "/checkin/answer/" in r.url else None)
        nojs.goto(checkin_url(live_server, p))
        agree_to_consent(nojs)
        for item_id, value in GOALS.items():
            nojs.check(f"#personal_goals__{item_id}-{value}")
        nojs.get_by_role("button", name="Next").click()
        nojs.get_by_text("Part 2 of 2").wait_for()
    finally:
        context.close()
    assert saves == []
    draft = CheckinDraft.objects.get()
    assert draft.answers["personal_goals"] == GOALS
