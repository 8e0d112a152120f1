"""Dashboard and journey benchmark: server time against the check-in bench's baseline view.

Usage (from the repository root)::

    .venv/bin/python bench/dashboard_bench.py [--runs 200] [--clients 10000]
        [--administrations 200000] [--caseload 80] [--json]

Runs in-process on a fresh SQLite database in a temporary directory (or the
database in ``DATABASE_URL``), through Django's full middleware stack (session,
MFA, CSRF, CSP, the audit chain and field encryption on), in the same run:

- "dashboard": GET of the caseload dashboard for a therapist with ``--caseload`` clients
  (80 by default; issue 12 asks 80 and 300);
- "search": the caseload's POST search by name with a tier filter (htmx), same therapist;
- "journey": GET of the journey page of a 40-session client (two SVG renders:
  desktop and phone);
- "baseline": ``bench/checkin_bench.py``'s baseline view (a POST that renders a
  one-line template, no database), the team's reference.

Before measuring it fills the database with ``--clients`` other clients of
another practice and ``--administrations`` administrations spread over them
(bulk inserts: only the size of the tables matters here). Times are wall-clock
around the one request measured, so they are server time without a network.
It also times the journey's SVG render alone.
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
sys.path.insert(0, str(BENCH.parent / "tests"))

# Sets up Django (test profile, temporary data dir) and defines the baseline view.
import checkin_bench  # noqa: E402

BATCH = 5000
CASELOAD = 80
JOURNEY_SESSIONS = 40


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _background(clients: int, administrations: int) -> None:
    """Other practices' rows: ``clients`` clients with open episodes and summaries, and
    ``administrations`` PHQ-9 administrations spread evenly over them."""
    from django.db import transaction
    from django.utils import timezone

    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical.models import Client, Episode, EpisodeSummary
    from plusone.measures.models import Administration, Context, Respondent

    practice = Practice.objects.create(name="Background practice")
    other = User.objects.create_user(f"other-{time.time_ns()}@example.org", "bench pass 1234")
    Membership.objects.create(practice=practice, user=other, role=Role.THERAPIST)
    now = timezone.now()
    per_client = max(administrations // max(clients, 1), 0)
    for start in range(0, clients, BATCH):
        n = min(BATCH, clients - start)
        people = [
            Client(
                id=uuid.uuid4(),
                practice=practice,
                therapist=other,
                given_name=f"Other{start + i}",
                family_name="Background",
                date_of_birth=dt.date(1980, 1, 1),
            )
            for i in range(n)
        ]
        episodes = [
            Episode(
                id=uuid.uuid4(),
                practice=practice,
                client=c,
                primary_instrument="phq9",
                prior_therapy=False,
                opened_on=now.date(),
            )
            for c in people
        ]
        with transaction.atomic():
            Client.objects.bulk_create(people)
            Episode.objects.bulk_create(episodes)
            EpisodeSummary.objects.bulk_create(
                EpisodeSummary(
                    id=uuid.uuid4(),
                    practice=practice,
                    episode=e,
                    client_id=e.client_id,
                    therapist=other,
                    primary_instrument="phq9",
                    primary_trend=[12, 11, 10],
                )
                for e in episodes
            )
            rows = [
                Administration(
                    id=uuid.uuid4(),
                    practice=practice,
                    client_id=e.client_id,
                    episode=e,
                    instrument_key="phq9",
                    instrument_version="1",
                    context=Context.CHECKIN,
                    respondent=Respondent.CLIENT,
                    answers={},
                    total=10,
                    valid=True,
                    started_at=now - dt.timedelta(weeks=k),
                    completed_at=now - dt.timedelta(weeks=k),
                    idempotency_key=f"bg:{e.pk}:{k}",
                )
                for e in episodes
                for k in range(per_client)
            ]
            for b in range(0, len(rows), BATCH):
                Administration.objects.bulk_create(rows[b : b + BATCH])


def _caseload(size: int = CASELOAD) -> tuple[Any, Any]:
    """A therapist with ``size`` clients in mixed tiers; one has a 40-session history."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.db import transaction
    from django.utils import timezone

    from journey_fixtures import give_history
    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions

    practice = Practice.objects.create(name="Bench caseload")
    therapist = User.objects.create_user(f"k-{time.time_ns()}@example.org", "bench pass 1234")
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    TOTP.activate(therapist, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    first = None
    for i in range(size):
        data = actions.IntakeData(
            given_name=f"Client{i:02d}",
            family_name="Bench",
            date_of_birth=dt.date(1985, 1, 1),
            email="",
            primary="phq9",
            secondary="gad7",
            prior_therapy=True,
            s2_intention="to feel at home in my own life, with the people I love",
            goals=["first goal", "second goal"],
            safety_plan="",
            consent_channels=[],
        )
        person = actions.intake_client(
            therapist=therapist, practice=practice, data=data, today=timezone.localdate()
        )
        episode = person.episodes.get()
        if i == 0:
            first = episode
            continue
        with transaction.atomic():
            if i % 10 == 1:
                actions.open_flag(
                    episode=episode,
                    grade=1,
                    source_kind="administration",
                    source_id=uuid.uuid4(),
                    actor=None,
                )
            actions.update_summary(
                episode,
                latest_total=8 + i % 10,
                band_label="mild",
                primary_trend=[18 - (k + i) % 6 for k in range(8)],
                goal_ratings=[4 + i % 5, 6],
                alerts=["deterioration"] if i % 7 == 2 else [],
                proposal_kind="plus_one" if i % 5 == 3 else "",
            )
    assert first is not None
    give_history(first, n=JOURNEY_SESSIONS)
    return therapist, first


def _measure(
    web: Any, url: str, runs: int, data: dict[str, str] | None = None
) -> tuple[list[float], int, float]:
    """Wall-clock ms per request, the statements of one request, and mean CPU ms per request.

    CPU time (this process only) is less sensitive than wall-clock time to other jobs on
    a shared machine.
    """
    from django.db import connection

    executed = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    def request() -> Any:
        return web.get(url) if data is None else web.post(url, data, HTTP_HX_REQUEST="true")

    with connection.execute_wrapper(count):
        response = request()
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    times = []
    cpu_start = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu_start) * 1000 / max(runs, 1)
    return times, len(executed), cpu_ms


