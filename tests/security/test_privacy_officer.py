"""The privacy officer's tools: search the log, "which clients' records did user X
open between two dates?", and export the log for a regulator's request. Erin is the
privacy officer; every search and export is itself audited."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from personas import signed_in
from plusone import audit
from plusone.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _open(web: WebClient, client: Any, page: str = "journey/") -> None:
    response = web.get(f"/practice/episodes/{client.episodes.get().pk}/{page}")
    assert response.status_code == 200


def _today() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def viewed(personas: Any) -> Any:
    """Alice opens Bob's journey and Dave's card; Sam opens Bob's; Faye opens Gus's."""
    p = personas
    alice = signed_in(p.alice)
    _open(alice, p.bob)
    _open(alice, p.dave, "card/")
    _open(signed_in(p.sam), p.bob)
    _open(signed_in(p.faye), p.gus)
    return p


def test_it_searches_the_log_by_user_action_and_date(viewed: Any) -> None:
    p = viewed
    web = signed_in(p.erin)
    assert web.get("/privacy/audit/search/").context["events"] is None
    day = _today()
    response = web.post(
        "/privacy/audit/search/",
        {"start": day, "end": day, "actor": p.alice.pk, "action": "view."},
    )
    events = response.context["events"]
    assert [e.action for e in events] == ["view.journey", "view.session_card"]
    assert {e.actor_id for e in events} == {p.alice.pk}
    # By target: the two views of Bob's episode (Alice's and Sam's).
    bob_episode = str(p.bob.episodes.get().pk)
    response = web.post(
        "/privacy/audit/search/", {"start": day, "end": day, "target_id": bob_episode}
    )
    assert [(e.actor_id, e.action) for e in response.context["events"]] == [
        (p.alice.pk, "view.journey"),
        (p.sam.pk, "view.journey"),
    ]
    # Lakeview's trail is not Erin's: Faye's view never shows.
    response = web.post("/privacy/audit/search/", {"start": day, "end": day, "action": "view."})
    assert p.faye.pk not in {e.actor_id for e in response.context["events"]}
    # A range that ends yesterday finds nothing of today's.
    yesterday = (timezone.localdate() - timezone.timedelta(days=1)).isoformat()
    response = web.post("/privacy/audit/search/", {"start": "2020-01-01", "end": yesterday})
    assert response.context["events"] == []
    assert AuditEvent.objects.filter(action="audit.search", actor_id=p.erin.pk).count() == 4


def test_it_keeps_the_search_out_of_the_url(viewed: Any) -> None:
    web = signed_in(viewed.erin)
    response = web.get("/privacy/audit/search/", {"actor": viewed.alice.pk, "start": _today()})
    assert response.context["events"] is None
    assert b'method="post"' in response.content


def test_it_tells_which_clients_records_a_user_opened_between_two_dates(viewed: Any) -> None:
    p = viewed
    web = signed_in(p.erin)
    day = _today()
    rows = web.post(
        "/privacy/audit/opened/", {"actor": p.alice.pk, "start": day, "end": day}
    ).context["rows"]
    assert sorted((r.client.pk, r.views) for r in rows) == sorted([(p.bob.pk, 1), (p.dave.pk, 1)])
    rows = web.post(
        "/privacy/audit/opened/", {"actor": p.sam.pk, "start": day, "end": day}
    ).context["rows"]
    assert [r.client for r in rows] == [p.bob]
    rows = web.post(
        "/privacy/audit/opened/", {"actor": p.alice.pk, "start": "2020-01-01", "end": "2020-12-31"}
    ).context["rows"]
    assert rows == []
    assert AuditEvent.objects.filter(action="audit.opened").count() == 3


def test_it_exports_the_log_as_json_and_audits_the_export(viewed: Any) -> None:
    p = viewed
    web = signed_in(p.erin)
    day = _today()
    before = AuditEvent.objects.filter(practice=p.riverside).count()
    response = web.post("/privacy/audit/export/", {"start": day, "end": day, "format": "json"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = json.loads(response.content)
    assert body["count"] == before == len(body["events"])
    assert [e["seq"] for e in body["events"]] == list(range(1, before + 1))
    assert {e["practice_id"] for e in body["events"]} == {str(p.riverside.pk)}
    export = AuditEvent.objects.get(action="audit.export")
    assert export.detail == {"format": "json", "events": before, "from": day, "to": day}
    assert export.actor_id == p.erin.pk
    assert audit.verify_chain(p.riverside).ok


def test_it_exports_what_a_recipient_needs_to_recompute_every_mac(viewed: Any) -> None:
    # The regulator holds the audit key: from the export alone, each event's content MAC,
    # its MAC (its id inside it) and the chain's links check out.
    import datetime as dt

    from django.conf import settings

    from plusone.audit import macs
    from plusone.audit.macs import CONTENT_FIELDS

    p = viewed
    day = _today()
    response = signed_in(p.erin).post(
        "/privacy/audit/export/", {"start": day, "end": day, "format": "json"}
    )
    key = dict(settings.AUDIT_KEY_RING)
    events = json.loads(response.content)["events"]
    assert events
    previous = ""
    for e in events:
        row = tuple(dt.datetime.fromisoformat(e[f]) if f == "at" else e[f] for f in CONTENT_FIELDS)
        secret = key[e["key_id"]]
        assert e["prev_mac"] == previous
        if e["mac_version"] == 1:
            assert e["mac"] == macs.event_v1(secret, row)
        else:
            assert e["content_mac"] == macs.content_v2(secret, row)
            assert e["mac"] == macs.event_v2(secret, e["id"], e["content_mac"])
        previous = e["mac"]


def test_it_exports_the_log_as_csv(viewed: Any) -> None:
    p = viewed
    web = signed_in(p.erin)
    day = _today()
    before = AuditEvent.objects.filter(practice=p.riverside).count()
    response = web.post("/privacy/audit/export/", {"start": day, "end": day, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == before
    assert rows[0]["seq"] == "1" and json.loads(rows[0]["detail"]) is not None


def test_it_refuses_the_tools_to_everyone_but_the_privacy_officer(personas: Any) -> None:
    paths = ("/privacy/audit/search/", "/privacy/audit/opened/", "/privacy/audit/export/")
    for user in (personas.alice, personas.sam, personas.charlie, personas.faye):
        web = signed_in(user)
        for path in paths:
            assert web.post(path, {"start": _today(), "end": _today()}).status_code == 403
    for path in paths:
        assert WebClient().get(path).status_code == 302
