"""axe-core (WCAG 2.0/2.1 A and AA) on every registered page, as each persona who may see it,
and on the check-in's states (a group, its errors, each acknowledgement, each link problem)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from personas import make_personas
from plusone.clinical.models import Flag, Session
from plusone.custodian import actions as custodian
from plusone.custodian.models import DestructionCertificate
from plusone.measures import actions
from plusone.web.routes import Policy, registered_routes

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
}


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    from personas import login_as

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _examples(p: Any) -> dict[str, Any]:
    """One object of every kind a route's ``examples`` may name."""
    episode = p.bob.episodes.get()
    flag = Flag.objects.create(
        practice=p.riverside,
        client=p.bob,
        episode=episode,
        grade=1,
        source_kind="test",
        source_id=episode.pk,
        opened_at=episode.client.created_at,
    )
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    session = Session.objects.create(
        practice=p.riverside,
        episode=episode,
        starts_at=timezone.now() - dt.timedelta(days=1),
        status=Session.Status.ATTENDED,
    )
    goal = episode.goals.first()
    # plusone.custodian: a breach, a legal hold and a destruction certificate.
    incident = custodian.record_incident(
        user=p.erin,
        practice=p.riverside,
        data=custodian.IncidentData(
            "lost", timezone.localdate(), "A lost laptop", 1, "none", clients=[p.bob]
        ),
    )
    hold = custodian.place_hold(user=p.erin, client=p.bob, reason="Litigation pending")
    certificate = DestructionCertificate.objects.create(
        practice=p.riverside,
        client_ref=uuid.uuid4(),
        initials="ZZ",
        birth_year=1950,
        destroyed={"clinical.Client": 1, "clinical.Episode": 1},
        college="crpo",
        last_contact=dt.date(2010, 1, 4),
        retention_end=dt.date(2020, 1, 4),
        basis="CRPO: 10 years after the last contact",
        method=custodian.destruction_method(),
        authorised_by=p.erin,
        destroyed_at=timezone.now(),
    )
    return {
        "client": p.bob,
        "episode": episode,
        "flag": flag,
        "goal": goal,
        "session": session,
        "token": issued.url.rsplit("/c/", 1)[1],
        "observer_token": p.olive_token,
        "practice": p.riverside,
        "user": p.alice,
        "incident": incident,
        "hold": hold,
        "certificate": certificate,
        **_rights_examples(p, session),
    }


def _rights_examples(p: Any, session: Any) -> dict[str, Any]:
    """plusone.rights: an access request with a severed note, and a correction struck
    through in that note (the fullest states of their pages)."""
    from plusone.notes import actions as notes
    from plusone.notes.models import REQUIRED_SECTIONS
    from plusone.rights import actions as rights

    today, now = timezone.localdate(), timezone.now()
    sections = {name: f"Bob's note ({name})" for name in REQUIRED_SECTIONS}
    draft = notes.save_draft(user=p.alice, session=session, sections=sections, base_version=0)
    note = notes.sign_note(user=p.alice, session=session, base_version=draft.version)
    access = rights.record_access_request(
        user=p.erin,
        client=p.bob,
        received_on=today,
        how_received="email",
        asked_for="My whole record",
        today=today,
    )
    rights.sever(
        user=p.erin,
        request=access,
        item_label="notes.sessionnote",
        item_id=str(note.pk),
        exception="s52_1_e_i",
        explanation="Risk of serious harm to recovery",
        now=now,
    )
    correction = rights.record_correction_request(
        user=p.erin,
        client=p.bob,
        note=note,
        received_on=today,
        how_received="mail",
        asked="My sister drove, not my brother",
        today=today,
    )
    rights.correct_note(
        user=p.erin,
        request=correction,
        section="risk_assessment",
        new_text="Bob's corrected words",
        reason="Shown to be inaccurate",
        now=now,
    )
    return {"access_request": access, "correction_request": correction}


def _page_is_html(response: Any) -> bool:
    return response is not None and "text/html" in (response.headers.get("content-type") or "")


def test_it_finds_no_axe_violations_on_any_registered_page(
    live_server: Any, browser: Any, axe: Any
) -> None:
    p = make_personas()
    objects = _examples(p)
    base = live_server.url
    failures: list[str] = []
    visited = 0
    for viewer_names in set(VIEWERS.values()):
        for viewer in viewer_names:
            context = browser.new_context()
            context.set_default_timeout(10_000)
            page = context.new_page()
            if viewer in ("alice", "erin", "sam"):
                _sign_in(context, base, getattr(p, viewer))
            if viewer == "bob_checkin":
                page.goto(f"{base}/c/{objects['token']}")
            for route in registered_routes():
                if VIEWERS.get(route.policy) != viewer_names or "GET" not in route.methods:
                    continue
                try:
                    url = route.example_url(objects)
                except KeyError as exc:
                    failures.append(f"{route.name}: no example object of kind {exc}")
                    continue
                response = page.goto(base + url)
                if not _page_is_html(response):
                    continue
                visited += 1
                for v in axe(page):
                    failures.append(
                        f"{viewer} {url}: {v['id']} ({v['impact']}) {v['help']} {v['nodes']}"
                    )
            context.close()
    print(f"axe crawled {visited} pages")
    assert visited >= 5, f"only {visited} pages were crawled"
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
    check("first group")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Please check").wait_for()
    check("group with errors")
    for i, value in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 1], start=1):
        page.check(f"#phq9__phq9_{i}-{value}")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Part 2 of 2").wait_for()
    check("0-10 goals group")
    page.check("#personal_goals__goal_1-4")
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
