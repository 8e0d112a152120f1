"""The Session Reflection in a real browser: taken in kiosk mode on a tablet at the end of
the session, then the therapist signs back in to rate the same session and sees the
possible-rupture tier."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from test_checkin_browser import agree_to_consent, choose, sign_in, sign_in_by_cookie

from personas import make_personas
from plusone.clinical.models import EpisodeSummary, Session
from plusone.measures.models import Administration, Sitting

pytestmark = pytest.mark.browser

LINE = "The ending felt rushed"


def test_it_takes_a_low_reflection_in_kiosk_mode_and_shows_the_rupture_on_the_caseload(
    live_server: Any, tablet_page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    episode = p.bob.episodes.get()
    # Bob's session began 45 minutes ago (or at midnight, just after it): the reflection is its.
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    session = Session.objects.create(
        practice=p.riverside,
        episode=episode,
        starts_at=max(now - dt.timedelta(minutes=45), midnight),
        status=Session.Status.ATTENDED,
    )
    page = tablet_page
    sign_in_by_cookie(page.context, live_server.url, p.alice)
    page.goto(f"{live_server.url}/practice/caseload/")
    page.locator("tr[data-client='Bob Brown'] summary", has_text="Actions").click()
    page.get_by_role("button", name="Check-in link for Bob Brown").click()
    page.get_by_role("button", name="Session Reflection on this device for Bob Brown").click()
    agree_to_consent(page)
    assert page.locator("nav").count() == 0
    page.get_by_text("I felt heard and understood").wait_for()

    # The client cannot leave the reflection for the practice's pages.
    page.goto(f"{live_server.url}/practice/caseload/")
    assert page.url.endswith("/checkin/")
    assert "Bob Brown" not in page.content()

    choose(
        page,
        "session_reflection",
        {"reflection_heard": 8, "reflection_matters": 5, "reflection_fit": 7},
    )
    page.get_by_label("Anything that didn't sit right today?").fill(LINE)
    assert axe(page) == []
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_text("Thank you for telling us how today's session felt.").wait_for()
    body = page.content()
    for hidden in ("6.7", "of 10", "rupture", LINE):
        assert hidden not in body
    assert axe(page) == []

    sitting = Sitting.objects.get(client=p.bob)
    assert (sitting.kind, sitting.context, sitting.session_id) == (
        "reflection",
        "kiosk",
        session.pk,
    )
    stored = Administration.objects.get(sitting=sitting)
    assert stored.total == pytest.approx(20 / 3)
    assert "possible_rupture" in EpisodeSummary.objects.get(episode=episode).alerts

    # Leaving needs the therapist's password and authenticator code.
    page.get_by_role("link", name="Therapist: return to PlusOne").click()
    page.get_by_role("link", name="Therapist: sign in").click()
    sign_in(page, live_server.url, p.alice, start=False)
    # She lands on the same session's Therapist Rating, recorded alongside the reflection.
    page.wait_for_url(f"**/practice/sessions/{session.pk}/relationship/")
    page.get_by_label("My client seemed to feel heard and understood").select_option("8")
    page.get_by_label("We worked on what matters to my client").select_option("7")
    page.get_by_label("The way we worked fitted my client").select_option("7")
    page.get_by_role("button", name="Save the rating").click()
    page.get_by_text("Therapist Rating saved.").wait_for()
    assert Administration.objects.filter(session=session, respondent="therapist").count() == 1
    page.goto(f"{live_server.url}/practice/caseload/")
    rupture = page.locator('tbody[data-tier="rupture"]')
    rupture.get_by_role("link", name="Bob Brown", exact=True).wait_for()
    assert rupture.get_by_text("Dave Davis").count() == 0
    assert csp_watch.violations == []
