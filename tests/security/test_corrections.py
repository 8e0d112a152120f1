"""Corrections (PHIPA s.55): a signed note is never overwritten. A correction is a
struck-through version with its author, time and reason; a refusal lets the client
attach a statement of disagreement, which is shown with the note and exported."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from personas import signed_in, signed_note
from plusone.audit.models import AuditEvent
from plusone.notes.models import SessionNote
from plusone.rights import actions
from plusone.rights.models import CorrectionRequest, NoteCorrection

pytestmark = pytest.mark.django_db

ORIGINAL = "SENTINEL-ORIGINAL-3e8a Bob said his brother drove"
CORRECTED = "SENTINEL-CORRECTED-7d2c Bob said his sister drove"
STATEMENT = "SENTINEL-STATEMENT-4f6b I never said I was angry with my mother"


def _correction(p: Any, note: SessionNote) -> CorrectionRequest:
    return actions.record_correction_request(
        user=p.erin,
        client=p.bob,
        note=note,
        received_on=timezone.localdate(),
        how_received="mail",
        asked="It was my sister who drove, not my brother",
        today=timezone.localdate(),
    )


def _page(req: CorrectionRequest) -> str:
    return reverse("rights:correction", kwargs={"correction_id": req.pk})


def _note_page(note: SessionNote) -> str:
    return reverse("insights:note", kwargs={"session_id": note.session_id})


def _raw(note: SessionNote) -> dict[str, Any]:
    return SessionNote.objects.filter(pk=note.pk).values().get()


def test_it_records_a_correction_request_through_the_page(personas: Any) -> None:
    p = personas
    note = signed_note(p, p.bob, ORIGINAL, days_ago=3)
    response = signed_in(p.erin).post(
        reverse("rights:correction_new"),
        {
            "client": str(p.bob.pk),
            "note": str(note.pk),
            "received_on": "2026-01-10",
            "how_received": "mail",
            "asked": "It was my sister",
        },
    )
    req = CorrectionRequest.objects.get()
    assert response.status_code == 302
    assert (req.note, req.due_on, req.asked) == (note, dt.date(2026, 2, 9), "It was my sister")


def test_it_refuses_a_note_that_is_not_the_clients(personas: Any) -> None:
    p = personas
    daves = signed_note(p, p.dave, "Dave's words", days_ago=3)
    response = signed_in(p.erin).post(
        reverse("rights:correction_new"),
        {
            "client": str(p.bob.pk),
            "note": str(daves.pk),
            "received_on": timezone.localdate().isoformat(),
            "how_received": "mail",
            "asked": "Change it",
        },
    )
    assert "That note is not one of this client&#x27;s." in response.content.decode()
    assert not CorrectionRequest.objects.exists()


def test_it_corrects_with_a_struck_through_version_and_never_changes_thesigned_note(
    personas: Any, days_ago=3
) -> None:
    p = personas
    note = signed_note(p, p.bob, ORIGINAL, days_ago=3)
    before = _raw(note)
    req = _correction(p, note)
    response = signed_in(p.erin).post(
        _page(req),
        {
            "action": "correct",
            "correct-section": "risk_assessment",
            "correct-new_text": CORRECTED,
            "correct-reason": "The client showed the note was inaccurate",
        },
    )
    assert response.status_code == 302
    # The signed row is byte-for-byte as signed: same ciphertext, same text.
    assert _raw(note) == before
    assert SessionNote.objects.get(pk=note.pk).risk_assessment == f"{ORIGINAL} (risk_assessment)"
    version = NoteCorrection.objects.get()
    assert version.old_text == f"{ORIGINAL} (risk_assessment)"
    assert (version.new_text, version.author, version.section) == (
        CORRECTED,
        p.erin,
        "risk_assessment",
    )
    req.refresh_from_db()
    assert (req.status, req.closed_by) == ("corrected", p.erin)
    page = signed_in(p.alice).get(_note_page(note)).content.decode()
    assert f"<del>{ORIGINAL} (risk_assessment)</del>" in page
    assert f"<ins>{CORRECTED}</ins>" in page
    assert "The client showed the note was inaccurate" in page
    event = AuditEvent.objects.get(action="rights.correction.correct")
    assert CORRECTED not in json.dumps(event.detail) and ORIGINAL not in json.dumps(event.detail)


def test_it_refuses_to_update_a_correction() -> None:
    version = NoteCorrection(section="memory", new_text="x", reason="y")
    version._state.adding = False
    with pytest.raises(Exception, match="cannot be changed"):
        version.save()


def test_it_shows_the_statement_of_disagreement_with_the_note_and_in_the_export(
    personas: Any,
) -> None:
    p = personas
    note = signed_note(p, p.bob, ORIGINAL, days_ago=3)
    daves = signed_note(p, p.dave, "Dave's own words", days_ago=3)
    req = _correction(p, note)
    web = signed_in(p.erin)
    refused = web.post(
        _page(req),
        {
            "action": "refuse",
            "refuse-ground": "s55_9_b",
            "refuse-reason": "This is the therapist's observation, made in good faith",
        },
    )
    assert refused.status_code == 302
    attached = web.post(
        _page(req),
        {
            "action": "statement",
            "statement-statement": STATEMENT,
            "statement-received_on": timezone.localdate().isoformat(),
        },
    )
    assert attached.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.refusal_ground, req.statement) == ("refused", "s55_9_b", STATEMENT)

    # Shown with the note, to the therapist and to the consented supervisor.
    for reader in (p.alice, p.sam):
        page = signed_in(reader).get(_note_page(note)).content.decode()
        assert STATEMENT in page
        assert f"{ORIGINAL} (risk_assessment)" in page
    # Never on another client's note.
    assert STATEMENT not in signed_in(p.alice).get(_note_page(daves)).content.decode()

    access = actions.record_access_request(
        user=p.erin,
        client=p.bob,
        received_on=timezone.localdate(),
        how_received="email",
        asked_for="Everything",
        today=timezone.localdate(),
    )
    data = json.loads(
        web.post(reverse("rights:access_export", kwargs={"request_id": access.pk})).content
    )
    (exported,) = data["session_notes"]
    assert exported["statements_of_disagreement"][0]["statement"] == STATEMENT
    assert data["correction_requests"][0]["statement"] == STATEMENT


def test_it_takes_a_statement_only_after_a_refusal(personas: Any) -> None:
    p = personas
    req = _correction(p, signed_note(p, p.bob, ORIGINAL, days_ago=3))
    response = signed_in(p.erin).post(
        _page(req),
        {
            "action": "statement",
            "statement-statement": STATEMENT,
            "statement-received_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "follows a refused correction" in response.content.decode()
    req.refresh_from_db()
    assert req.statement == ""
    # The database refuses it too: a statement only on a refused correction.
    req.statement, req.statement_received_on = STATEMENT, timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        req.save()


def test_it_refuses_a_correction_only_with_a_ground(personas: Any) -> None:
    p = personas
    req = _correction(p, signed_note(p, p.bob, ORIGINAL, days_ago=3))
    response = signed_in(p.erin).post(_page(req), {"action": "refuse", "refuse-reason": "No"})
    assert "Choose the ground for refusing." in response.content.decode()
    req.refresh_from_db()
    assert req.status == "open"
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionRequest.objects.filter(pk=req.pk).update(
            status="refused", closed_on=req.received_on, closed_by=p.erin
        )


@pytest.mark.parametrize("persona", ["alice", "charlie", "sam", "faye"])
def test_it_answers_403_to_everyone_but_the_privacy_officer(personas: Any, persona: str) -> None:
    p = personas
    req = _correction(p, signed_note(p, p.bob, ORIGINAL, days_ago=3))
    web = signed_in(getattr(p, persona))
    assert web.get(_page(req)).status_code == 403
    post = {"action": "correct", "correct-section": "memory", "correct-new_text": "x"}
    assert web.post(_page(req), {**post, "correct-reason": "y"}).status_code == 403
    assert not NoteCorrection.objects.exists()


def test_it_shows_the_statement_on_bobs_journey_and_never_on_daves(personas: Any) -> None:
    p = personas
    today = timezone.localdate()
    req = actions.record_correction_request(
        user=p.erin,
        client=p.bob,
        note=None,
        received_on=today,
        how_received="mail",
        asked="My goal was about my sister, not my brother",
        today=today,
    )
    actions.refuse_correction(
        user=p.erin, request=req, ground="s55_8", reason="Not shown inaccurate", today=today
    )
    actions.attach_statement(
        user=p.erin, request=req, statement=STATEMENT, received_on=today, today=today
    )
    web = signed_in(p.alice)

    def journey(person: Any) -> str:
        url = reverse("insights:journey", kwargs={"episode_id": person.episodes.get().pk})
        return web.get(url).content.decode()

    bobs = journey(p.bob)
    assert STATEMENT in bobs
    assert "about the record" in bobs
    assert STATEMENT not in journey(p.dave)
