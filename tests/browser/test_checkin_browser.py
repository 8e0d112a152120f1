"""The check-in in a real browser: issue a link, complete it on a phone, submit once,
the risk path, and kiosk mode on a tablet."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from personas import PASSWORD, make_personas, totp_code
from plusone.clinical.models import Flag
from plusone.measures import actions
from plusone.measures.models import Administration, Sitting

pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, user: Any, *, start: bool = True) -> None:
    """Sign a persona in through the real pages: password, then the TOTP code."""
    if start:
        page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', user.email)
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click('main button[type="submit"]')
    if posted.value.status == 403:
        pytest.fail(
            "The sign-in POST was refused (403, CSRF): under Referrer-Policy no-referrer "
            "Chromium sends 'Origin: null', which Django's CSRF origin check rejects.",
            pytrace=False,
        )
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.fill('input[name="code"]', totp_code(user))
    page.click('main button[type="submit"]')
    page.wait_for_url(lambda url: "/accounts/" not in url)


def sign_in_by_cookie(context: Any, base: str, user: Any) -> None:
    """Sign a persona in as MFA-verified without the pages (for tests about something else)."""
    from django.test import Client

    from personas import login_as

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def choose(page: Any, instrument: str, answers: dict[str, int]) -> None:
    for item_id, value in answers.items():
        page.check(f"#{instrument}__{item_id}-{value}")


def answer_checkin(page: Any, *, item9: int = 0, submit: bool = True) -> None:
    """Answer Bob's first check-in (his goals first, then PHQ-9) in the page."""
    page.get_by_text("Part 1 of 2").wait_for()
    # Own words first; Bob did not choose to see his goals' words on a link.
    page.get_by_text("Goal 1").wait_for()
    choose(page, "personal_goals", {"goal_1": 4, "goal_2": 6})
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Part 2 of 2").wait_for()
    phq9 = dict(
        zip([f"phq9_{i}" for i in range(1, 10)], [1, 1, 2, 2, 1, 2, 1, 1, item9], strict=True)
    )
    choose(page, "phq9", phq9)
    if submit:
        page.get_by_role("button", name="Send my answers").click()


def agree_to_consent(page: Any) -> None:
    """Agree on the consent page shown before the first check-in, as Bob would."""
    page.wait_for_url("**/checkin/consent/")
    page.get_by_role("button", name="I agree, continue").click()
    page.wait_for_url("**/checkin/")


def answer_first_checkin(p: Any) -> None:
    """Bob's first check-in, sent through the actions, so his next one also asks his
    secondary measure (GAD-7) after PHQ-9 (the default plan: alternate sessions)."""
    from plusone.measures.checkin import group_items

    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    draft = actions.open_draft(issued.token)
    answers = {}
    for key in draft.instruments:
        items = group_items(key, issued.token.episode_id, issued.token.practice_id).items
        answers[key] = {i.id: i.options[0].value for i in items if i.options and i.kind != "text"}
    actions.submit_checkin(link=issued.token, answers=answers)


def checkin_url(live_server: Any, p: Any) -> str:
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    return live_server.url + issued.url.removeprefix(settings.SITE_URL)


