"""axe-core (WCAG 2.0/2.1 A and AA) on every registered page, as each persona who may see it,
and on the check-in's states (a group, its errors, each acknowledgement, each link problem)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from access_fixtures import example_objects
from personas import make_personas
from plusone.measures import actions
from plusone.web.routes import Policy, registered_routes
from portal_fixtures import portal_web

pytestmark = pytest.mark.browser

# Who crawls each policy: the personas that may see the page.
VIEWERS = {
    Policy.PUBLIC: ("anonymous",),
    Policy.CHECKIN_SESSION: ("bob_checkin",),
    Policy.STAFF_ANY: ("alice", "erin", "sam"),
    Policy.THERAPIST: ("alice",),
    Policy.SUPERVISOR: ("sam",),
    Policy.ADMIN: ("erin",),
    Policy.PRIVACY_OFFICER: ("erin",),
    Policy.PORTAL: ("bob_portal",),
}


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    from personas import login_as

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _examples(p: Any) -> dict[str, Any]:
    """The access matrix's objects of every kind, with the rights pages in their fullest
    state: a note severed from the access request, and a correction struck through."""
    from plusone.notes.models import SessionNote
    from plusone.rights import actions as rights

    objects = example_objects(p)
    note = SessionNote.objects.get(session=objects["session"])
    now = timezone.now()
    rights.sever(
        user=p.erin,
        request=objects["access_request"],
        item_label="notes.sessionnote",
        item_id=str(note.pk),
        exception="s52_1_e_i",
        explanation="Risk of serious harm to recovery",
        now=now,
    )
    rights.correct_note(
        user=p.erin,
        request=objects["correction_request"],
        section="risk_assessment",
        new_text="Bob's corrected words",
        reason="Shown to be inaccurate",
        now=now,
    )
    return objects


def _page_is_html(response: Any) -> bool:
    return response is not None and "text/html" in (response.headers.get("content-type") or "")


def _crawl(
    live_server: Any, browser: Any, axe: Any, viewers: dict[Any, tuple[str, ...]], language: str
) -> tuple[int, list[str]]:
    """Visit every registered GET page as each viewer allowed to see it, in ``language``
    ("fr": a client's or observer's session switched with the switch on every client page);
    return the pages visited and axe's violations (and, in French, any page not lang="fr")."""
    p = make_personas()
    if language == "fr":
        # A check-in link opens in the client's stored language: Bob reads French.
        p.bob.language = "fr"
        p.bob.save(update_fields=["language"])
    objects = _examples(p)
    base = live_server.url
    failures: list[str] = []
    visited = 0
    for viewer_names in set(viewers.values()):
        for viewer in viewer_names:
            context = browser.new_context()
            context.set_default_timeout(10_000)
            page = context.new_page()
            if viewer in ("alice", "erin", "sam"):
                _sign_in(context, base, getattr(p, viewer))
            if viewer == "bob_checkin":
                page.goto(f"{base}/c/{objects['token']}")
            if viewer == "bob_portal":
                # Signed into his portal, in his stored language (French in the French crawl).
                web = portal_web(p.bob)
                cookie = web.cookies[settings.SESSION_COOKIE_NAME]
                context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
            if language == "fr":
                page.goto(f"{base}/checkin/")
                switch = page.get_by_role("button", name="Français")
                if switch.count():
                    switch.click()
                    page.wait_for_load_state()
            for route in registered_routes():
                if viewers.get(route.policy) != viewer_names or "GET" not in route.methods:
                    continue
                try:
                    url = route.example_url(objects)
                except KeyError as exc:
                    failures.append(f"{route.name}: no example object of kind {exc}")
                    continue
                if language == "fr" and url in NOT_IN_FRENCH:
                    continue
                try:
                    response = page.goto(base + url)
                except PlaywrightError as exc:
                    # A report (PDF) comes as a download, not a page: nothing for axe to read.
                    if "Download is starting" in str(exc):
                        continue
                    raise
                if not _page_is_html(response):
                    continue
                visited += 1
                lang = page.locator("html").get_attribute("lang") or ""
                if language == "fr" and url not in SAME_IN_BOTH and not lang.startswith("fr"):
                    failures.append(f"{viewer} {url}: html lang {lang!r} in a French session")
                for v in axe(page):
                    failures.append(
                        f"{viewer} {language} {url}: {v['id']} ({v['impact']}) {v['help']} "
                        f"{v['nodes']}"
                    )
            context.close()
    return visited, failures


def test_it_finds_no_axe_violations_on_any_registered_page(
    live_server: Any, browser: Any, axe: Any
) -> None:
    visited, failures = _crawl(live_server, browser, axe, VIEWERS, "en")
    print(f"axe crawled {visited} pages")
    assert visited >= 5, f"only {visited} pages were crawled"
    assert failures == []


# A client's or an observer's pages, crawled again in French (DESIGN.md, Languages).
CLIENT_VIEWERS = {
    Policy.PUBLIC: ("anonymous",),
    Policy.CHECKIN_SESSION: ("bob_checkin",),
    Policy.PORTAL: ("bob_portal",),
}
# The neutral page imitates a blank browser tab: it has no language of ours. Leaving
# quickly clears the session (and its language), so the French crawl does not press it;
# the English crawl does.
SAME_IN_BOTH = {"/n/"}
NOT_IN_FRENCH = {"/me/leave/"}


def test_it_finds_no_axe_violations_on_the_client_pages_in_french(
    live_server: Any, browser: Any, axe: Any
) -> None:
    visited, failures = _crawl(live_server, browser, axe, CLIENT_VIEWERS, "fr")
    print(f"axe crawled {visited} pages in French")
    assert visited >= 3, f"only {visited} pages were crawled"
    assert failures == []


def test_it_finds_no_axe_violations_in_the_checkin_states(
    live_server: Any, browser: Any, axe: Any
) -> None:
    p = make_personas()
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    failures: list[str] = []

    def check(label: str) -> None:
        failures.extend(f"{label}: {v['id']} {v['help']} {v['nodes']}" for v in axe(page))

    page.goto(f"{base}/c/not-a-real-token")
    check("bad link")
    page.goto(f"{base}/checkin/")
    check("nothing open to fill in")
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    page.goto(base + issued.url.removeprefix(settings.SITE_URL))
    check("consent before the first check-in")
    page.get_by_role("button", name="I agree, continue").click()
    page.get_by_text("Part 1 of 2").wait_for()
    check("0-10 goals group, first")
    page.check("#personal_goals__goal_1-4")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Part 2 of 2").wait_for()
    check("PHQ-9 group")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Please check").wait_for()
    check("group with errors")
    for i, value in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 1], start=1):
        page.check(f"#phq9__phq9_{i}-{value}")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Your safety plan").wait_for()
    check("acknowledgement with safety plan")
    page.goto(base + issued.url.removeprefix(settings.SITE_URL))
    check("used link")
    context.close()
    assert failures == []


def test_it_reports_a_known_violation_so_a_clean_crawl_means_something(page: Any, axe: Any) -> None:
    page.set_content('<html lang="en"><body><main><img src="x.png"></main></body></html>')
    assert "image-alt" in {v["id"] for v in axe(page)}
