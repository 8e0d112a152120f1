"""The restore drill of docs/deploy.md, run here: back up a populated PostgreSQL database
under the prod profile, restore it into an empty one with the identity, and verify it.

1. A scratch source database (owned by ``plusone_app``): ``plusone migrate``, then
   ``plusone demo`` and ``--clients`` more clients through the intake action, each with
   a check-in submitted (every write through the real actions, the audit chain signed).
2. ``plusone backup`` to a fresh age recipient (the identity stays in a temp dir, as it
   would on removable media).
3. An empty target database: ``plusone restore FILE --identity ID`` (it checks the
   row counts, every audit chain and the manifest's anchors itself), then
   ``plusone audit verify`` on the target, as the recipe says.

Both databases are dropped at the end. Prints the figures as JSON; exits 1 when a step
fails. Needs the CI cluster on 127.0.0.1:5432 (superuser postgres, trust) and the role
``plusone_app`` (.ci/pg-setup).

Usage: scripts/restore-drill [--clients 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import log

SOURCE, TARGET = "plusone_drill_source", "plusone_drill_restore"
URL = "postgres://plusone_app@127.0.0.1:5432/{}"

SEED = """
import datetime as dt, sys
import django; django.setup()
from django.utils import timezone
from plusone.accounts.models import User
from plusone.clinical import actions as clinical
from plusone.measures import actions as measures
sys.path.insert(0, {tests!r})
from personas import intake_data
sys.path.insert(0, {checkin!r})
from checkin_helpers import answer_today
from plusone.demo.logins import EMAIL_DOMAIN
alice = User.objects.get(email=f"alice@{{EMAIL_DOMAIN}}")
practice = alice.memberships.first().practice
for n in range({clients}):
    person = clinical.intake_client(
        therapist=alice, practice=practice,
        data=intake_data(given_name=f"Drill{{n}}", family_name="Restore",
                         date_of_birth=dt.date(1980, 1, 1), goals=["sleep"]),
        today=timezone.localdate(),
    )
    issued = measures.issue_checkin_link(acting_user=alice, client=person, send_email=False)
    from plusone.measures.consent import record_checkin_consent
    record_checkin_consent(token=issued.token, agreed=True)
    answer_today(issued.token)
"""


def _step(name: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    log(name)
    started = time.perf_counter()
    done = common.plusone(args, env, timeout=1800)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return seconds, done.stdout


def drill(clients: int) -> dict[str, Any]:
    for name in (SOURCE, TARGET):
        common.drop_database(name)
        common.sql(f'CREATE DATABASE "{name}" OWNER plusone_app')
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as tmp:
        work = Path(tmp)
        import pyrage

        identity = pyrage.x25519.Identity.generate()
        id_file = work / "identity.txt"
        id_file.write_text(f"{identity}\n", encoding="utf-8")
        id_file.chmod(0o600)
        # The keys (field and audit) go with the backup's restore, as docs/backup.md says.
        source = common.prod_env(
            work / "data",
            URL.format(SOURCE),
            PLUSONE_BACKUP_RECIPIENT=str(identity.to_public()),
        )
        target = dict(source, DATABASE_URL=URL.format(TARGET))
        figures: dict[str, Any] = {"clients_added": clients}
        figures["migrate_s"] = round(
            _step("migrate the source", ["migrate", "--no-input"], source)[0], 1
        )
        figures["demo_s"] = round(
            _step("load the demo", ["demo", "--url", "https://127.0.0.1/"], source)[0], 1
        )
        log(f"add {clients} clients, each with a check-in")
        started = time.perf_counter()
        code = SEED.format(
            tests=str(common.ROOT / "tests"),
            checkin=str(common.ROOT / "tests" / "web" / "checkin"),
            clients=clients,
        )
        done = common.subprocess.run(
            [str(common.BIN / "python"), "-c", code],
            env=source,
            cwd=common.ROOT,
            text=True,
            capture_output=True,
            timeout=1800,
        )
        if done.returncode != 0:
            raise SystemExit(f"seeding failed:\n{done.stderr[-4000:]}")
        figures["seed_s"] = round(time.perf_counter() - started, 1)
        backup = work / "drill.tar.age"
        seconds, out = _step(
            "plusone backup", ["backup", "--output", str(backup), "--format", "json"], source
        )
        figures["backup_s"] = round(seconds, 1)
        figures["backup_bytes"] = backup.stat().st_size
        figures["backup"] = json.loads(out)
        seconds, out = _step(
            "plusone restore",
            ["restore", str(backup), "--identity", str(id_file), "--format", "json"],
            target,
        )
        figures["restore_s"] = round(seconds, 1)
        figures["restore"] = json.loads(out)
        seconds, out = _step(
            "plusone audit verify", ["audit", "verify", "--format", "json"], target
        )
        figures["verify_s"] = round(seconds, 1)
        figures["verify"] = json.loads(out)
    for name in (SOURCE, TARGET):
        common.drop_database(name)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    ns = parser.parse_args()
    figures = drill(ns.clients)
    print(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
