"""Access requests (PHIPA ss.52-54): the 30-day clock and its one extension, the
reminders, the complete export (and nothing of anyone else's), severance under a
narrow exception, and who may reach any of it. Through the pages, as the personas."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from personas import _client, signed_in, signed_note
from plusone.audit.models import AuditEvent
from plusone.notes import actions as notes
from plusone.rights import actions, clock, export
from plusone.rights.models import AccessRequest

pytestmark = pytest.mark.django_db

TORONTO = ZoneInfo("America/Toronto")
BOB_NOTE = "SENTINEL-BOB-NOTE-5c1e the lighthouse dream"
DAVE_NOTE = "SENTINEL-DAVE-NOTE-9a4f the orchard letter"
ASKED = "SENTINEL-ASKED-2b7d everything you hold about me"


def _request(p: Any, received_on: dt.date, today: dt.date | None = None) -> AccessRequest:
    return actions.record_access_request(
        user=p.erin,
        client=p.bob,
        received_on=received_on,
        how_received="email",
        asked_for=ASKED,
        today=today or timezone.localdate(),
    )


def _page(req: AccessRequest) -> str:
    return reverse("rights:access", kwargs={"request_id": req.pk})


def _export(web: WebClient, req: AccessRequest) -> Any:
    return web.post(reverse("rights:access_export", kwargs={"request_id": req.pk}))


@pytest.mark.parametrize(
    ("received", "extended", "due"),
    [
        (dt.date(2026, 1, 10), False, dt.date(2026, 2, 9)),
        (dt.date(2026, 1, 10), True, dt.date(2026, 3, 11)),
        # Across a leap day: 30 calendar days, whatever the month.
        (dt.date(2028, 2, 1), False, dt.date(2028, 3, 2)),
    ],
)
def test_it_counts_thirty_days_and_one_extension_of_thirty(
    received: dt.date, extended: bool, due: dt.date
) -> None:
    assert clock.due_on(received, extended=extended) == due


def test_it_calls_a_request_overdue_the_day_after_it_is_due() -> None:
    due = dt.date(2026, 2, 9)
    assert clock.urgency(due, dt.date(2026, 2, 10)) is clock.Urgency.OVERDUE
    assert clock.urgency(due, due) is clock.Urgency.DUE_SOON
    assert clock.urgency(due, dt.date(2026, 2, 2)) is clock.Urgency.DUE_SOON
    assert clock.urgency(due, dt.date(2026, 2, 1)) is clock.Urgency.ON_TIME


def test_it_runs_the_clock_through_the_pages_and_refuses_a_second_extension(personas: Any) -> None:
    p = personas
    with time_machine.travel(dt.datetime(2026, 1, 20, 10, tzinfo=TORONTO), tick=False):
        web = signed_in(p.erin)
        response = web.post(
            reverse("rights:requests"),
            {
                "client": str(p.bob.pk),
                "received_on": "2026-01-10",
                "how_received": "email",
                "asked_for": ASKED,
            },
        )
        req = AccessRequest.objects.get()
        assert response.status_code == 302
        assert response["Location"] == _page(req)
        assert (req.due_on, req.status, req.asked_for) == (dt.date(2026, 2, 9), "open", ASKED)

        extend = {
            "action": "extend",
            "extend-reason": "The record spans three years",
            "extend-client_told_on": "2026-01-20",
        }
        assert web.post(_page(req), extend).status_code == 302
        req.refresh_from_db()
        assert (req.due_on, req.status) == (dt.date(2026, 3, 11), "extended")
        assert req.client_told_on == dt.date(2026, 1, 20)

        again = web.post(_page(req), extend)
        assert again.status_code == 200
        assert "already extended once" in again.content.decode()
        req.refresh_from_db()
        assert req.due_on == dt.date(2026, 3, 11)
        assert AuditEvent.objects.filter(action="rights.access.extend").count() == 1


def test_it_refuses_an_extension_without_the_day_the_client_was_told(personas: Any) -> None:
    req = _request(personas, timezone.localdate())
    web = signed_in(personas.erin)
    response = web.post(_page(req), {"action": "extend", "extend-reason": "Busy"})
    assert "Say on which day the client was told of the extension." in response.content.decode()
    req.refresh_from_db()
    assert req.extended_on is None


def test_it_refuses_a_received_date_in_the_future(personas: Any) -> None:
    web = signed_in(personas.erin)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = web.post(
        reverse("rights:requests"),
        {
            "client": str(personas.bob.pk),
            "received_on": tomorrow.isoformat(),
            "how_received": "email",
            "asked_for": ASKED,
        },
    )
    assert response.status_code == 200
    assert "The date received cannot be in the future." in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_it_shows_an_overdue_request_first_to_erin_and_on_alices_caseload(personas: Any) -> None:
    p = personas
    today = timezone.localdate()
    _request(p, today - dt.timedelta(days=2))  # on time
    _request(p, today - dt.timedelta(days=40))  # overdue by 10 days
    page = signed_in(p.erin).get(reverse("rights:requests")).content.decode()
    assert "<strong>1 overdue</strong>" in page
    assert page.index('data-urgency="overdue"') < page.index('data-urgency="on time"')

    caseload = signed_in(p.alice).get(reverse("insights:caseload")).content.decode()
    assert "Bob Brown, access request <strong>overdue since" in caseload
    # Charlie treats a client of his own, not Bob: no line, and nothing of Bob's.
    _client(p.charlie, p.riverside, "Cora", "Cole")
    other = signed_in(p.charlie).get(reverse("insights:caseload")).content.decode()
    assert "rights-reminder" not in other
    assert "Bob Brown" not in other


def test_it_exports_everything_of_bobs_and_nothing_of_daves(personas: Any) -> None:
    p = personas
    bob_note = signed_note(p, p.bob, BOB_NOTE)
    dave_note = signed_note(p, p.dave, DAVE_NOTE)
    notes.add_addendum(user=p.alice, note=bob_note, reason="Later", text=f"{BOB_NOTE} addendum")
    # Alice reads Bob's note: the export says who viewed the record.
    signed_in(p.alice).get(reverse("insights:note", kwargs={"session_id": bob_note.session_id}))
    req = _request(p, timezone.localdate())

    response = _export(signed_in(p.erin), req)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="access-{req.pk}.json"'
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    data = json.loads(body)
    assert data["client"]["id"] == str(p.bob.pk)
    assert BOB_NOTE in body
    assert [n["id"] for n in data["session_notes"]] == [str(bob_note.pk)]
    assert data["note_addenda"][0]["text"] == f"{BOB_NOTE} addendum"
    # Decrypted: Bob's words, not ciphertext.
    assert data["episodes"][0]["s2_intention"] == "Bob wants to feel at home in their own life"
    assert {g["text"] for g in data["goals"]} == {"Bob's first goal", "Bob's second goal"}
    assert data["safety_plan"][0]["text"] == "Bob's safety plan: call my sister"
    assert data["access_requests"][0]["asked_for"] == ASKED
    viewed = [e for e in data["audit_events"] if e["action"] == "view.note"]
    assert viewed and viewed[0]["actor"] == str(p.alice)
    assert data["withheld"] == []
    # Client-to-client leak check: no text, name or id of Dave's.
    for leak in (DAVE_NOTE, "Dave", str(p.dave.pk), str(dave_note.pk)):
        assert leak not in body
    assert str(p.dave.episodes.get().pk) not in body


def test_it_audits_the_download_without_health_information(personas: Any) -> None:
    p = personas
    signed_note(p, p.bob, BOB_NOTE)
    req = _request(p, timezone.localdate())
    _export(signed_in(p.erin), req)
    event = AuditEvent.objects.get(action="rights.access.export")
    assert (event.actor_id, event.target_id) == (p.erin.pk, str(req.pk))
    detail = json.dumps(event.detail)
    for secret in (BOB_NOTE, ASKED, "Bob"):
        assert secret not in detail


def test_it_covers_every_model_that_holds_rows_about_a_client() -> None:
    """A new model with a foreign key to a client's record must be exported, or listed
    as excluded with its reason: it cannot silently fall out of the client's copy."""
    exported = {part.model for part in export.PARTS}
    known = exported | set(export.ELSEWHERE) | set(export.EXCLUDED)
    about_a_client = export.models_about_a_client()
    assert [label for label in about_a_client if label not in known] == []
    # No stale entry, no blank reason, no model both exported and excluded.
    assert sorted(known - set(about_a_client) - {"clinical.Client"}) == []
    assert all(reason.strip() for reason in export.EXCLUDED.values())
    assert exported.isdisjoint(export.EXCLUDED)


