"""Audit verify benchmark: what ``verify_chain`` costs on one practice's long chain.

Usage (from the repository root)::

    .venv/bin/python bench/audit_verify_bench.py [--events 100000] [--rounds 3] [--json]
    DATABASE_URL=postgres://plusone_app@127.0.0.1:5432/plusone_ci \\
        .venv/bin/python bench/audit_verify_bench.py

Records ``--events`` events for one practice through ``audit.record()`` (in
transactions of 1,000, so the chain is built the way the app builds it), then
times ``verify_chain`` on it ``--rounds`` times and keeps the fastest, as
wall-clock and as this process's CPU time (steadier on a shared machine). SQLite
runs in a throwaway data directory; PostgreSQL in a throwaway database beside
``DATABASE_URL``'s (``plusone_audit_verify_bench``; the role needs CREATEDB),
dropped at the end. Only the public ``record()`` and ``verify_chain()`` are
used, so the same script measures any version of the chain.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("PLUSONE_PROFILE", "test")
os.environ.setdefault("PLUSONE_DATA_DIR", tempfile.mkdtemp(prefix="plusone-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

BENCH_DB = "plusone_audit_verify_bench"
BATCH = 1000


def build(events: int) -> Any:
    """One practice with ``events`` events recorded through audit.record()."""
    from plusone import audit
    from plusone.accounts.models import Practice

    practice = Practice.objects.create(name=f"bench {time.time_ns()}")
    done = 0
    while done < events:
        with transaction.atomic():
            for i in range(done, min(done + BATCH, events)):
                audit.record(
                    practice=practice,
                    actor=None,
                    action="bench.event",
                    target_type="accounts.practice",
                    target_id=practice.pk,
                    detail={"i": i},
                )
        done = min(done + BATCH, events)
    return practice


def measure(practice: Any, events: int, rounds: int) -> dict[str, Any]:
    from plusone import audit

    times, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = audit.verify_chain(practice)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert result.ok and result.events == events, result
    best = min(times)
    # CPU time of this process: on a shared machine it moves less than the wall clock.
    return {
        "seconds": best,
        "us_per_event": best / events * 1e6,
        "cpu_seconds": min(cpu),
        "cpu_us_per_event": min(cpu) / events * 1e6,
        "all_seconds": times,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="chain length (100000)")
    parser.add_argument("--rounds", type=int, default=3, help="verify runs; fastest kept (3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a line")
    args = parser.parse_args()
    old_name = None
    # migrate and createcachetable talk on stdout; stdout is for the result.
    with contextlib.redirect_stdout(sys.stderr):
        if connection.vendor == "postgresql":
            settings.DATABASES["default"]["TEST"].update(NAME=BENCH_DB)
            old_name = connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False
            )
        else:
            call_command("migrate", verbosity=0)
    try:
        start = time.perf_counter()
        practice = build(args.events)
        built = time.perf_counter() - start
        result = measure(practice, args.events, args.rounds)
    finally:
        if old_name is not None:
            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
    report = {"database": connection.vendor, "events": args.events, "build_seconds": built}
    report.update(result)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{report['database']}: verify_chain on {args.events} events: "
            f"{report['seconds']:.2f} s wall, {report['cpu_seconds']:.2f} s CPU "
            f"({report['cpu_us_per_event']:.1f} µs CPU/event; built in {built:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
