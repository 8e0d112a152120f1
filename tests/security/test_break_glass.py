"""Break-glass: erin (admin) reads no clinical content unless she opens one client's
record with a reason; the access is audited at once, lasts an hour, is read-only,
is listed for the privacy officer and is recorded for the client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from personas import signed_in
from plusone.audit.models import AuditEvent
from plusone.clinical import queries
from plusone.privacy.models import BreakGlass

pytestmark = pytest.mark.django_db

REASON = "SENTINEL-REASON-41 Bob's sister called: he may be at risk tonight, Alice is on a plane"


def _journey(p: Any) -> str:
    return f"/practice/episodes/{p.bob.episodes.get().pk}/journey/"


def test_it_hides_bobs_record_from_erin_without_break_glass(personas: Any) -> None:
    web = signed_in(personas.erin)
    assert web.get(_journey(personas)).status_code == 404
    with pytest.raises(Http404):
        queries.access_client(personas.erin, personas.bob.pk)


def test_it_opens_bobs_record_to_erin_for_an_hour_with_a_recorded_reason(personas: Any) -> None:
    p = personas
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        web = signed_in(p.erin)
        response = web.post("/privacy/break-glass/", {"client": str(p.bob.pk), "reason": REASON})
        assert response.status_code == 302
        assert response["Location"] == _journey(p)
        grant = BreakGlass.objects.get()
        assert (grant.client, grant.user, grant.practice) == (p.bob, p.erin, p.riverside)
        assert grant.reason == REASON
        assert grant.expires_at - grant.opened_at == dt.timedelta(hours=1)
        event = AuditEvent.objects.get(action="break_glass.open")
        assert (event.actor_id, event.target_type, event.target_id) == (
            p.erin.pk,
            "clinical.client",
            str(p.bob.pk),
        )
        assert event.detail == {"break_glass_id": str(grant.pk), "minutes": 60, "purpose": "care"}
        page = web.get(_journey(p))
        assert page.status_code == 200
        viewed = AuditEvent.objects.filter(action="view.journey", actor_id=p.erin.pk)
        assert viewed.count() == 1
        # Dave's record stays closed: the grant is for Bob alone.
        dave_journey = f"/practice/episodes/{p.dave.episodes.get().pk}/journey/"
        assert web.get(dave_journey).status_code == 404
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        # A fresh sign-in: the idle timeout has ended the first session by now.
        assert signed_in(p.erin).get(_journey(p)).status_code == 404


def test_it_stores_the_reason_encrypted(personas: Any) -> None:
    from plusone.privacy.actions import open_break_glass

    open_break_glass(
        user=personas.erin, client_id=personas.bob.pk, reason=REASON, now=timezone.now()
    )
    stored = BreakGlass.objects.values_list("reason", flat=True).get()
    assert stored.startswith("v1:")
    assert "SENTINEL" not in stored


def test_it_refuses_break_glass_without_a_reason(personas: Any) -> None:
    web = signed_in(personas.erin)
    response = web.post("/privacy/break-glass/", {"client": str(personas.bob.pk), "reason": "  "})
    assert response.status_code == 200
    assert BreakGlass.objects.count() == 0
    assert not AuditEvent.objects.filter(action="break_glass.open").exists()
    assert web.get(_journey(personas)).status_code == 404


def test_it_keeps_break_glass_read_only(personas: Any) -> None:
    from plusone.privacy.actions import open_break_glass

    p = personas
    open_break_glass(user=p.erin, client_id=p.bob.pk, reason=REASON, now=timezone.now())
    assert queries.access_client(p.erin, p.bob.pk) == p.bob
    with pytest.raises(Http404):
        queries.access_client(p.erin, p.bob.pk, write=True)
    web = signed_in(p.erin)
    episode = p.bob.episodes.get()
    response = web.post(f"/practice/episodes/{episode.pk}/decisions/reverse/", {})
    assert response.status_code in (403, 404)


def test_it_refuses_break_glass_to_anyone_but_the_admin(personas: Any) -> None:
    p = personas
    for user in (p.alice, p.sam, p.charlie):
        web = signed_in(user)
        response = web.post("/privacy/break-glass/", {"client": str(p.bob.pk), "reason": REASON})
        assert response.status_code == 403
    # Erin is no admin of Lakeview: Gus is not among her choices.
    web = signed_in(p.erin)
    response = web.post("/privacy/break-glass/", {"client": str(p.gus.pk), "reason": REASON})
    assert response.status_code == 200
    assert BreakGlass.objects.count() == 0


def test_it_lists_break_glass_for_the_privacy_officer(personas: Any) -> None:
    from plusone.privacy.actions import open_break_glass

    p = personas
    open_break_glass(user=p.erin, client_id=p.bob.pk, reason=REASON, now=timezone.now())
    page = signed_in(p.erin).get("/privacy/break-glass/log/")
    assert page.status_code == 200
    html = page.content.decode()
    assert REASON.replace("'", "&#x27;") in html
    assert "Bob" in html and p.erin.email in html
    assert signed_in(p.alice).get("/privacy/break-glass/log/").status_code == 403


def test_it_keeps_a_row_per_access_for_the_clients_portal(personas: Any) -> None:
    from plusone.privacy.actions import open_break_glass

    p = personas
    now = timezone.now()
    open_break_glass(user=p.erin, client_id=p.bob.pk, reason=REASON, now=now)
    open_break_glass(
        user=p.erin, client_id=p.bob.pk, reason="again", now=now + dt.timedelta(hours=2)
    )
    open_break_glass(user=p.erin, client_id=p.dave.pk, reason="dave's", now=now)
    assert p.bob.break_glass.count() == 2
    assert p.dave.break_glass.count() == 1
