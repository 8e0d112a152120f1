"""Audit chain benchmark: the cost of the per-practice head lock on PostgreSQL.

Usage (from the repository root)::

    DATABASE_URL=postgres://plusone_app@127.0.0.1:5432/plusone_ci \\
        .venv/bin/python bench/audit_bench.py [--events 400] [--rounds 3] [--json]

Creates a throwaway database beside ``DATABASE_URL``'s (named
``plusone_audit_bench``; the role needs CREATEDB), migrates it, and records
the same number of audit events for one practice with 1 writer and with 4
writers (threads, each with its own connection). Each event is its own
transaction, as in an action: ``record()`` takes the head with SELECT ... FOR
UPDATE, inserts, rewrites the head, commits. With 4 writers every transaction
waits for the head, so events/s shows what the lock costs. After each run
the chain is verified. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
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
from django.db import connection, connections, transaction  # noqa: E402

BENCH_DB = "plusone_audit_bench"


def _write(practice: Any, n: int, latencies: list[float], barrier: threading.Barrier) -> None:
    from plusone import audit

    barrier.wait()
    try:
        for i in range(n):
            start = time.perf_counter()
            with transaction.atomic():
                audit.record(
                    practice=practice,
                    actor=None,
                    action="bench.event",
                    target_type="accounts.practice",
                    target_id=practice.pk,
                    detail={"i": i},
                )
            latencies.append(time.perf_counter() - start)
    finally:
        connections.close_all()


def run(writers: int, events: int) -> dict[str, Any]:
    """Record ``events`` events split over ``writers`` threads; return the rate."""
    from plusone import audit
    from plusone.accounts.models import Practice

    practice = Practice.objects.create(name=f"bench {writers} writers {time.time_ns()}")
    per_writer = events // writers
    latencies: list[float] = []
    barrier = threading.Barrier(writers + 1)
    threads = [
        threading.Thread(target=_write, args=(practice, per_writer, latencies, barrier))
        for _ in range(writers)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    result = audit.verify_chain(practice)
    assert result.ok and result.events == per_writer * writers, result
    latencies.sort()
    return {
        "writers": writers,
        "events": per_writer * writers,
        "events_per_s": per_writer * writers / elapsed,
        "latency_ms_median": statistics.median(latencies) * 1000,
        "latency_ms_p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "chain_verified": result.ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400, help="events per run (default 400)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs per writer count, interleaved; best kept"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("audit_bench needs DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    settings.DATABASES["default"]["TEST"].update(NAME=BENCH_DB)
    # createcachetable talks on stdout even at verbosity 0; stdout is for the result.
    with contextlib.redirect_stdout(sys.stderr):
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
    try:
        runs: dict[int, list[dict[str, Any]]] = {1: [], 4: []}
        # Interleaved, so a burst of load on a shared machine hits both counts alike.
        for _ in range(args.rounds):
            for writers in (1, 4):
                runs[writers].append(run(writers, args.events))
        results = {w: max(r, key=lambda x: x["events_per_s"]) for w, r in runs.items()}
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report = {
        "database": f"PostgreSQL {connection.pg_version // 10000}",
        "events_per_run": args.events,
        "rounds": args.rounds,
        "runs": [results[1], results[4]],
        "ratio_4_to_1": results[4]["events_per_s"] / results[1]["events_per_s"],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'writers':>7}  {'events/s':>9}  {'median ms':>9}  {'p95 ms':>7}")
        for r in report["runs"]:
            print(
                f"{r['writers']:>7}  {r['events_per_s']:>9.0f}  "
                f"{r['latency_ms_median']:>9.2f}  {r['latency_ms_p95']:>7.2f}"
            )
        print(f"4 writers / 1 writer throughput: {report['ratio_4_to_1']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