def test_it_withholds_a_severed_note_and_says_so_in_the_export(personas: Any) -> None:
    p = personas
    note = signed_note(p, p.bob, BOB_NOTE)
    req = _request(p, timezone.localdate())
    web = signed_in(p.erin)
    response = web.post(
        _page(req),
        {
            "action": "sever",
            "sever-item": f"notes.sessionnote:{note.pk}",
            "sever-exception": "s52_1_e_i",
            "sever-explanation": "Reading this now could set back the work on the trauma",
        },
    )
    assert response.status_code == 302
    data = json.loads(_export(web, req).content)
    assert data["session_notes"] == []
    assert BOB_NOTE not in json.dumps(data["session_notes"])
    assert data["withheld"] == [
        {
            "item": "notes.sessionnote",
            "id": str(note.pk),
            "exception": "s52_1_e_i",
            "exception_text": "s.52(1)(e)(i): risk of serious harm to treatment or recovery, "
            "or of serious bodily harm",
            "explanation": "Reading this now could set back the work on the trauma",
            "recorded_at": req.severed.get().recorded_at.isoformat(),
        }
    ]
    assert "s.52(1)(e)(i)" in web.get(_page(req)).content.decode()


def test_it_severs_only_under_a_narrow_exception_and_only_bobs_items(personas: Any) -> None:
    p = personas
    note = signed_note(p, p.bob, BOB_NOTE)
    dave_note = signed_note(p, p.dave, DAVE_NOTE)
    req = _request(p, timezone.localdate())
    web = signed_in(p.erin)
    base = {"action": "sever", "sever-explanation": "Because"}
    frivolous = web.post(
        _page(req),
        {**base, "sever-item": f"notes.sessionnote:{note.pk}", "sever-exception": "s54_6"},
    )
    assert "Select a valid choice" in frivolous.content.decode()
    daves = web.post(
        _page(req),
        {**base, "sever-item": f"notes.sessionnote:{dave_note.pk}", "sever-exception": "s52_1_a"},
    )
    assert daves.status_code == 200
    assert not req.severed.exists()
    with pytest.raises(Exception, match="not part of this client's record"):
        actions.sever(
            user=p.erin,
            request=req,
            item_label="notes.sessionnote",
            item_id=str(dave_note.pk),
            exception="s52_1_a",
            explanation="Because",
            now=timezone.now(),
        )


