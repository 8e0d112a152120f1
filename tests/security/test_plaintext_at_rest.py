"""No free text in a person's words is stored as plaintext: not in the SQLite file,
not in its write-ahead log (secure_delete on), not in a pg_dump.

Each check carries a positive control: a practice name, which is not encrypted,
must be found by the same scan, so a scan that reads nothing cannot pass.
"""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

SECURITY_DIR = Path(__file__).resolve().parent
TESTS_DIR = SECURITY_DIR.parent

CONTROL = "PracticeNameControl4417"
SENTINELS = {
    "s2_intention": "SentinelIntention8321 to feel at home",
    "goal": "SentinelGoal5560 speak up at work",
    "safety_plan": "SentinelSafetyPlan9043 call my brother",
    "action_note": "SentinelActionNote2718 phoned the client",
    "reworded_goal": "SentinelReworded6604 rest on Sundays",
}


def write_sentinels():
    """Create a practice, a therapist and a client whose free text is the sentinels."""
    from personas import intake_data
    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions
    from plusone.clinical.models import Goal

    practice = Practice.objects.create(name=CONTROL)
    therapist = User.objects.create_user("sentinel@example.org", "a long passphrase here")
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    client = actions.intake_client(
        therapist=therapist,
        practice=practice,
        data=intake_data(
            given_name="Sentinel",
            date_of_birth=dt.date(1980, 1, 1),
            email="sentinel.client@example.org",
            secondary="gad7",
            s2_intention=SENTINELS["s2_intention"],
            goals=[SENTINELS["goal"]],
            safety_plan=SENTINELS["safety_plan"],
            consent_channels=["email"],
        ),
        today=dt.date(2026, 11, 25),
    )
    episode = client.episodes.get()
    flag = actions.open_flag(
        episode=episode, grade=1, source_kind="test", source_id=client.pk, actor=therapist
    )
    actions.acknowledge_flag(user=therapist, flag=flag, note=SENTINELS["action_note"])
    # An overwritten value: secure_delete must leave no trace of the old page either.
    goal = Goal.objects.get(episode=episode)
    goal.text = SENTINELS["reworded_goal"]
    with transaction.atomic():
        goal.save(update_fields=["text"])


def _found(blob):
    return [name for name, text in SENTINELS.items() if text.encode() in blob]


SQLITE_SCRIPT = f"""
import sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
sys.path[:0] = [{str(TESTS_DIR)!r}, {str(SECURITY_DIR)!r}]
import test_plaintext_at_rest
test_plaintext_at_rest.write_sentinels()
print("ready", flush=True)
sys.stdin.read()
"""


def test_it_keeps_no_plaintext_in_the_sqlite_file_or_its_wal(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_URL"))
    }
    environment.update(
        PLUSONE_PROFILE="test",
        PLUSONE_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="plusone.settings",
    )
    # The writer keeps its connection open, so the -wal file is still there to read.
    writer = subprocess.Popen(
        [sys.executable, "-c", SQLITE_SCRIPT],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        database = tmp_path / "plusone.sqlite3"
        wal = tmp_path / "plusone.sqlite3-wal"
        assert wal.exists() and wal.stat().st_size > 0
        main_bytes, wal_bytes = database.read_bytes(), wal.read_bytes()
    finally:
        writer.communicate("", timeout=60)
    assert CONTROL.encode() in main_bytes + wal_bytes
    assert _found(main_bytes) == []
    assert _found(wal_bytes) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
def test_it_keeps_no_plaintext_in_a_pg_dump(tmp_path):
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pg_dump is not installed")
        pytest.skip("pg_dump is not installed")
    write_sentinels()
    db = connection.settings_dict
    # The superuser `postgres` (trust auth locally and in CI) may dump every table.
    host, port = db["HOST"] or "127.0.0.1", str(db["PORT"] or 5432)
    dump = subprocess.run(
        [pg_dump, "-h", host, "-p", port, "-U", "postgres", "--no-password", db["NAME"]],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert dump.returncode == 0, dump.stderr.decode()
    assert CONTROL.encode() in dump.stdout
    assert _found(dump.stdout) == []
