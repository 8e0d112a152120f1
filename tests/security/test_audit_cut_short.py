"""The audit trail cannot be cut short, emptied or re-identified without `audit verify` saying so.

The attacker here can write to the database (the table owner's role, past the
PostgreSQL guard: tests/tamper.py) but does not hold the audit key. Each
attack was a passing `audit verify` before the chain head carried its own MAC,
the event id went into the event's MAC and anchors existed (issue 10 §5;
docs/security.md, "What the audit trail catches").
"""

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from plusone import audit
from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent, ChainHead
from tamper import tamper

pytestmark = pytest.mark.django_db


def _record(practice, n):
    with transaction.atomic():
        for i in range(n):
            audit.record(
                practice=practice,
                actor=None,
                action="test.event",
                target_type="accounts.practice",
                target_id=practice.pk,
                detail={"i": i},
            )


@pytest.fixture
def riverside():
    practice = Practice.objects.create(name="Riverside")
    _record(practice, 105)
    return practice


@pytest.fixture
def lakeview():
    practice = Practice.objects.create(name="Lakeview")
    _record(practice, 3)
    return practice


@pytest.fixture
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "audit-anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


def _db(value):
    """A UUID as this database stores it in a raw statement."""
    return AuditEvent._meta.get_field("id").get_db_prep_value(value, connection)


def _verify(*args):
    """Run `audit verify`; return (exit code, parsed JSON stdout)."""
    out = StringIO()
    try:
        call_command("audit", "verify", "--format", "json", *args, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def _break_of(report, practice_id):
    return next(p["break"] for p in report["practices"] if p["practice"] == str(practice_id))


def _anchor():
    out = StringIO()
    call_command("audit", "anchor", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def _cut_after(practice, seq):
    tamper(
        "DELETE FROM audit_auditevent WHERE practice_id = %s AND seq > %s",
        [_db(practice.pk), seq],
    )


def _put_head(practice, seq, mac, head_mac=None):
    sets, params = "seq = %s, mac = %s", [seq, mac]
    if head_mac is not None:
        sets, params = sets + ", head_mac = %s", [*params, head_mac]
    tamper(f"UPDATE audit_chainhead SET {sets} WHERE practice_id = %s", [*params, _db(practice.pk)])


def test_it_names_a_tail_cut_off_behind_a_head_rewritten_without_the_key(riverside, lakeview):
    # Attack 1: delete every event after 100 and copy event 100's MAC into the head.
    _cut_after(riverside, 100)
    _put_head(riverside, 100, AuditEvent.objects.get(practice=riverside, seq=100).mac)

    code, report = _verify()

    broken = _break_of(report, riverside.pk)
    assert code == 1 and report["ok"] is False
    assert broken["kind"] == "head_forged"
    assert "head" in broken["reason"] and "MAC" in broken["reason"]
    assert _break_of(report, lakeview.pk) is None


def test_it_names_a_practice_whose_whole_log_and_head_were_deleted(
    riverside, lakeview, anchor_file
):
    # Attack 2: the log and its head gone; only an anchor outside the database remembers.
    _anchor()
    tamper("DELETE FROM audit_auditevent WHERE practice_id = %s", [_db(riverside.pk)])
    tamper("DELETE FROM audit_chainhead WHERE practice_id = %s", [_db(riverside.pk)])
    assert _verify()[0] == 0  # without the anchors nothing says the log ever existed

    code, report = _verify("--anchors", str(anchor_file))

    broken = _break_of(report, riverside.pk)
    assert code == 1 and report["ok"] is False
    assert broken["kind"] == "chain_missing"
    assert "105" in broken["reason"]
    assert _break_of(report, lakeview.pk) is None


def test_it_names_an_event_whose_id_was_changed(riverside):
    # Attack 3: a new id for event 50, its content left as it was.
    tamper("UPDATE audit_auditevent SET id = %s WHERE seq = %s", [_db(uuid.uuid4()), 50])

    code, report = _verify()

    broken = _break_of(report, riverside.pk)
    assert code == 1
    assert (broken["seq"], broken["kind"]) == (50, "id_changed")
    assert broken["event_id"] == str(AuditEvent.objects.get(practice=riverside, seq=50).pk)


def test_it_names_a_rollback_to_before_the_last_anchor_as_truncated(riverside, anchor_file):
    # A head copied from an earlier state of the same chain is genuinely signed...
    _record_head = ChainHead.objects.get(practice=riverside)
    old = (_record_head.seq, _record_head.mac, _record_head.head_mac)
    _record(riverside, 5)
    _anchor()
    _cut_after(riverside, old[0])
    _put_head(riverside, *old)
    assert _verify()[0] == 0  # ...so without anchors the rollback is invisible

    code, report = _verify("--anchors", str(anchor_file))

    broken = _break_of(report, riverside.pk)
    assert code == 1
    assert broken["kind"] == "truncated"
    assert "110" in broken["reason"] and "105" in broken["reason"]


def test_it_names_a_chain_that_was_rolled_back_and_grew_again(riverside, anchor_file):
    head = ChainHead.objects.get(practice=riverside)
    old = (head.seq, head.mac, head.head_mac)
    _record(riverside, 5)
    _anchor()
    _cut_after(riverside, old[0])
    _put_head(riverside, *old)
    # The app carries on writing: seq 106-110 again, but not the anchored 110.
    _record(riverside, 5)
    assert _verify()[0] == 0

    code, report = _verify("--anchors", str(anchor_file))

    broken = _break_of(report, riverside.pk)
    assert code == 1
    assert (broken["seq"], broken["kind"]) == (110, "anchor_mismatch")


def test_it_does_not_catch_a_rollback_to_after_the_last_anchor(riverside, anchor_file):
    # The stated limit: anchors vouch only for what they saw.
    _anchor()
    head = ChainHead.objects.get(practice=riverside)
    old = (head.seq, head.mac, head.head_mac)
    _record(riverside, 5)
    _cut_after(riverside, old[0])
    _put_head(riverside, *old)

    code, report = _verify("--anchors", str(anchor_file))

    assert code == 0 and report["ok"] is True
