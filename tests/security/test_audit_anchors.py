"""`plusone audit anchor` writes signed heads outside the database; `verify --anchors` reads them.

The attacks the anchors catch are in test_audit_cut_short.py; here is the
file itself: where it goes, who may read it, what a forged or damaged line
does, and what the anchor command refuses to vouch for.
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
from plusone.audit.anchors import write_anchor
from plusone.audit.models import ChainHead
from tamper import tamper

pytestmark = pytest.mark.django_db


def _record(practice, n):
    with transaction.atomic():
        for i in range(n):
            audit.record(
                practice=practice, actor=None, action="test.event", target_type="t", target_id=i
            )


@pytest.fixture
def riverside():
    practice = Practice.objects.create(name="Riverside")
    _record(practice, 4)
    return practice


@pytest.fixture
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit" / "anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


def _run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, "--format", "json", stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


def test_it_appends_one_signed_line_per_practice_to_a_private_file(riverside, anchor_file):
    lakeview = Practice.objects.create(name="Lakeview")
    _record(lakeview, 2)
    Practice.objects.create(name="Hillside")  # no events: nothing to anchor

    code, report, _ = _run("anchor")
    _run("anchor")

    assert code == 0 and report["ok"] is True
    assert sorted(a["seq"] for a in report["anchors"]) == [2, 4]
    lines = [json.loads(x) for x in anchor_file.read_text().splitlines()]
    assert len(lines) == 4  # appended, never rewritten
    assert set(lines[0]) == {
        "v",
        "practice",
        "seq",
        "mac",
        "head_mac",
        "at",
        "key_id",
        "anchor_mac",
    }
    head = ChainHead.objects.get(practice=riverside)
    mine = next(x for x in lines if x["practice"] == str(riverside.pk))
    assert (mine["seq"], mine["mac"], mine["head_mac"]) == (head.seq, head.mac, head.head_mac)
    assert anchor_file.stat().st_mode & 0o777 == 0o600
    assert anchor_file.parent.stat().st_mode & 0o777 == 0o700


def test_it_exposes_a_plain_function_for_the_daily_command(riverside, anchor_file):
    from django.utils import timezone

    run = write_anchor(now=timezone.now())

    assert run.ok and run.path == anchor_file and [x["seq"] for x in run.lines] == [4]
    assert _run("verify", "--anchors", str(anchor_file))[0] == 0


def test_it_names_a_forged_anchor_line_and_uses_the_others(riverside, anchor_file):
    _run("anchor")
    forged = json.loads(anchor_file.read_text())
    forged["seq"] = 40  # an attacker claims more events than there were, to raise a false alarm
    with anchor_file.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
        handle.write("not json\n")

    code, report, _ = _run("verify", "--anchors", str(anchor_file))

    assert code == 1 and report["ok"] is False
    assert report["practices"][0]["ok"] is True  # the forged line was not believed
    problems = {(p["line"], p["kind"]) for p in report["anchors"]["problems"]}
    assert problems == {(2, "anchor_forged"), (3, "unreadable")}
    assert (report["anchors"]["lines"], report["anchors"]["used"]) == (3, 1)


def test_it_treats_an_unreadable_anchor_file_as_a_usage_error(riverside, tmp_path):
    code, _, err = _run("verify", "--anchors", str(tmp_path / "nowhere.jsonl"))
    assert code == 2 and "--anchors: cannot read" in err


def test_it_does_not_vouch_for_a_forged_head(riverside, anchor_file):
    lakeview = Practice.objects.create(name="Lakeview")
    _record(lakeview, 2)
    tamper(
        "UPDATE audit_chainhead SET seq = 3, mac = (SELECT mac FROM audit_auditevent "
        "WHERE practice_id = audit_chainhead.practice_id AND seq = 3) WHERE seq = 4"
    )

    code, report, err = _run("anchor")

    assert code == 1
    assert [a["practice"] for a in report["anchors"]] == [str(lakeview.pk)]
    assert f"practice {riverside.pk}: its chain head's own MAC does not verify" in err


def test_it_warns_when_the_chain_no_longer_holds_an_earlier_anchor(riverside, anchor_file):
    _run("anchor")
    head = ChainHead.objects.get(practice=riverside)
    old = (head.seq, head.mac, head.head_mac)
    _record(riverside, 2)
    _run("anchor")
    tamper("DELETE FROM audit_auditevent WHERE seq > %s", [old[0]])
    tamper("UPDATE audit_chainhead SET seq = %s, mac = %s, head_mac = %s", list(old))

    code, report, err = _run("anchor")

    assert code == 1
    # The rolled-back head is genuinely signed, so it is anchored too; the file keeps both.
    assert [a["seq"] for a in report["anchors"]] == [4]
    assert "no longer holds event 6" in err


SETUP_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
from plusone import audit
from plusone.accounts.models import Practice
call_command("migrate", verbosity=0)
practice = Practice.objects.create(name="Riverside")
with transaction.atomic():
    for i in range(3):
        audit.record(practice=practice, actor=None, action="x", target_type="t", target_id=i)
"""

DELETE_SCRIPT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM audit_auditevent")
    cursor.execute("DELETE FROM audit_chainhead")
"""


def test_it_anchors_under_the_data_dir_and_catches_a_deleted_log_from_the_command_line(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_URL"))
    }
    environment.update(PLUSONE_PROFILE="test", PLUSONE_DATA_DIR=str(tmp_path))
    run = {"cwd": tmp_path, "env": environment, "capture_output": True, "text": True}
    django_env = {**environment, "DJANGO_SETTINGS_MODULE": "plusone.settings"}
    setup = subprocess.run([sys.executable, "-c", SETUP_SCRIPT], **{**run, "env": django_env})
    assert setup.returncode == 0, setup.stderr
    plusone = str(Path(sys.executable).parent / "plusone")

    anchored = subprocess.run([plusone, "audit", "anchor"], **run, timeout=120)
    assert anchored.returncode == 0, anchored.stderr
    default = tmp_path / "audit" / "anchors.jsonl"
    assert json.loads(anchored.stdout)["file"] == str(default)
    assert default.stat().st_mode & 0o777 == 0o600

    deleted = subprocess.run([sys.executable, "-c", DELETE_SCRIPT], **{**run, "env": django_env})
    assert deleted.returncode == 0, deleted.stderr
    verified = subprocess.run(
        [plusone, "audit", "verify", "--anchors", str(default)], **run, timeout=120
    )
    assert verified.returncode == 1
    report = json.loads(verified.stdout)
    assert report["practices"][0]["break"]["kind"] == "chain_missing"
    assert "broken" in verified.stderr
