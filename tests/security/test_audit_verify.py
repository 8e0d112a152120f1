"""`plusone audit verify` names the first break of a tampered chain, and passes a whole one.

Each tamper case was watched failing once against a verifier broken on
purpose (docs/security.md, "Audit trail you can verify").
"""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from plusone import audit
from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent
from tamper import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def riverside():
    practice = Practice.objects.create(name="Riverside")
    with transaction.atomic():
        for i in range(5):
            audit.record(
                practice=practice,
                actor=None,
                action="test.event",
                target_type="accounts.practice",
                target_id=practice.pk,
                detail={"i": i},
            )
    return practice


def _verify(*args):
    """Run the command; return (exit code, parsed JSON stdout)."""
    out = StringIO()
    try:
        call_command("audit", "verify", "--format", "json", *args, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def _first_break(report):
    return next(p["break"] for p in report["practices"] if p["break"])


def _event(practice, seq):
    return AuditEvent.objects.get(practice=practice, seq=seq)


def test_it_passes_a_whole_chain_and_exits_0(riverside):
    Practice.objects.create(name="Lakeview")
    code, report = _verify()
    assert code == 0 and report["ok"] is True
    events = {p["name"]: (p["ok"], p["events"]) for p in report["practices"]}
    assert events == {"Riverside": (True, 5), "Lakeview": (True, 0)}


def test_it_names_an_altered_event(riverside):
    tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 3])
    code, report = _verify()
    broken = _first_break(report)
    assert code == 1 and report["ok"] is False
    assert (broken["seq"], broken["kind"]) == (3, "altered")
    assert broken["event_id"] == str(_event(riverside, 3).pk)


def test_it_names_a_deleted_event(riverside):
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    code, report = _verify()
    broken = _first_break(report)
    assert code == 1
    assert (broken["seq"], broken["kind"]) == (3, "missing")
    assert "event 2 missing" in broken["reason"]


def test_it_names_a_deleted_event_hidden_by_renumbering(riverside):
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    for seq in (3, 4, 5):
        tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq - 1, seq])
    code, report = _verify()
    broken = _first_break(report)
    assert code == 1
    assert (broken["seq"], broken["kind"]) == (2, "missing")


def test_it_names_two_events_swapped(riverside):
    # Swap the sequence numbers of events 2 and 4 (through a free number: seq is unique).
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [999, 2])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [2, 4])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [4, 999])
    code, report = _verify()
    broken = _first_break(report)
    assert code == 1
    assert (broken["seq"], broken["kind"]) == (2, "reordered")


def test_it_names_a_forged_head(riverside):
    tamper("UPDATE audit_chainhead SET mac = %s", ["0" * 64])
    code, report = _verify()
    broken = _first_break(report)
    assert code == 1
    assert broken["kind"] == "head_mismatch" and broken["event_id"] is None


def test_it_names_a_truncated_tail_as_a_head_mismatch(riverside):
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [5])
    code, report = _verify()
    assert code == 1 and _first_break(report)["kind"] == "head_mismatch"


def test_it_verifies_one_practice_when_asked(riverside):
    lakeview = Practice.objects.create(name="Lakeview")
    tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 1])
    code, report = _verify("--practice", str(lakeview.pk))
    assert code == 0 and [p["name"] for p in report["practices"]] == ["Lakeview"]


@pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_it_treats_an_unknown_practice_as_a_usage_error(riverside, bad):
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", "--practice", bad, stdout=StringIO())
    assert caught.value.returncode == 2


def test_it_prints_a_table_naming_the_break(riverside):
    tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["forged", 3])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--format", "table", stdout=out)
    text = out.getvalue()
    assert "BROKEN" in text and "event 3: altered" in text


SETUP_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from plusone import audit
from plusone.accounts.models import Practice
call_command("migrate", verbosity=0)
practice = Practice.objects.create(name="Riverside")
with transaction.atomic():
    for i in range(3):
        audit.record(practice=practice, actor=None, action="x", target_type="t", target_id=i)
with connection.cursor() as cursor:
    cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2")
"""


def test_it_keeps_stdout_for_the_report_and_exits_1_from_the_command_line(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_URL"))
    }
    environment.update(PLUSONE_PROFILE="test", PLUSONE_DATA_DIR=str(tmp_path))
    run = {
        "cwd": tmp_path,
        "env": environment,
        "capture_output": True,
        "text": True,
        "timeout": 120,
    }
    setup = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT],
        **{**run, "env": {**environment, "DJANGO_SETTINGS_MODULE": "plusone.settings"}},
    )
    assert setup.returncode == 0, setup.stderr
    plusone = str(Path(sys.executable).parent / "plusone")
    result = subprocess.run([plusone, "audit", "verify"], **run)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert _first_break(report)["kind"] == "altered"
    assert "broken" in result.stderr
