"""Seed a practice of 10,000 clients and 200,000 administrations on the load database, fast.

Most clients are bulk-inserted through the real models (``bulk_create``: field encryption and
model defaults apply; no per-row audit, as an import of old records would not be per row
either), each with an open episode, a summary row and about 20 weekly PHQ-9 administrations
(a falling, noisy trajectory). The "live" caseloads (``--live-therapists`` x 80 clients) go
through ``clinical.actions.intake_client``, the real intake with its audit rows: those are the
clients who check in, whose observers answer, and whose therapists load dashboards during the
load test.

Run by ``bench/load_test.py`` when the database is empty; on its own::

    python bench/load/seed.py [--clients 10000] [--administrations 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BATCH = 2000
CASELOAD = 80
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "load test passphrase 1234"


def _therapist(practice: Any, email: str, password_hash: str) -> Any:
    from allauth.mfa.totp.internal.auth import TOTP

    from plusone.accounts.models import Membership, Role, User

    user = User.objects.create(email=email, password=password_hash)
    Membership.objects.create(practice=practice, user=user, role=Role.THERAPIST)
    TOTP.activate(user, TOTP_SECRET)
    return user


def _trend(rng: random.Random, n: int) -> list[int]:
    """A falling PHQ-9 course with noise: intake 12-22, settling 3-12."""
    start, end = rng.randint(12, 22), rng.randint(3, 12)
    return [
        max(0, min(27, round(start + (end - start) * k / max(n - 1, 1) + rng.gauss(0, 2))))
        for k in range(n)
    ]


def _answers(total: int) -> dict[str, int]:
    # Spread the total over items 1-8; item 9 (risk) is 0 on every seeded row.
    items = [min(3, max(0, (total - i + 7) // 8)) for i in range(8)]
    return {f"phq9_{i + 1}": v for i, v in enumerate(items)} | {"phq9_9": 0}


def bulk_clients(practice: Any, therapists: list[Any], clients: int, administrations: int) -> int:
    """``clients`` clients spread over ``therapists`` (80 each), with episodes, summaries and
    ``administrations`` PHQ-9 rows; return the administrations written."""
    from django.db import transaction
    from django.utils import timezone

    from plusone.clinical.models import Client, Episode, EpisodeSummary
    from plusone.measures.models import Administration, Context, Respondent

    rng = random.Random(15)
    now = timezone.now()
    today = timezone.localdate()
    per_client, extra = divmod(administrations, max(clients, 1))
    written = 0
    for start in range(0, clients, BATCH):
        n = min(BATCH, clients - start)
        people = [
            Client(
                id=uuid.uuid4(),
                practice=practice,
                therapist=therapists[(start + i) // CASELOAD % len(therapists)],
                given_name=f"Client{start + i}",
                family_name="Load",
                date_of_birth=dt.date(1980 + (start + i) % 30, 1 + i % 12, 1 + i % 28),
                email=f"c{start + i}@client.example",
            )
            for i in range(n)
        ]
        episodes = [
            Episode(
                id=uuid.uuid4(),
                practice=practice,
                client=c,
                primary_instrument="phq9",
                prior_therapy=bool(i % 2),
                opened_on=today - dt.timedelta(weeks=per_client + 1),
            )
            for i, c in enumerate(people)
        ]
        rows, summaries = [], []
        for i, (person, episode) in enumerate(zip(people, episodes, strict=True)):
            count = per_client + (1 if start + i < extra else 0)
            totals = _trend(rng, count)
            for k, total in enumerate(totals):
                at = now - dt.timedelta(weeks=count - k, hours=rng.randint(0, 48))
                rows.append(
                    Administration(
                        id=uuid.uuid4(),
                        practice=practice,
                        client_id=person.pk,
                        episode=episode,
                        instrument_key="phq9",
                        instrument_version="1",
                        context=Context.CHECKIN,
                        respondent=Respondent.CLIENT,
                        answers=_answers(total),
                        total=total,
                        valid=True,
                        started_at=at,
                        completed_at=at,
                        idempotency_key=f"seed:{episode.pk}:{k}",
                    )
                )
            summaries.append(
                EpisodeSummary(
                    id=uuid.uuid4(),
                    practice=practice,
                    episode=episode,
                    client_id=person.pk,
                    therapist=person.therapist,
                    primary_instrument="phq9",
                    latest_total=totals[-1] if totals else None,
                    primary_trend=totals[-8:],
                    last_session_at=now - dt.timedelta(weeks=1),
                )
            )
        with transaction.atomic():
            Client.objects.bulk_create(people)
            Episode.objects.bulk_create(episodes)
            EpisodeSummary.objects.bulk_create(summaries)
            Administration.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


def live_caseloads(practice: Any, therapists: list[Any]) -> int:
    """80 clients per therapist through the real intake, observers on, one observer each."""
    from django.utils import timezone

    from plusone.clinical import actions
    from plusone.clinical.models import Client
    from plusone.observers.models import Observer, Relationship

    today = timezone.localdate()
    made = 0
    for t, therapist in enumerate(therapists):
        for i in range(CASELOAD):
            data = actions.IntakeData(
                given_name=f"Live{t}x{i}",
                family_name="Client",
                date_of_birth=dt.date(1985, 1 + i % 12, 1 + i % 28),
                email=f"live{t}x{i}@client.example",
                primary="phq9",
                secondary="gad7" if i % 2 else "",
                prior_therapy=True,
                s2_intention="feel at home in my own life",
                goals=["sleep through the night", "see friends again"],
                safety_plan="call my sister",
                consent_channels=["email"],
            )
            person = actions.intake_client(
                therapist=therapist, practice=practice, data=data, today=today
            )
            Client.objects.filter(pk=person.pk).update(observers_enabled=True)
            observer = Observer(
                practice=practice,
                client=person,
                email=f"friend{t}x{i}@observer.example",
                relationship=Relationship.FRIEND,
                created_at=timezone.now(),
                last_invited_at=timezone.now(),
            )
            observer.label = "A friend"
            observer.save()
            made += 1
    return made


def seed(*, clients: int, administrations: int, live_therapists: int) -> dict[str, Any]:
    """Fill an empty, migrated database; return counts and seconds."""
    from django.contrib.auth.hashers import make_password

    from plusone.accounts.models import Practice

    started = time.monotonic()
    practice = Practice.objects.create(name="Load practice")
    hashed = make_password(PASSWORD)
    live = [
        _therapist(practice, f"live{t}@therapist.example", hashed) for t in range(live_therapists)
    ]
    bulk_count = clients - live_therapists * CASELOAD
    others = [
        _therapist(practice, f"t{t}@therapist.example", hashed)
        for t in range(max(1, -(-bulk_count // CASELOAD)))
    ]
    written = bulk_clients(practice, others, bulk_count, administrations)
    bulk_seconds = time.monotonic() - started
    made = live_caseloads(practice, live)
    return {
        "clients": bulk_count + made,
        "administrations": written,
        "therapists": len(live) + len(others),
        "bulk_seconds": round(bulk_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from load import env as load_env

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default=load_env.DEFAULT_DB)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--administrations", type=int, default=200_000)
    parser.add_argument("--live-therapists", type=int, default=5)
    args = parser.parse_args()
    load_env.apply(load_env.load_env(db=args.db))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    print(
        seed(
            clients=args.clients,
            administrations=args.administrations,
            live_therapists=args.live_therapists,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
