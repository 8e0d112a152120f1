"""The relationship in the room in a real browser, on desktop and phone: the therapist rates
an item 2 above the client's Session Reflection of the same session, the caseload and the
journey raise a possible rupture with its trace, and a repair she logs closes it. Then the
journey's relationship lane at 390, 820 and 1366 px: nothing leaves its box, axe finds
nothing.

Screenshots go to pytest's temporary folder (``--basetemp`` to keep them), or to the folder
named by ``PLUSONE_SHOTS``, never to a tracked file.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.clinical.models import Episode, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.models import Administration, Context, Respondent

pytestmark = pytest.mark.browser

WIDTHS = (390, 820, 1366)
OVERFLOWING = """(width) => Array.from(document.querySelectorAll('main *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !e.closest('.table-wrap') && !e.closest('svg');
}).map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""
# Cells of the relationship table whose words are cut off (wider than their box).
CLIPPED = """() => Array.from(
    document.querySelectorAll('.relationship-table td, .relationship-table th'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => (e.textContent || '').trim())"""


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _reflected_session(p: Any, days_ago: int, answers: dict[str, int]) -> Session:
    """An attended session of Bob's with his Session Reflection, taken at its end."""
    episode = p.bob.episodes.get()
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = max(now - dt.timedelta(minutes=50), midnight) - dt.timedelta(days=days_ago)
    session = Session.objects.create(
        practice=p.riverside, episode=episode, starts_at=starts, status=Session.Status.ATTENDED
    )
    instrument = load_instrument("session_reflection")
    result = score(instrument, answers)
    at = starts + dt.timedelta(minutes=48)
    Administration.objects.create(
        id=uuid.uuid4(),
        practice_id=p.riverside.pk,
        client_id=p.bob.pk,
        episode=episode,
        session=session,
        instrument_key="session_reflection",
        instrument_version=instrument.version,
        context=Context.KIOSK,
        respondent=Respondent.CLIENT,
        answers=answers,
        total=result.total,
        valid=result.valid,
        started_at=at,
        completed_at=at,
        idempotency_key=f"test:{session.pk}",
    )
    return session


def _rate(page: Any, heard: int, matters: int, fit: int) -> None:
    page.get_by_label("My client seemed to feel heard and understood").select_option(str(heard))
    page.get_by_label("We worked on what matters to my client").select_option(str(matters))
    page.get_by_label("The way we worked fitted my client").select_option(str(fit))
    page.get_by_role("button", name="Save the rating").click()
    page.get_by_text("Therapist Rating saved.").wait_for()


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_a_congruence_gap_raises_a_possible_rupture_and_a_logged_repair_closes_it(
    device: str, request: Any, live_server: Any, csp_watch: Any, axe: Any
) -> None:
    page = request.getfixturevalue(device)
    p = make_personas()
    episode = p.bob.episodes.get()
    session = _reflected_session(
        p, 0, {"reflection_heard": 7, "reflection_matters": 8, "reflection_fit": 8}
    )
    _sign_in(page.context, live_server.url, p.alice)
    journey = live_server.url + reverse("insights:journey", args=[episode.pk])
    caseload = live_server.url + reverse("insights:caseload")

    # From the journey's relationship lane to the session's rating, the same session.
    page.goto(journey)
    lane = page.locator("section[data-section='relationship']")
    lane.get_by_role("link", name="Rate or log").click()
    page.wait_for_url(f"**/sessions/{session.pk}/relationship/")
    _rate(page, 9, 8, 8)

    page.goto(caseload)
    page.locator('tbody[data-tier="rupture"]').get_by_role("link", name="Bob Brown").wait_for()
    page.goto(journey)
    alerts = page.locator("section[data-section='alerts']")
    alerts.get_by_text("Possible rupture", exact=True).wait_for()
    alerts.get_by_text("≥ 2 above the client's 7").wait_for()
    lane.get_by_text("You rated 2 above the client").wait_for()
    assert axe(page) == []

    # The repair, logged on the session she repairs it in, closes it.
    page.goto(live_server.url + reverse("measures:session_relationship", args=[session.pk]))
    page.get_by_label("Repair", exact=True).check()
    page.get_by_label("What happened").fill("We named the gap together")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Logged.").wait_for()
    page.goto(caseload)
    page.locator("tr[data-client='Bob Brown']").wait_for()
    assert page.locator('tbody[data-tier="rupture"]').count() == 0
    page.goto(journey)
    assert page.locator("section[data-section='alerts']").count() == 0
    lane.get_by_text("resolved by the repair logged on").wait_for()
    assert csp_watch.violations == []


def test_the_relationship_lane_fits_at_every_width(
    live_server: Any, context: Any, page: Any, axe: Any, tmp_path: Any
) -> None:
    p = make_personas()
    episode = p.bob.episodes.get()
    from plusone.measures import ratings

    earlier = _reflected_session(
        p, 7, {"reflection_heard": 10, "reflection_matters": 9, "reflection_fit": 9}
    )
    ratings.rate_session(
        user=p.alice,
        session=earlier,
        answers={"therapist_heard": 7, "therapist_matters": 8, "therapist_fit": 9},
    )
    last = _reflected_session(
        p, 0, {"reflection_heard": 7, "reflection_matters": 8, "reflection_fit": 8}
    )
    ratings.rate_session(
        user=p.alice,
        session=last,
        answers={"therapist_heard": 9, "therapist_matters": 8, "therapist_fit": 8},
    )
    Episode.objects.filter(pk=episode.pk).update(prior_therapy=True)
    episode.refresh_from_db()
    episode.prior_helped = "Being believed the first time I said it out loud to someone"
    episode.prior_wished = "That we had talked about how it would end, well before it ended"
    episode.save(update_fields=["prior_helped", "prior_wished"])
    shots = Path(os.environ.get("PLUSONE_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:journey", args=[episode.pk]))
    lane = page.locator("section[data-section='relationship']")
    lane.get_by_text("The client rated 3 above you").wait_for()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        assert page.evaluate(OVERFLOWING, width) == [], width
        assert page.evaluate(CLIPPED) == [], width
        lane.screenshot(path=str(shots / f"journey-relationship-{width}.png"))
        page.screenshot(path=str(shots / f"journey-full-{width}.png"), full_page=True)
    page.get_by_text("Being believed the first time").wait_for()
    assert axe(page) == []
    page.goto(live_server.url + reverse("insights:session_card", args=[episode.pk]))
    page.get_by_text("≥ 2 above the client's 7").wait_for()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(OVERFLOWING, width) == [], width
        page.screenshot(path=str(shots / f"card-{width}.png"), full_page=True)
    assert axe(page) == []
