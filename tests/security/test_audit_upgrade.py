"""Events recorded before the id was signed still verify, their ids are sealed, and no downgrade.

The old events here are written the way PlusOne wrote them before issue 10
(the MAC over the content alone, as in chain.py at 2807fcf, copied below),
then sealed by migration audit/0004 (docs/security.md, "Upgrading a trail
recorded before ids were signed").
"""

import datetime as dt
import hashlib
import hmac
import importlib
import json
import uuid

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent, ChainHead
from tamper import tamper

pytestmark = pytest.mark.django_db

seal_migration = importlib.import_module(
    "plusone.audit.migrations.0004_seal_events_recorded_before_ids_were_signed"
)


def _old_mac(key, event):
    """chain._mac before issue 10: no id, no version."""
    body = {
        "practice": str(event.practice_id),
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "detail": event.detail,
        "key_id": event.key_id,
        "prev": event.prev_mac,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def _record_the_old_way(practice, n, settings):
    kid, key = settings.AUDIT_KEY_RING[0]
    head, _ = ChainHead.objects.get_or_create(practice=practice)
    for i in range(n):
        event = AuditEvent(
            practice=practice,
            seq=head.seq + 1,
            at=timezone.now(),
            actor_kind="system",
            action="old.event",
            target_type="accounts.practice",
            target_id=str(practice.pk),
            detail={"i": i},
            key_id=kid,
            prev_mac=head.mac,
            mac_version=1,
        )
        event.mac = _old_mac(key, event)
        event.save(force_insert=True)
        head.seq, head.mac, head.key_id = event.seq, event.mac, kid
        head.save()


def _record(practice, n):
    with transaction.atomic():
        for i in range(n):
            audit.record(
                practice=practice, actor=None, action="new.event", target_type="t", target_id=i
            )


def _db(value):
    return AuditEvent._meta.get_field("id").get_db_prep_value(value, connection)


@pytest.fixture
def upgraded(settings):
    """A practice with 4 events from before the upgrade, sealed, then 2 recorded since."""
    practice = Practice.objects.create(name="Riverside")
    _record_the_old_way(practice, 4, settings)
    with transaction.atomic():
        seal_migration.seal(apps, None)
    _record(practice, 2)
    return practice


def test_it_verifies_old_events_and_seals_them_in_the_chain(upgraded):
    events = list(AuditEvent.objects.filter(practice=upgraded).order_by("seq"))
    assert [e.mac_version for e in events] == [1, 1, 1, 1, 2, 2, 2]
    seal = events[4]
    assert seal.action == "audit.upgrade" and seal.detail["legacy_events"] == 4
    assert seal.prev_mac == events[3].mac
    result = audit.verify_chain(upgraded)
    assert result.ok and result.events == 7


def test_it_names_an_old_events_changed_id_at_the_seal(upgraded):
    tamper("UPDATE audit_auditevent SET id = %s WHERE seq = %s", [_db(uuid.uuid4()), 2])

    result = audit.verify_chain(upgraded)

    assert (result.ok, result.kind, result.first_bad_seq) == (False, "id_changed", 5)
    assert "events 1 to 4" in result.reason


def test_it_names_a_new_event_set_back_to_the_old_format(upgraded):
    # Version 1 is checked without the id: an attacker would like event 6 to be read that way.
    tamper("UPDATE audit_auditevent SET mac_version = 1, content_mac = '' WHERE seq = %s", [6])

    result = audit.verify_chain(upgraded)

    assert (result.ok, result.kind, result.first_bad_seq) == (False, "downgraded", 6)


def test_it_names_a_downgrade_in_a_chain_that_began_signed():
    practice = Practice.objects.create(name="Lakeview")
    _record(practice, 3)
    tamper("UPDATE audit_auditevent SET mac_version = 1, content_mac = '' WHERE seq = %s", [1])

    result = audit.verify_chain(practice)

    # The first event has no new-format event before it, so its old-format MAC is checked:
    # the stored MAC covers the id, and the old formula cannot reproduce it.
    assert (result.ok, result.kind, result.first_bad_seq) == (False, "altered", 1)


def test_it_still_names_an_old_event_edited_before_the_upgrade(settings):
    practice = Practice.objects.create(name="Riverside")
    _record_the_old_way(practice, 3, settings)
    tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 2])
    with transaction.atomic():
        seal_migration.seal(apps, None)

    result = audit.verify_chain(practice)

    assert (result.ok, result.kind, result.first_bad_seq) == (False, "altered", 2)


def test_it_signs_the_head_with_the_seal(upgraded):
    head = ChainHead.objects.get(practice=upgraded)
    assert head.seq == 7 and len(head.head_mac) == 64
    tamper("UPDATE audit_chainhead SET head_mac = %s", [""])
    assert audit.verify_chain(upgraded).kind == "head_forged"
