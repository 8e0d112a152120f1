"""Seed a fresh crash-test database through the real actions (run as a script).

    python tests/crash/seed.py N TOKENS_FILE

Creates one practice, one therapist and N clients (each through the intake
action, so each has an open episode, a plan and a summary row), issues one
check-in link per client and writes the raw tokens, one a line, to TOKENS_FILE.
The environment (PLUSONE_PROFILE, PLUSONE_DATA_DIR, DATABASE_URL) picks the
database, exactly as it does for the gunicorn server the test starts.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit


def main(count: int, out: Path) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
    django.setup()
    from django.utils import timezone

    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions as clinical
    from plusone.measures import actions as measures

    # The personas module (tests/) holds the one intake builder; Django must be set up first.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from personas import intake_data

    today = timezone.localdate()
    practice = Practice.objects.create(name="Crash Test Practice")
    therapist = User.objects.create_user(
        "therapist@crash.example", "a long crash-test passphrase", first_name="Tess"
    )
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    lines = []
    for n in range(count):
        data = intake_data(
            given_name=f"Client{n}",
            family_name="Crash",
            date_of_birth=dt.date(1985, 1, 1),
            secondary="gad7",
            prior_therapy=True,
            s2_intention="to feel steadier",
            goals=["sleep through the night"],
            safety_plan="call my sister",
        )
        person = clinical.intake_client(
            therapist=therapist, practice=practice, data=data, today=today
        )
        issued = measures.issue_checkin_link(acting_user=therapist, client=person, send_email=False)
        lines.append(urlsplit(issued.url).path.rsplit("/", 1)[-1])
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
