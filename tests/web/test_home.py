"""The signed-in home of staff without a caseload: each role's tools, and what is due."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from personas import _client, signed_in
from plusone.clinical.models import Consent
from plusone.rights import actions as rights

pytestmark = pytest.mark.django_db

HOME = reverse("insights:signed_in")


def test_it_sends_alice_to_her_caseload(personas: Any) -> None:
    p = personas
    response = signed_in(p.alice).get(reverse("insights:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:caseload")


def test_it_puts_erins_overdue_request_at_the_top_of_her_home(personas: Any) -> None:
    p = personas
    today = timezone.localdate()
    rights.record_access_request(
        user=p.erin,
        client=p.bob,
        received_on=today - dt.timedelta(days=31),
        how_received="letter",
        asked_for="my whole file",
        today=today,
    )
    page = signed_in(p.erin).get(HOME).content.decode()
    assert "1 request past the 30-day clock." in page
    assert reverse("rights:requests") in page
    # Nothing about Bob himself reaches the home page: only counts.
    assert p.bob.family_name not in page


def test_it_tells_erin_when_nothing_is_due(personas: Any) -> None:
    p = personas
    page = signed_in(p.erin).get(HOME).content.decode()
    assert "Nothing is due." in page
    assert reverse("custodian:home") in page


def test_it_lists_bob_for_sam_but_never_dave(personas: Any) -> None:
    p = personas
    page = signed_in(p.sam).get(HOME).content.decode()
    bob_journey = reverse("insights:journey", kwargs={"episode_id": p.bob.episodes.get().pk})
    dave_journey = reverse("insights:journey", kwargs={"episode_id": p.dave.episodes.get().pk})
    assert bob_journey in page
    assert dave_journey not in page
    assert p.dave.display_name not in page


def test_it_drops_bob_from_sams_home_when_he_withdraws_consent(personas: Any) -> None:
    p = personas
    Consent.objects.filter(client=p.bob, kind=Consent.Kind.SUPERVISION).update(
        withdrawn_at=timezone.now()
    )
    page = signed_in(p.sam).get(HOME).content.decode()
    assert p.bob.display_name not in page
    assert "No client has consented to supervision by you." in page


def test_it_keeps_sams_home_at_a_constant_number_of_queries(personas: Any) -> None:
    p = personas
    web = signed_in(p.sam)
    with CaptureQueriesContext(connection) as one:
        web.get(HOME)
    for n in range(3):
        extra = _client(p.alice, p.riverside, f"Extra{n}", "Consenting")
        Consent.objects.create(
            practice=p.riverside,
            client=extra,
            kind=Consent.Kind.SUPERVISION,
            version="2026-1",
            supervisor=p.sam,
            given_at=timezone.now(),
            recorded_by=p.alice,
        )
    with CaptureQueriesContext(connection) as four:
        page = web.get(HOME).content.decode()
    assert page.count("Consenting") == 3
    assert len(four) == len(one)
