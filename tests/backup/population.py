"""Fill, write to and read a backup-test database through the real actions (run as a script).

    python tests/backup/population.py populate      # personas, a signed note, risk check-ins
    python tests/backup/population.py write STOPFILE [N]  # check-ins until STOPFILE exists
    python tests/backup/population.py read          # JSON: a decrypted note and the key ids

The environment (PLUSONE_PROFILE, PLUSONE_DATA_DIR, DATABASE_URL and the keys)
picks the database, exactly as it does for ``plusone backup`` and ``restore``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path[:0] = [str(TESTS), str(TESTS / "web" / "checkin")]


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
    django.setup()


def populate() -> None:
    from checkin_helpers import issue, phq9_with_item9

    from access_fixtures import example_objects
    from personas import make_personas
    from plusone.clinical.models import Flag
    from plusone.measures import actions

    p = make_personas()
    example_objects(p)  # a flag, a session and Bob's signed note with NOTE_SENTINEL
    for person in (p.bob, p.dave):
        _, token = issue(p.alice, person)
        actions.submit_checkin(link=token, answers={"phq9": phq9_with_item9(2)})
    _, token = issue(p.faye, p.gus)
    actions.submit_checkin(link=token, answers={"phq9": phq9_with_item9(1)})
    assert Flag.objects.filter(source_kind="test").count() == 1
    assert Flag.objects.exclude(source_kind="test").count() >= 3


def write(stop: Path, most: int) -> None:
    """Submit check-ins of one of Alice's clients until ``stop`` exists (or N); print how many."""
    from checkin_helpers import PHQ9_MODERATE, issue

    from plusone.accounts.models import User
    from plusone.clinical.models import Client
    from plusone.measures import actions

    alice = User.objects.get(email="alice@riverside.example")
    bob = Client.objects.filter(practice__name="Riverside").order_by("pk").first()
    done = 0
    deadline = time.monotonic() + 60
    while not stop.exists() and time.monotonic() < deadline and done < most:
        _, token = issue(alice, bob)
        actions.submit_checkin(link=token, answers={"phq9": dict(PHQ9_MODERATE)})
        done += 1
    print(done)


def read() -> None:
    """Bob's signed note, decrypted with the current keys, and every stored value's key id."""
    from allauth.mfa.models import Authenticator

    from plusone.backup.rotation import encrypted_models
    from plusone.crypto.keyring import KeyRing
    from plusone.notes.models import SessionNote

    kids: set[str | None] = set()
    for model, fields in encrypted_models():
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            kids |= {KeyRing.key_id(v) for v in row if v}
    for data in Authenticator.objects.values_list("data", flat=True):
        kids |= {KeyRing.key_id(data[k]) for k in ("secret", "seed") if data.get(k)}
    note = SessionNote.objects.get()
    print(json.dumps({"note": note.risk_assessment, "key_ids": sorted(k or "" for k in kids)}))


if __name__ == "__main__":
    _setup()
    command = sys.argv[1]
    if command == "populate":
        populate()
    elif command == "write":
        write(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 10**6)
    elif command == "read":
        read()
    else:
        sys.exit(f"unknown command {command!r}")
