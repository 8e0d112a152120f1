"""The portal home: a greeting, the check-ins due (start, or "skip today" in one tap), the
way to the other portal pages; no nagging, no streaks, nothing "overdue"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient

from plusone.measures import actions
from plusone.measures.models import Sitting, SittingStatus
from plusone.tokens.models import AccessToken
from portal_fixtures import portal_web as portal_as

pytestmark = pytest.mark.django_db

# The session, the client, the check-ins due and their sittings; never one per check-in.
QUERIES_ON_HOME = 4


def test_it_greets_the_client_by_their_preferred_name(personas: Any) -> None:
    personas.bob.preferred_name = "Bobby"
    personas.bob.save()
    page = portal_as(personas.bob).get("/me/")
    assert page.status_code == 200
    assert b"Hello, Bobby" in page.content


def test_it_lists_the_check_ins_due_without_nagging(personas: Any) -> None:
    actions.issue_checkin_link(acting_user=personas.alice, client=personas.bob, send_email=False)
    page = portal_as(personas.bob).get("/me/").content.decode()
    assert "Check-in" in page and "Skip today" in page and "Start" in page
    for nag in ("overdue", "streak", "missed", "late", "reminder"):
        assert nag not in page.lower()


def test_it_shows_nothing_due_when_nothing_is(personas: Any) -> None:
    page = portal_as(personas.bob).get("/me/")
    assert b"Nothing to fill in right now" in page.content


def test_it_never_lists_another_clients_check_ins(personas: Any) -> None:
    actions.issue_checkin_link(acting_user=personas.alice, client=personas.dave, send_email=False)
    page = portal_as(personas.bob).get("/me/")
    assert b"Nothing to fill in right now" in page.content


def test_skip_today_records_a_not_completed_sitting_in_one_tap(personas: Any) -> None:
    issued = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.bob, send_email=False
    )
    web = portal_as(personas.bob)
    answer = web.post("/me/checkins/skip/", {"checkin": str(issued.token.pk)})
    assert answer.status_code == 302 and answer["Location"] == "/me/"
    sitting = Sitting.objects.get(idempotency_key=str(issued.token.pk))
    assert sitting.status == SittingStatus.SKIPPED
    page = web.get("/me/")
    assert b"Skipped for today" in page.content
    assert b"Nothing to fill in right now" in page.content


def test_start_opens_the_check_in_without_a_token_in_the_url(personas: Any) -> None:
    issued = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.bob, send_email=False
    )
    web = portal_as(personas.bob)
    answer = web.post("/me/checkins/start/", {"checkin": str(issued.token.pk)})
    assert answer.status_code == 302 and answer["Location"] == "/checkin/"
    assert web.get("/checkin/").status_code in (200, 302)
    assert AccessToken.objects.get(pk=issued.token.pk).used_at is None


def test_bob_cannot_skip_or_start_daves_check_in(personas: Any) -> None:
    issued = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.dave, send_email=False
    )
    web = portal_as(personas.bob)
    web.post("/me/checkins/skip/", {"checkin": str(issued.token.pk)})
    started = web.post("/me/checkins/start/", {"checkin": str(issued.token.pk)})
    assert started["Location"] == "/me/"
    assert not Sitting.objects.filter(idempotency_key=str(issued.token.pk)).exists()
    assert "checkin_token" not in web.session


def test_without_a_portal_session_the_home_asks_to_sign_in(personas: Any) -> None:
    answer = WebClient().get("/me/")
    assert answer.status_code == 302 and answer["Location"] == "/me/signin/"


def test_the_check_ins_done_page_points_to_the_portal(personas: Any) -> None:
    web = portal_as(personas.bob)
    # Started from the portal, then skipped on the check-in's own page.
    other = actions.issue_checkin_link(
        acting_user=personas.alice, client=personas.bob, send_email=False
    )
    web.post("/me/checkins/start/", {"checkin": str(other.token.pk)})
    done = web.post("/checkin/skip/", follow=True)
    assert done.status_code == 200
    assert b'href="/me/"' in done.content and b"Back to your page" in done.content


@pytest.mark.parametrize("due", [1, 30])
def test_the_home_costs_the_same_queries_for_one_or_thirty_check_ins_due(
    personas: Any, due: int
) -> None:
    for _ in range(due):
        actions.issue_checkin_link(
            acting_user=personas.alice, client=personas.bob, send_email=False
        )
    web = portal_as(personas.bob)
    web.get("/me/")  # the session's first write is not the page's cost
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = web.get("/me/")
    assert page.content.count(b"Skip today") == due
    assert len(queries) == QUERIES_ON_HOME, [q["sql"] for q in queries]
