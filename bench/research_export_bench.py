"""Research export benchmark: a de-identified export of a synthetic practice, then
``plusone analyze`` over it.

Usage (from the repository root)::

    .venv/bin/python bench/research_export_bench.py [--clients 50] [--sessions 24] [--json]

Builds, on a fresh SQLite database in a temporary directory, one practice with
``--clients`` clients of one therapist, each with ``--sessions`` weekly check-ins
from ``tests/journey_fixtures.give_history`` (the primary, goals, Session
Reflection and Therapist Rating every session; Felt Change, WHO-5 or SWLS every
4th; a +1 decision). It then times, as the practice admin:

- "export": ``plusone.interop.actions.export_practice(fmt=research)``, the same
  call as the page and ``plusone export`` (query, pseudonyms, date shifts, CSV,
  audit row);
- "analyze": the real ``plusone analyze FILE --format json --no-trace`` in a
  subprocess, wall-clock, and checks it rejected no row and saw every pseudonym.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

# Sets up Django (test profile, temporary data dir).
import checkin_bench  # noqa: E402


def _practice(clients: int, sessions: int):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from journey_fixtures import give_history
    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions

    practice = Practice.objects.create(name="Bench research")
    therapist = User.objects.create_user(f"t-{time.time_ns()}@example.org", "bench pass 1234")
    admin = User.objects.create_user(f"a-{time.time_ns()}@example.org", "bench pass 1234")
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    Membership.objects.create(practice=practice, user=admin, role=Role.ADMIN)
    for i in range(clients):
        data = actions.IntakeData(
            given_name=f"Client{i:03d}",
            family_name="Bench",
            date_of_birth=dt.date(1985, 1, 1),
            email="",
            primary="phq9",
            secondary="gad7",
            prior_therapy=i % 2 == 0,
            s2_intention="to feel at home in my own life",
            goals=["first goal", "second goal"],
            safety_plan="",
            consent_channels=[],
        )
        person = actions.intake_client(
            therapist=therapist, practice=practice, data=data, today=timezone.localdate()
        )
        give_history(
            person.episodes.get(),
            n=sessions,
            skipped=sessions // 2,
            decision_session=sessions - 6,
            rupture_session=sessions - 3,
            next_session=False,
        )
    return practice, admin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=24)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    from plusone.interop.actions import Format, export_practice

    checkin_bench._setup_database()
    start = time.perf_counter()
    practice, admin = _practice(args.clients, args.sessions)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    out = export_practice(user=admin, fmt=Format.RESEARCH, practice_id=practice.pk)
    export_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "research.csv"
        path.write_text(out.text, encoding="utf-8")
        cmd = [sys.executable, "-m", "plusone.cli", "analyze", str(path), "--format", "json"]
        start = time.perf_counter()
        done = subprocess.run([*cmd, "--no-trace"], capture_output=True, text=True, check=False)
        analyze_s = time.perf_counter() - start
    result = json.loads(done.stdout)
    pseudonyms = {line.split(",", 1)[0] for line in out.text.splitlines()[1:]}
    figures = {
        "clients": args.clients,
        "sessions": args.sessions,
        "rows": out.rows,
        "bytes": len(out.text.encode()),
        "build_s": round(build_s, 1),
        "export_s": round(export_s, 3),
        "analyze_s": round(analyze_s, 3),
        "analyze_exit": done.returncode,
        "analyze_errors": len(result["errors"]),
        "analyze_clients": len(result["clients"]),
        "all_read": not result["errors"] and {c["client"] for c in result["clients"]} == pseudonyms,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:16} {v}")
    return 0 if figures["all_read"] else 1


if __name__ == "__main__":
    sys.exit(main())