def _render_times(episode: Any, runs: int) -> list[float]:
    from django.utils import timezone

    from plusone.charts import render_journey
    from plusone.insights.journey import build_journey

    data = build_journey(episode, today=timezone.localdate())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_journey(data.journey, audience="therapist", width=960)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--administrations", type=int, default=200_000)
    parser.add_argument("--caseload", type=int, default=CASELOAD, help="the therapist's clients")
    parser.add_argument(
        "--no-settle",
        dest="settle",
        action="store_false",
        help="skip what plusone.wsgi does once loaded (gc.freeze), to compare",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    import django
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from personas import login_as
    from plusone.web.startup import settle

    with override_settings(ROOT_URLCONF=checkin_bench.__name__, ALLOWED_HOSTS=["testserver"]):
        checkin_bench._setup_database()
        started = time.perf_counter()
        _background(args.clients, args.administrations)
        therapist, episode = _caseload(args.caseload)
        fill_s = time.perf_counter() - started
        web = Client()
        login_as(web, therapist)
        dashboard_url = reverse("insights:caseload")
        journey_url = reverse("insights:journey", args=[episode.pk])
        # Warm-up: first-request imports and template compilation are not what we measure.
        _measure(web, dashboard_url, 3)
        _measure(web, journey_url, 3)
        if args.settle:
            # As a served process does once loaded (plusone.wsgi, web/startup.py).
            settle()
        checkin_bench.measure_baseline(20)
        dashboard, dashboard_queries, dashboard_cpu = _measure(web, dashboard_url, args.runs)
        journey, journey_queries, journey_cpu = _measure(web, journey_url, args.runs)
        search, search_queries, search_cpu = _measure(
            web, dashboard_url, args.runs, {"q": "Client1", "tier": "proposal"}
        )
        base = checkin_bench.measure_baseline(args.runs)
        svg = _render_times(episode, args.runs)

    def stats(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "p95": _percentile(values, 0.95)}

    result = {
        "database": django.db.connection.vendor,
        "runs": args.runs,
        "background": {"clients": args.clients, "administrations": args.administrations},
        "fill_seconds": round(fill_s, 1),
        "dashboard_ms": stats(dashboard)
        | {"cpu_mean": dashboard_cpu, "queries": dashboard_queries, "clients": args.caseload},
        "search_ms": stats(search) | {"cpu_mean": search_cpu, "queries": search_queries},
        "journey_ms": stats(journey)
        | {"cpu_mean": journey_cpu, "queries": journey_queries, "sessions": JOURNEY_SESSIONS},
        "baseline_ms": stats(base),
        "journey_svg_ms": stats(svg),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"database: {result['database']}, runs: {args.runs}, background: {args.clients} "
        f"clients, {args.administrations} administrations (filled in {fill_s:.0f} s)"
    )
    print(f"{'':28} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>8} {'queries':>8}")
    for name, label in (
        ("dashboard", f"dashboard, {args.caseload} clients"),
        ("search", "search + tier filter"),
        ("journey", f"journey, {JOURNEY_SESSIONS} sessions"),
        ("baseline", "baseline"),
        ("journey_svg", "journey SVG render only"),
    ):
        row = result[f"{name}_ms"]
        queries = row.get("queries", "")
        cpu = f"{row['cpu_mean']:.1f}" if "cpu_mean" in row else ""
        print(f"{label:28} {row['median']:10.1f} {row['p95']:10.1f} {cpu:>8} {queries!s:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
