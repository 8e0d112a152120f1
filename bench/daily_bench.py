"""The daily summary refresh at scale, with check-ins arriving while it runs.

Usage (from the repository root)::

    python bench/daily_bench.py [--checkin-users 6] [--quiet-seconds 15]

On a fresh copy of the load test's seeded database (10,000 open episodes, 200,000
administrations; ``bench/load_test.py`` seeds it once), with gunicorn (prod profile, one worker
per core) serving check-ins from the load test's mix:

1. ``quiet``: check-ins alone for ``--quiet-seconds``, the reference;
2. ``daily``: ``plusone daily`` (the batch path over every open episode, then the audit
   anchor) in its own process, while the same check-ins keep arriving.

It reports the refresh's wall and CPU time, the submit latencies of both phases, and the
longest lock wait any PostgreSQL backend showed: ``pg_locks`` rows not granted, sampled every
10 ms (``now() - waitstart``), with the waiting and the blocking queries' first words.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import load_test  # noqa: E402
from load import env as load_env  # noqa: E402
from load import mix  # noqa: E402

LOCK_SQL = """
select extract(epoch from (now() - l.waitstart)) * 1000, left(a.query, 60),
       coalesce((select left(b.query, 60) from pg_stat_activity b
                 where b.pid = any(pg_blocking_pids(l.pid)) limit 1), '')
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where not l.granted and a.datname = %s and l.waitstart is not null
"""


class LockWatch(threading.Thread):
    """Samples lock waits on ``db`` until stopped; keeps the longest."""

    def __init__(self, db: str) -> None:
        super().__init__(daemon=True)
        self.db, self.done = db, threading.Event()
        self.longest_ms, self.waiting, self.blocker, self.samples, self.seen = 0.0, "", "", 0, 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"{load_env.PG}postgres", autocommit=True) as conn:
            while not self.done.is_set():
                for ms, waiting, blocker in conn.execute(LOCK_SQL, (self.db,)).fetchall():
                    self.seen += 1
                    if float(ms) > self.longest_ms:
                        self.longest_ms, self.waiting, self.blocker = float(ms), waiting, blocker
                self.samples += 1
                time.sleep(0.01)


def _submits(result: mix.Result) -> dict[str, Any]:
    summary = result.summary()
    row = summary["routes_ms"].get("POST /checkin/ (submit)", {})
    values = result.timings.get("POST /checkin/ (submit)", [])
    return {
        "seconds": summary["seconds"],
        "checkins": summary["checkins_acknowledged"],
        "checkins_per_s": summary["checkins_per_s"],
        "submit_p50": row.get("p50"),
        "submit_p95": row.get("p95"),
        "submit_p99": row.get("p99"),
        "submit_max": round(max(values), 1) if values else None,
        "errors": summary["errors"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--checkin-users", type=int, default=6)
    parser.add_argument("--quiet-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="plusone_load_daily")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_test.ensure_seed()
    load_test.fresh_copy(args.db)
    env = load_env.load_env(db=args.db)
    plan_path = load_env.DEFAULT_DATA_DIR / "daily-plan.json"
    load_test._django_step("_prepare", env, str(plan_path), "2500", "0")
    plan = mix.Plan.read(plan_path)
    # Check-ins only: the refresh's neighbours that write what it reads.
    plan.therapists, plan.observers = [], []
    port = load_test._free_port()
    server = load_test.start_gunicorn(env, args.workers, port)
    base = f"http://127.0.0.1:{port}"
    watch = LockWatch(args.db)
    watch.start()
    try:
        quiet = mix.run_mix(
            base,
            plan,
            seconds=args.quiet_seconds,
            checkin_users=args.checkin_users,
            observer_users=0,
            therapist_users=0,
        )
        plan.checkins = plan.checkins[: len(plan.checkins) - len(quiet.acknowledged_checkins) - 20]
        quiet_longest = watch.longest_ms
        watch.longest_ms = 0.0
        stop = threading.Event()
        during: dict[str, mix.Result] = {}
        runner = threading.Thread(
            target=lambda: during.setdefault(
                "r",
                mix.run_mix(
                    base,
                    plan,
                    seconds=600,
                    checkin_users=args.checkin_users,
                    observer_users=0,
                    therapist_users=0,
                    stop=stop,
                ),
            )
        )
        runner.start()
        time.sleep(1.0)
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        daily = subprocess.run(
            [sys.executable, "-m", "plusone.cli", "daily", "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()
        stop.set()
        runner.join()
    finally:
        watch.done.set()
        load_test.stop(server)
    if daily.returncode != 0:
        print(daily.stdout, daily.stderr)
        raise SystemExit(f"plusone daily failed: {daily.returncode}")
    report = json.loads(daily.stdout.strip().splitlines()[-1])
    acked = quiet.acknowledged_checkins + during["r"].acknowledged_checkins
    check_path = load_env.DEFAULT_DATA_DIR / "daily-acked.json"
    check_path.write_text(json.dumps({"checkins": acked, "observers": []}))
    check = load_test._django_step("_check", env, str(check_path))
    out = {
        "episodes_refreshed": report["summaries"],
        "daily_wall_s": round(wall, 2),
        "daily_reported_s": report["seconds"],
        "daily_cpu_s": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
        "quiet": _submits(quiet) | {"longest_lock_wait_ms": round(quiet_longest, 1)},
        "during_daily": _submits(during["r"]),
        "longest_lock_wait_ms": round(watch.longest_ms, 1),
        "longest_wait_query": watch.waiting,
        "blocked_by": watch.blocker,
        "lock_samples": watch.samples,
        "waits_seen": watch.seen,
        "ledger": check["ledger"],
        "audit_verify": check["audit"]["ok"],
    }
    print(json.dumps(out, indent=2))
    ok = wall < 60 and watch.longest_ms <= 100 and check["ledger"]["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