@pytest.mark.smoke
def test_it_lets_a_therapist_issue_a_link_that_a_client_completes_on_a_phone(
    live_server: Any, page: Any, phone_page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    sign_in(page, live_server.url, p.alice)
    page.goto(f"{live_server.url}/practice/caseload/")
    page.locator("tr[data-client='Bob Brown'] summary", has_text="Actions").click()
    page.get_by_role("button", name="Check-in link for Bob Brown").click()
    link = page.locator("#checkin-link").input_value()
    assert "/c/" in link
    assert axe(page) == []

    path = link.split("/c/", 1)[1]
    phone_page.goto(f"{live_server.url}/c/{path}")
    assert phone_page.url.endswith("/checkin/consent/")
    assert axe(phone_page) == []
    agree_to_consent(phone_page)
    assert phone_page.url.endswith("/checkin/")
    # Nothing overflows sideways on a 390 px phone.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    tap = phone_page.locator(".ci-option").first.bounding_box()
    assert tap["height"] >= 44
    answer_checkin(phone_page)
    phone_page.get_by_text("Your answers are saved").wait_for()
    assert phone_page.url.endswith("/checkin/done/")
    assert Administration.objects.get(client=p.bob, instrument_key="phq9").total == 11
    assert csp_watch.violations == []


def test_it_stores_a_double_tap_once(live_server: Any, phone_page: Any) -> None:
    p = make_personas()
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    answer_checkin(phone_page, submit=False)
    phone_page.get_by_role("button", name="Send my answers").dblclick()
    phone_page.get_by_text("Your answers are saved").wait_for()
    assert Sitting.objects.filter(client=p.bob).count() == 1
    assert Administration.objects.filter(client=p.bob, instrument_key="phq9").count() == 1


def test_it_stores_once_when_the_response_is_lost_and_the_client_retries(
    live_server: Any, phone_page: Any
) -> None:
    p = make_personas()
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    answer_checkin(phone_page, submit=False)
    lost: list[int] = []

    def lose_the_response(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            # The server handles the submit; the phone never hears back.
            route.fetch(max_redirects=0)
            lost.append(1)
            route.abort("failed")
        else:
            route.continue_()

    phone_page.route("**/checkin/", lose_the_response)
    with pytest.raises(Exception):  # noqa: B017 - the navigation fails, as on a lost network
        phone_page.get_by_role("button", name="Send my answers").click()
        phone_page.wait_for_url("**/checkin/done/", timeout=2000)
    phone_page.unroute("**/checkin/")
    phone_page.goto(f"{live_server.url}/checkin/")
    phone_page.get_by_text("Your answers are saved").wait_for()
    assert lost == [1]
    assert Sitting.objects.filter(client=p.bob).count() == 1


def test_it_shows_the_crisis_text_to_the_client_and_the_flag_to_the_therapist(
    live_server: Any, page: Any, phone_page: Any, axe: Any
) -> None:
    p = make_personas()
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    answer_checkin(phone_page, item9=2)
    phone_page.get_by_text("This form is not watched in real time.").wait_for()
    assert (
        phone_page.get_by_role("link", name="9-8-8 Suicide Crisis Helpline").get_attribute("href")
        == "tel:988"
    )
    assert axe(phone_page) == []
    assert Flag.objects.get(client=p.bob).grade == 2

    sign_in_by_cookie(page.context, live_server.url, p.alice)
    page.goto(f"{live_server.url}/practice/caseload/")
    page.get_by_text("Open flag").first.wait_for()
    # The flag says what was answered, not only its grade (issue 12).
    assert page.get_by_text("Grade 2: PHQ-9 item 9: More than half the days").count() == 1


def test_it_keeps_a_risk_answer_when_the_client_skips_the_rest_on_a_phone(
    live_server: Any, phone_page: Any, axe: Any
) -> None:
    # Issue 10's repro: item 9 "More than half the days", Next, then "Skip today".
    p = make_personas()
    answer_first_checkin(p)
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    phone_page.get_by_text("Part 1 of 3").wait_for()
    choose(phone_page, "personal_goals", {"goal_1": 4, "goal_2": 6})
    phone_page.get_by_role("button", name="Next").click()
    phone_page.get_by_text("Part 2 of 3").wait_for()
    phq9 = dict(zip([f"phq9_{i}" for i in range(1, 10)], [1, 1, 2, 2, 1, 2, 1, 1, 2], strict=True))
    choose(phone_page, "phq9", phq9)
    phone_page.get_by_role("button", name="Next").click()
    phone_page.wait_for_url("**/checkin/safety/")
    flag = Flag.objects.get(client=p.bob)
    assert (flag.status, flag.grade) == (Flag.Status.OPEN, 2)
    # The graded response comes right after that group, with the time it is read by.
    phone_page.get_by_text("This form is not watched in real time.").wait_for()
    phone_page.get_by_text("Your therapist reads it by").wait_for()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe(phone_page) == []
    phone_page.get_by_role("button", name="Continue").click()
    phone_page.get_by_text("Part 3 of 3").wait_for()
    phone_page.get_by_role("button", name="Skip today").click()
    phone_page.get_by_text("The answer you gave is saved").wait_for()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN
    assert Sitting.objects.filter(client=p.bob).latest("completed_at").risk_grade == 2


def test_it_shows_the_safety_plan_at_grade_1(live_server: Any, phone_page: Any) -> None:
    p = make_personas()
    phone_page.goto(checkin_url(live_server, p))
    agree_to_consent(phone_page)
    answer_checkin(phone_page, item9=1)
    phone_page.get_by_text("Your safety plan").wait_for()
    assert phone_page.get_by_text("Bob's safety plan: call my sister").count() == 1


def test_it_shows_errors_next_to_the_question_without_javascript(
    live_server: Any, browser: Any, axe: Any
) -> None:
    p = make_personas()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        nojs = context.new_page()
        nojs.goto(checkin_url(live_server, p))
        agree_to_consent(nojs)
        choose(nojs, "personal_goals", {"goal_1": 4})
        nojs.get_by_role("button", name="Next").click()
        nojs.get_by_text("Part 2 of 2").wait_for()
        choose(nojs, "phq9", {"phq9_1": 1})
        nojs.get_by_role("button", name="Send my answers").click()
        nojs.get_by_text("Please check 8 answers").wait_for()
        assert nojs.locator("#q-phq9__phq9_2-error").count() == 1
        nojs.get_by_role("button", name="Skip today").click()
        nojs.get_by_text("not completed").wait_for()
    finally:
        context.close()
    assert Sitting.objects.get(client=p.bob).status == "skipped"


def test_it_holds_the_client_in_kiosk_mode_and_asks_for_the_tablet_back(
    live_server: Any, tablet_page: Any, axe: Any
) -> None:
    p = make_personas()
    # Signed in without the pages: a TOTP code is accepted once, and the exit below needs one.
    sign_in_by_cookie(tablet_page.context, live_server.url, p.alice)
    tablet_page.goto(f"{live_server.url}/practice/caseload/")
    tablet_page.locator("tr[data-client='Bob Brown'] summary", has_text="Actions").click()
    tablet_page.get_by_role("button", name="Check-in link for Bob Brown").click()
    tablet_page.get_by_role("button", name="Start the check-in here").click()
    agree_to_consent(tablet_page)
    assert tablet_page.locator("nav").count() == 0

    # The client tries to leave: nothing of the practice is reachable.
    tablet_page.goto(f"{live_server.url}/practice/caseload/")
    assert "Bob Brown" not in tablet_page.content()
    assert tablet_page.url.endswith("/checkin/")

    answer_checkin(tablet_page, item9=3)
    tablet_page.get_by_text("Please hand the tablet back to your therapist now.").wait_for()
    assert tablet_page.get_by_text("This form is not watched in real time.").count() == 0
    assert axe(tablet_page) == []

    # Leaving needs the therapist's password and authenticator code.
    tablet_page.get_by_role("link", name="Therapist: return to PlusOne").click()
    tablet_page.get_by_role("link", name="Therapist: sign in").click()
    sign_in(tablet_page, live_server.url, p.alice, start=False)
    tablet_page.wait_for_url("**/practice/caseload/")
    tablet_page.get_by_text("Open flag").first.wait_for()