def test_it_refuses_a_whole_request_only_with_an_exception(personas: Any) -> None:
    req = _request(personas, timezone.localdate())
    web = signed_in(personas.erin)
    blank = web.post(_page(req), {"action": "refuse", "refuse-reason": "No"})
    assert "Choose the exception that applies." in blank.content.decode()
    req.refresh_from_db()
    assert req.status == "open"
    done = web.post(
        _page(req), {"action": "refuse", "refuse-ground": "s54_6", "refuse-reason": "Fourth copy"}
    )
    assert done.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.refusal_ground, req.closed_by) == ("refused", "s54_6", personas.erin)


def test_it_keeps_the_invariants_in_the_database(personas: Any) -> None:
    req = _request(personas, timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.filter(pk=req.pk).update(
            status="refused", closed_on=req.received_on, closed_by=personas.erin
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.filter(pk=req.pk).update(status="extended")


@pytest.mark.parametrize("persona", ["alice", "charlie", "sam", "faye"])
def test_it_answers_403_to_everyone_but_the_privacy_officer(personas: Any, persona: str) -> None:
    req = _request(personas, timezone.localdate())
    web = signed_in(getattr(personas, persona))
    assert web.get(_page(req)).status_code == 403
    assert _export(web, req).status_code == 403
    assert web.get(reverse("rights:requests")).status_code == 403
    assert not AuditEvent.objects.filter(action="rights.access.export").exists()


def test_it_sends_a_visitor_to_sign_in(personas: Any) -> None:
    req = _request(personas, timezone.localdate())
    response = _export(WebClient(), req)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_lets_alice_record_bobs_request_for_the_privacy_officer(personas: Any) -> None:
    p = personas
    url = reverse("rights:client_request", kwargs={"client_id": p.bob.pk})
    form = {"kind": "access", "received_on": "2026-01-10", "how_received": "in_person"}
    response = signed_in(p.alice).post(url, {**form, "asked": ASKED})
    assert response.status_code == 302
    req = AccessRequest.objects.get()
    assert (req.client, req.recorded_by, req.due_on) == (p.bob, p.alice, dt.date(2026, 2, 9))
    assert req.asked_for == ASKED
    assert AuditEvent.objects.filter(action="rights.access.record", actor_id=p.alice.pk).exists()
    # Charlie (not Bob's therapist) gets "not there"; Erin and Sam hold no therapist role.
    assert signed_in(p.charlie).post(url, {**form, "asked": ASKED}).status_code == 404
    for persona in (p.erin, p.sam):
        assert signed_in(persona).get(url).status_code == 403
    assert AccessRequest.objects.count() == 1


def test_it_tells_alice_what_is_missing(personas: Any) -> None:
    p = personas
    url = reverse("rights:client_request", kwargs={"client_id": p.bob.pk})
    page = signed_in(p.alice).post(url, {"received_on": "last week"}).content.decode()
    assert "Say whether the client asks for access or a correction." in page
    assert "Enter the date received as YYYY-MM-DD." in page
    assert not AccessRequest.objects.exists()


def test_it_fulfils_once_and_then_offers_no_more_actions(personas: Any) -> None:
    req = _request(personas, timezone.localdate())
    web = signed_in(personas.erin)
    assert web.post(_page(req), {"action": "fulfil"}).status_code == 302
    req.refresh_from_db()
    assert (req.status, req.closed_on, req.closed_by) == (
        "fulfilled",
        timezone.localdate(),
        personas.erin,
    )
    again = web.post(_page(req), {"action": "fulfil"})
    assert "This request is already fulfilled." in again.content.decode()
    assert 'value="refuse"' not in again.content.decode()
    nothing = web.post(_page(req), {"action": "delete"})
    assert nothing.status_code == 400
    assert "Choose what to do" in nothing.content.decode()
