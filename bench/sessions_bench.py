"""Sessions benchmark: the 40-session journey, the week view and the session list, against
the check-in bench's baseline view in the same run.

Usage (from the repository root)::

    .venv/bin/python bench/sessions_bench.py [--runs 200] [--clients 10000]
        [--administrations 200000] [--sessions 100000] [--json]

It fills the database exactly as ``bench/dashboard_bench.py`` does (imported, not
copied: ``--clients`` background clients and ``--administrations`` administrations,
then a therapist with 80 clients, one with a 40-session history), adds ``--sessions``
background sessions spread over the background clients, and gives the therapist a week
of 30 sessions (with check-in links and sittings, so every state is read). Then,
through the full middleware stack (session, MFA, CSRF, CSP, the audit chain and field
encryption on), it times GET of the journey, of the week holding those sessions and of
the 40-session client's session list, and the baseline view.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

# Sets up Django (through checkin_bench) and holds the shared fill and timing helpers.
import dashboard_bench  # noqa: E402

checkin_bench = dashboard_bench.checkin_bench
WEEK_SESSIONS = 30


def _background_sessions(count: int) -> None:
    """``count`` attended sessions spread over the background practice's episodes."""
    from django.db import transaction
    from django.utils import timezone

    from plusone.clinical.models import Episode, Session

    episodes = list(
        Episode.objects.filter(practice__name="Background practice").values_list(
            "pk", "practice_id"
        )
    )
    if not episodes or not count:
        return
    now = timezone.now()
    rows = [
        Session(
            id=uuid.uuid4(),
            practice_id=episodes[i % len(episodes)][1],
            episode_id=episodes[i % len(episodes)][0],
            starts_at=now - dt.timedelta(days=7 * (i // len(episodes)) + 1),
            status=Session.Status.ATTENDED,
        )
        for i in range(count)
    ]
    for b in range(0, len(rows), dashboard_bench.BATCH):
        with transaction.atomic():
            Session.objects.bulk_create(rows[b : b + dashboard_bench.BATCH])


def _a_week(therapist: Any, monday: dt.date) -> None:
    """30 sessions of the therapist's clients in the week of ``monday``, with a check-in
    link for every third and a completed sitting for every fifth."""
    from django.utils import timezone

    from plusone import tokens
    from plusone.clinical.models import Client, Session
    from plusone.measures.models import Sitting

    people = list(Client.objects.filter(therapist=therapist).prefetch_related("episodes"))
    now = timezone.now()
    for i in range(WEEK_SESSIONS):
        person = people[1 + i % (len(people) - 1)]
        episode = person.episodes.all()[0]
        day = monday + dt.timedelta(days=i % 7)
        starts = timezone.make_aware(dt.datetime.combine(day, dt.time(8 + i // 7)))
        Session.objects.create(practice_id=person.practice_id, episode=episode, starts_at=starts)
        if i % 3 == 0:
            tokens.issue(
                "checkin",
                practice=person.practice,
                client=person,
                episode=episode,
                ttl=dt.timedelta(days=7),
            )
        if i % 5 == 0:
            Sitting.objects.create(
                practice_id=person.practice_id,
                client=person,
                episode=episode,
                context="checkin",
                status="completed",
                idempotency_key=f"bench-week-{i}",
                started_at=now,
                completed_at=now,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--administrations", type=int, default=200_000)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    import django
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse
    from django.utils import timezone

    from personas import login_as
    from plusone.insights.week import monday_of
    from plusone.web.startup import settle

    with override_settings(ROOT_URLCONF=checkin_bench.__name__, ALLOWED_HOSTS=["testserver"]):
        checkin_bench._setup_database()
        started = time.perf_counter()
        dashboard_bench._background(args.clients, args.administrations)
        _background_sessions(args.sessions)
        therapist, episode = dashboard_bench._caseload()
        monday = monday_of(timezone.localdate()) + dt.timedelta(days=7)
        _a_week(therapist, monday)
        fill_s = time.perf_counter() - started
        web = Client()
        login_as(web, therapist)
        urls = {
            "journey": reverse("insights:journey", args=[episode.pk]),
            "week": f"{reverse('insights:week')}?week={monday.isoformat()}",
            "session_list": reverse("clinical:sessions", args=[episode.client_id]),
        }
        for url in urls.values():
            dashboard_bench._measure(web, url, 3)
        checkin_bench.measure_baseline(20)
        # As a served process does once loaded (plusone.wsgi, web/startup.py).
        settle()
        measured = {
            name: dashboard_bench._measure(web, url, args.runs) for name, url in urls.items()
        }
        base = checkin_bench.measure_baseline(args.runs)

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "median": statistics.median(values),
            "p95": dashboard_bench._percentile(values, 0.95),
        }

    result: dict[str, Any] = {
        "database": django.db.connection.vendor,
        "runs": args.runs,
        "background": {
            "clients": args.clients,
            "administrations": args.administrations,
            "sessions": args.sessions,
        },
        "fill_seconds": round(fill_s, 1),
        "baseline_ms": stats(base),
    }
    for name, (times, queries, cpu) in measured.items():
        result[f"{name}_ms"] = stats(times) | {"cpu_mean": cpu, "queries": queries}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"database: {result['database']}, runs: {args.runs}, background: {args.clients} "
        f"clients, {args.administrations} administrations, {args.sessions} sessions "
        f"(filled in {fill_s:.0f} s)"
    )
    print(f"{'':32} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>8} {'queries':>8}")
    for name, label in (
        ("journey", f"journey, {dashboard_bench.JOURNEY_SESSIONS} sessions"),
        ("week", f"week view, {WEEK_SESSIONS} sessions"),
        ("session_list", f"session list, {dashboard_bench.JOURNEY_SESSIONS + 1} sessions"),
        ("baseline", "baseline"),
    ):
        row = result[f"{name}_ms"]
        queries = row.get("queries", "")
        cpu = f"{row['cpu_mean']:.1f}" if "cpu_mean" in row else ""
        print(f"{label:32} {row['median']:10.1f} {row['p95']:10.1f} {cpu:>8} {queries!s:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
