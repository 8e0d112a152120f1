"""The audit chain: record() inside the caller's transaction, a keyed HMAC chain, a locked head."""

import pytest
from django.db import transaction

from plusone import audit
from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent, ChainHead
from tamper import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice():
    return Practice.objects.create(name="Riverside")


def _record(practice, n=1, **detail):
    with transaction.atomic():
        for i in range(n):
            audit.record(
                practice=practice,
                actor=None,
                action="test.event",
                target_type="accounts.practice",
                target_id=practice.pk,
                detail={"i": i, **detail},
            )


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction(practice):
    with pytest.raises(AssertionError):
        audit.record(
            practice=practice, actor=None, action="x", target_type="t", target_id="1", detail={}
        )


def test_it_chains_events_and_verifies_them(practice):
    _record(practice, 3)
    events = list(AuditEvent.objects.filter(practice=practice).order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_mac == events[0].mac
    head = ChainHead.objects.get(practice=practice)
    assert (head.seq, head.mac) == (3, events[2].mac)
    result = audit.verify_chain(practice)
    assert result.ok and result.events == 3


def test_it_leaves_nothing_behind_when_the_write_rolls_back(practice):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(practice=practice, actor=None, action="x", target_type="t", target_id="1")
        raise RuntimeError
    assert not AuditEvent.objects.exists()
    assert audit.verify_chain(practice).ok


def _tamper(sql, params):
    # Past the PostgreSQL append-only guard, as an attacker with the owner's role could.
    tamper(sql, params)


def test_it_detects_an_edited_event(practice):
    _record(practice, 3)
    _tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 2])
    result = audit.verify_chain(practice)
    assert not result.ok and result.first_bad_seq == 2


def test_it_detects_a_deleted_event(practice):
    _record(practice, 3)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    result = audit.verify_chain(practice)
    assert not result.ok and result.first_bad_seq == 3


def test_it_detects_a_truncated_tail_through_the_head(practice):
    _record(practice, 3)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [3])
    assert not audit.verify_chain(practice).ok


def test_it_detects_an_event_signed_with_an_unknown_key(practice, settings):
    _record(practice, 1)
    settings.AUDIT_KEY_RING = [("k2", b"\x02" * 32)]
    assert audit.verify_chain(practice).reason.startswith("unknown audit key id")


def test_it_verifies_old_events_after_the_key_rotates(practice, settings):
    _record(practice, 2)
    old = settings.AUDIT_KEY_RING
    settings.AUDIT_KEY_RING = [("k2", b"\x02" * 32), *old]
    _record(practice, 2)
    kids = list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True))
    assert kids == [old[0][0], old[0][0], "k2", "k2"]
    assert audit.verify_chain(practice).ok


def test_it_keeps_one_chain_per_practice(practice):
    other = Practice.objects.create(name="Lakeview")
    _record(practice, 2)
    _record(other, 1)
    assert ChainHead.objects.get(practice=other).seq == 1
    assert audit.verify_chain(practice).ok and audit.verify_chain(other).ok


@pytest.mark.parametrize("bad", [12.5, "x" * 81, {"nested": 1}])
def test_it_refuses_details_that_could_carry_health_information(practice, bad):
    with pytest.raises((TypeError, ValueError)), transaction.atomic():
        audit.record(
            practice=practice,
            actor=None,
            action="x",
            target_type="t",
            target_id="1",
            detail={"v": bad},
        )


def test_it_records_who_viewed_a_record_without_its_content():
    from django.test import RequestFactory

    from personas import make_personas

    p = make_personas()
    request = RequestFactory().get("/")
    request.user = p.alice
    event = audit.record_view(request, p.bob)
    assert (event.action, event.target_type, event.target_id) == (
        "view",
        "clinical.client",
        str(p.bob.pk),
    )
    assert event.actor_kind == "user" and event.actor_id == p.alice.pk
    assert event.practice == p.riverside
    assert "Bob" not in str(event.detail)
    assert audit.verify_chain(p.riverside).ok
