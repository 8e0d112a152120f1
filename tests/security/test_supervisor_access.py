"""Supervisor: sam reads, read-only, the records of clients who consented to his
supervision (Bob, not Dave), and every read is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient

from plusone.audit.models import AuditEvent
from plusone.clinical.models import Decision

pytestmark = pytest.mark.django_db


def test_it_shows_sam_bobs_journey_and_records_the_view(personas: Any, login_as: Any) -> None:
    p = personas
    web = WebClient()
    login_as(web, p.sam)
    episode = p.bob.episodes.get()
    assert web.get(f"/practice/episodes/{episode.pk}/journey/").status_code == 200
    event = AuditEvent.objects.get(action="view.journey")
    assert (event.actor_id, event.target_id) == (p.sam.pk, str(episode.pk))


def test_it_hides_daves_journey_from_sam_and_records_nothing(personas: Any, login_as: Any) -> None:
    p = personas
    web = WebClient()
    login_as(web, p.sam)
    episode = p.dave.episodes.get()
    assert web.get(f"/practice/episodes/{episode.pk}/journey/").status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="view.", actor_id=p.sam.pk).exists()


def test_it_lets_sam_change_nothing_of_bobs(personas: Any, login_as: Any) -> None:
    p = personas
    web = WebClient()
    login_as(web, p.sam)
    episode = p.bob.episodes.get()
    before = AuditEvent.objects.count()
    for path in ("decisions/new/", "decisions/confirm/", "decisions/reverse/", "plan/"):
        response = web.post(f"/practice/episodes/{episode.pk}/{path}", {"phase": "deepening"})
        assert response.status_code in (403, 404), path
    assert Decision.objects.filter(episode=episode).count() == 0
    assert AuditEvent.objects.count() == before
