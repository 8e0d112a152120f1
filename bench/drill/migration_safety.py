"""Migration safety: every migration applies one at a time with ``lock_timeout='2s'``, on
PostgreSQL, and the ones that touch populated tables do so under load (docs/deploy.md).

Two passes, each on its own scratch database of the CI cluster (127.0.0.1:5432), both dropped
at the end:

1. **from zero**: an empty database; every migration in plan order, one ``migrate app name``
   at a time, on a connection opened with ``-c lock_timeout=2s``. Nothing to load yet: this
   proves the chain applies step by step and times each step.
2. **populated, under load**: a database migrated to the end, with ``plusone demo`` and
   ``--clients`` more clients and their check-in links. Every migration that can be rewound
   without dropping a table (every operation reversible, none creating or deleting a model,
   and nothing that stays applied depending on it) is unapplied, latest first, then applied
   again in plan order, one migration at a time with the lock timeout,
   while the app serves check-ins over HTTP (gunicorn, bench/drill/checkin_load.py) and a
   thread reads every therapist's caseload (``insights.dashboard``) in a loop.

A migration runs in one transaction on PostgreSQL, so its locks are held for its duration: the
time per step is the longest lock it held. The run fails (exit 1) when any step hits the lock
timeout, and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkin_load
import common
from common import log

LOCK_TIMEOUT = "-c lock_timeout=2s"


# Inside Django (subprocesses) -------------------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(common.ROOT / "src"))
    import django

    django.setup()


def _plan() -> list[Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    return [m for m, _ in executor.migration_plan(targets, clean_start=True)]


def _rewindable(migration: Any) -> bool:
    """True when unapplying keeps every table (and its rows): no model made or removed."""
    from django.db.migrations import operations as ops

    table_ops = (ops.CreateModel, ops.DeleteModel, ops.RenameModel)
    return all(op.reversible and not isinstance(op, table_ops) for op in migration.operations)


_HELD: list[float] = []


def _time_transactions() -> None:
    """Time each migration's own apply or unapply: on PostgreSQL it is one transaction, so
    this is how long its locks were held (the command's graph loading is left out)."""
    from django.db.migrations.executor import MigrationExecutor

    for name in ("apply_migration", "unapply_migration"):
        original = getattr(MigrationExecutor, name)

        def timed(self: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(self, *args, **kw)
            finally:
                _HELD.append((time.perf_counter() - started) * 1000)

        setattr(MigrationExecutor, name, timed)


def _step(app: str, name: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import OperationalError

    _HELD.clear()
    started = time.perf_counter()
    try:
        call_command("migrate", app, name, interactive=False, verbosity=0)
        error = None
    except OperationalError as exc:
        error = str(exc).splitlines()[0]
    took = round((time.perf_counter() - started) * 1000, 1)
    held = round(max(_HELD, default=0.0), 1)
    return {"migration": f"{app}.{name}", "ms": took, "lock_ms": held, "error": error}


def steps(mode: str, out: Path) -> None:
    """``forward``: every migration from zero. ``rewind``: unapply the rewindable tail, print it.
    ``replay FILE``-style: apply the listed migrations one at a time (``mode`` = replay)."""
    _django()
    _time_transactions()
    plan = _plan()
    results: list[dict[str, Any]] = []
    if mode == "forward":
        for m in plan:
            results.append(_step(m.app_label, m.name))
    elif mode == "rewind":
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        graph = MigrationLoader(connection).graph
        # What must stay applied: every migration that is not rewindable, and all it stands on.
        blocked: set[tuple[str, str]] = set()
        tail = []
        for m in reversed(plan):
            key = (m.app_label, m.name)
            if key in blocked:
                continue
            if _rewindable(m):
                tail.append(m)
            else:
                blocked.update(graph.forwards_plan(key))
        for m in tail:
            parents = [p for p in m.dependencies if p[0] == m.app_label]
            target = parents[0][1] if parents else "zero"
            results.append(_step(m.app_label, target) | {"migration": f"{m.app_label}.{m.name}"})
        results.reverse()
    else:
        wanted = json.loads(out.read_text(encoding="utf-8"))
        results = [_step(*name.split(".", 1)) for name in wanted]
    out.write_text(json.dumps(results), encoding="utf-8")


def read_dashboards(stop_file: Path, out: Path) -> None:
    """Every therapist's caseload, in turn, until ``stop_file`` appears."""
    _django()
    from django.db import connection, transaction
    from django.utils import timezone

    from plusone.accounts.models import Membership, Role
    from plusone.insights.dashboard import dashboard

    therapists = [m.user for m in Membership.objects.filter(role=Role.THERAPIST)]
    times: list[float] = []
    errors = 0
    while not stop_file.exists():
        for user in therapists:
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    dashboard(user, now=timezone.now())
                times.append((time.perf_counter() - started) * 1000)
            except Exception:
                errors += 1
                connection.close()
                time.sleep(0.2)
    out.write_text(json.dumps({"times": times, "errors": errors}), encoding="utf-8")


# The orchestration (no Django) -----------------------------------------------------------


def _run_steps(env: dict[str, str], mode: str, work: Path) -> list[dict[str, Any]]:
    out = work / f"steps-{mode}.json"
    if mode == "replay":
        out.write_text(json.dumps(env.pop("_REPLAY")), encoding="utf-8")
    subprocess.run(
        [str(common.BIN / "python"), __file__, "steps", mode, str(out)],
        env=env | {"PGOPTIONS": LOCK_TIMEOUT},
        cwd=common.ROOT,
        check=True,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    longest = max(results, key=lambda r: r["lock_ms"], default=None)
    return {
        "migrations": len(results),
        "lock_timeouts": [r["migration"] for r in results if r["error"]],
        "longest_lock_ms": longest["lock_ms"] if longest else None,
        "longest": longest["migration"] if longest else None,
        "total_ms": round(sum(r["ms"] for r in results), 1),
    }


def from_zero(work: Path) -> dict[str, Any]:
    db = "plusone_migsafe_zero"
    common.drop_database(db)
    common.sql(f'CREATE DATABASE "{db}"')
    try:
        env = common.prod_env(work / "zero", f"postgresql://postgres@127.0.0.1:5432/{db}")
        log("pass 1: every migration from zero, one at a time, lock_timeout=2s")
        return _summary(_run_steps(env, "forward", work))
    finally:
        common.drop_database(db)


def populated(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    db = "plusone_migsafe"
    common.drop_database(db)
    common.sql(f'CREATE DATABASE "{db}"')
    procs: list[Any] = []
    try:
        env = common.prod_env(work / "pop", f"postgresql://postgres@127.0.0.1:5432/{db}")
        log("pass 2: migrate, load the demo and more clients")
        for argv in (["migrate", "--no-input"], ["demo"]):
            done = common.plusone(argv, env)
            if done.returncode:
                raise SystemExit(done.stderr)
        links_file = work / "links.json"
        subprocess.run(
            [
                str(common.BIN / "python"),
                checkin_load.__file__,
                "prepare",
                "--links",
                str(args.links),
                "--clients",
                str(args.clients),
                "--out",
                str(links_file),
            ],
            env=env,
            cwd=common.ROOT,
            check=True,
        )
        rows = common.sql(
            "SELECT (SELECT count(*) FROM clinical_client), (SELECT count(*) FROM "
            "measures_administration), (SELECT count(*) FROM audit_auditevent)",
            dbname=db,
        )[0]
        log("rewinding the tail of the plan that keeps every table")
        rewound = _run_steps(env, "rewind", work)
        if any(r["error"] for r in rewound):
            raise SystemExit(f"rewind failed: {rewound}")
        procs.append(common.start_gunicorn(8121, env, work / "web.log"))
        stop_file = work / "stop"
        reads_out = work / "reads.json"
        procs.append(
            subprocess.Popen(
                [
                    str(common.BIN / "python"),
                    __file__,
                    "read-dashboards",
                    str(stop_file),
                    str(reads_out),
                ],
                env=env,
                cwd=common.ROOT,
                start_new_session=True,
            )
        )
        stop = threading.Event()
        load = checkin_load.Run()
        links = json.loads(links_file.read_text(encoding="utf-8"))
        loader = threading.Thread(
            target=checkin_load.run,
            args=(links, ["http://127.0.0.1:8121"]),
            kwargs={"seconds": 3600, "threads": 3, "run_": load, "stop": stop},
            daemon=True,
        )
        loader.start()
        time.sleep(3)
        log(f"pass 2: applying {len(rewound)} migrations one at a time under load")
        started = time.monotonic()
        replayed = _run_steps(env | {"_REPLAY": [r["migration"] for r in rewound]}, "replay", work)
        ended = time.monotonic()
        time.sleep(2)
        stop.set()
        stop_file.touch()
        loader.join(120)
        procs[1].wait(120)
        reads = json.loads(reads_out.read_text(encoding="utf-8"))
        read_ms = sorted(reads["times"])
        return {
            "populated": {"clients": rows[0], "administrations": rows[1], "audit_events": rows[2]},
            "rewound": [r["migration"] for r in rewound],
            "steps": replayed,
            "during_migrations": load.figures(started, ended),
            "checkins_attempted": len(load.outcomes),
            "checkins_acked": len(load.acked()),
            "refused_requests": len(load.refusals),
            "dashboard_reads": len(read_ms),
            "dashboard_read_errors": reads["errors"],
            "dashboard_max_ms": round(read_ms[-1], 1) if read_ms else None,
            "dashboard_p95_ms": round(checkin_load._pct(read_ms, 0.95), 1) if read_ms else None,
        } | _summary(replayed)
    finally:
        for proc in procs:
            common.stop(proc)
        common.drop_database(db)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["steps"]:
        steps(args[1], Path(args[2]))
        return 0
    if args[:1] == ["read-dashboards"]:
        read_dashboards(Path(args[1]), Path(args[2]))
        return 0
    parser = argparse.ArgumentParser(description="PlusOne migration safety (docs/deploy.md)")
    parser.add_argument("--clients", type=int, default=100, help="clients beyond the demo")
    parser.add_argument("--links", type=int, default=3000, help="check-in links for the load")
    opts = parser.parse_args(args)
    with tempfile.TemporaryDirectory(prefix="plusone-migsafe-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        figures = {"from_zero": from_zero(work), "populated_under_load": populated(work, opts)}
    print(json.dumps(figures, indent=2))
    failed = (
        figures["from_zero"]["lock_timeouts"] or figures["populated_under_load"]["lock_timeouts"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
