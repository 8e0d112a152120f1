"""Audit rows never contain health information.

The main flows run through their real doors (intake, a risk-positive check-in, the
flag's acknowledgement, a signed note and its addendum, journey views by the
therapist and the supervisor, break-glass, the privacy officer's search and
export); then every audit event's content is scanned for the clients' names,
emails and dates of birth and for free-text sentinels typed along the way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as WebClient
from django.utils import timezone

from access_fixtures import NOTE_SENTINEL, example_objects
from plusone import audit
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Flag
from plusone.measures import actions as measures

pytestmark = pytest.mark.django_db

FLAG_SENTINEL = "SENTINEL-FLAG-19 called her at home"
ADDENDUM_SENTINEL = "SENTINEL-ADDENDUM-5 remembered the lake"
REASON_SENTINEL = "SENTINEL-BREAKGLASS-3 urgent"


def _submit_risky_checkin(p: Any) -> None:
    """Bob answers today's check-in with PHQ-9 item 9 = 2 (opens a flag)."""
    from plusone.measures.checkin import group_items

    token = measures.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False).token
    draft = measures.open_draft(token)
    answers = {}
    for key in draft.instruments:
        items = group_items(key, token.episode_id, token.practice_id).items
        answers[key] = {
            i.id: (2 if i.id == "phq9_9" else i.options[0].value)
            for i in items
            if i.options and i.kind != "text"
        }
    measures.submit_checkin(link=token, answers=answers, carried_over=list(draft.rolled_on))


def _forbidden_words(p: Any) -> list[str]:
    words = []
    for person in (p.bob, p.dave, p.gus):
        episode = person.episodes.get()
        words += [person.given_name, person.family_name, person.email, episode.s2_intention]
        words += [person.date_of_birth.isoformat(), person.date_of_birth.strftime("%Y%m%d")]
        words += [g.text for g in episode.goals.all()]
    words += [NOTE_SENTINEL, FLAG_SENTINEL, ADDENDUM_SENTINEL, REASON_SENTINEL, "SENTINEL"]
    return [w for w in words if w]


def phi_in_audit(words: list[str]) -> list[str]:
    """Every (event, word) where a forbidden word appears in an audit event's content."""
    found = []
    for event in AuditEvent.objects.all():
        content = json.dumps(
            [event.action, event.target_type, event.target_id, event.actor_kind, event.detail]
        ).lower()
        found += [f"#{event.seq} {event.action}: {w!r}" for w in words if w.lower() in content]
    return found


def _run_main_flows(p: Any, login_as: Any) -> None:
    objects = example_objects(p)  # Bob's session with a signed note (NOTE_SENTINEL)
    _submit_risky_checkin(p)
    alice = WebClient()
    login_as(alice, p.alice)
    flag = Flag.objects.filter(client=p.bob, status=Flag.Status.OPEN).exclude(source_kind="test")
    assert flag.count() == 1
    response = alice.post(
        f"/practice/flags/{flag.get().pk}/acknowledge/", {"action_note": FLAG_SENTINEL}
    )
    assert response.status_code == 302
    session = objects["session"]
    response = alice.post(
        f"/practice/sessions/{session.pk}/note/addendum/",
        {"reason": "correction", "text": ADDENDUM_SENTINEL},
    )
    assert response.status_code == 302
    episode = objects["episode"]
    for page in ("journey/", "journey/together/", "card/", "decisions/"):
        assert alice.get(f"/practice/episodes/{episode.pk}/{page}").status_code == 200
    assert alice.get(f"/practice/sessions/{session.pk}/note/").status_code == 200
    sam = WebClient()
    login_as(sam, p.sam)
    assert sam.get(f"/practice/episodes/{episode.pk}/journey/").status_code == 200
    erin = WebClient()
    login_as(erin, p.erin)
    response = erin.post(
        "/privacy/break-glass/", {"client": str(p.bob.pk), "reason": REASON_SENTINEL}
    )
    assert response.status_code == 302
    day = timezone.localdate().isoformat()
    erin.post("/privacy/audit/search/", {"start": day, "end": day, "target_id": str(p.bob.pk)})
    erin.post("/privacy/audit/opened/", {"start": day, "end": day, "actor": p.alice.pk})
    erin.post("/privacy/audit/export/", {"start": day, "end": day, "format": "json"})


def test_it_keeps_health_information_out_of_every_audit_row(personas: Any, login_as: Any) -> None:
    _run_main_flows(personas, login_as)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    # The flows really ran: each left its trail.
    assert {"break_glass.open", "audit.export", "audit.search", "view.journey"} <= actions
    assert len(actions) >= 10, actions
    count = AuditEvent.objects.count()
    found = phi_in_audit(_forbidden_words(personas))
    print(f"\naudit PHI scan: {count} events, {len(actions)} actions, {len(found)} findings")
    assert found == []


def test_it_catches_a_name_planted_in_an_audit_row(personas: Any) -> None:
    """The scanner itself: an event naming Bob (through a field record() accepts) is found."""
    with transaction.atomic():
        audit.record(
            practice=personas.riverside,
            actor=personas.alice,
            action="planted",
            target_type="clinical.client",
            target_id=personas.bob.pk,
            detail={"name": "Bob"},
        )
    assert phi_in_audit(_forbidden_words(personas)) == [
        "#" + str(AuditEvent.objects.get(action="planted").seq) + " planted: 'Bob'"
    ]
