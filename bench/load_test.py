"""The load test, in one command: PostgreSQL, gunicorn with the prod profile, a real HTTP mix.

Usage (from the repository root)::

    python bench/load_test.py [--seconds 30] [--workers 1,2] [--pool 0] [--json]

For each gunicorn worker count it:

1. copies the seeded database ``plusone_load_seed`` (10,000 clients, 200,000 administrations;
   seeded once by ``bench/load/seed.py`` when missing) to a fresh ``plusone_load``;
2. issues the run's check-in and observer links and signs the therapists in
   (``load.mix.prepare_plan``, through the real actions);
3. starts gunicorn on 127.0.0.1 with ``PLUSONE_PROFILE=prod`` (DEBUG off, CSRF and secure
   cookies on, field encryption, the audit chain), optionally with ``PLUSONE_DB_POOL``;
4. runs the mix (``load.mix.run_mix``) for ``--seconds`` or ``--max-requests``, whichever
   comes first, then stops gunicorn;
5. checks every acknowledged submission is stored exactly once (``load.ledger``) and runs
   ``plusone audit verify``.

It prints requests/s, p50/p95/p99 per route, the error rate, the generator's own CPU
(``resource.getrusage``), the load average, and the targets met or missed. Not a test:
pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from load import env as load_env  # noqa: E402
from load import mix  # noqa: E402

PY = sys.executable
SEED_DB = "plusone_load_seed"
TARGETS = {"checkins_per_s": 50.0, "submit_p99_ms": 300.0, "dashboard_p95_ms": 150.0}


def _field_key_id() -> str:
    """The id of the key this data dir's secrets encrypt with: a seed made under other
    secrets cannot be read, so it is made again."""
    return load_env.secrets_for(load_env.DEFAULT_DATA_DIR)["PLUSONE_FIELD_KEYS"].split(":")[0]


def _seeded() -> bool:
    exists = load_env.psql(f"select 1 from pg_database where datname = '{SEED_DB}'")
    if not exists:
        return False
    made_with = load_env.psql(
        f"select shobj_description(oid, 'pg_database') from pg_database where datname = '{SEED_DB}'"
    )
    if (made_with or "").strip() != _field_key_id():
        return False
    try:
        found = load_env.psql("select count(*) from clinical_client", db=SEED_DB)
    except subprocess.CalledProcessError:
        return False
    return int(found or 0) >= 10_000


def ensure_seed() -> None:
    if _seeded():
        return
    load_env.psql(f"drop database if exists {SEED_DB}")
    load_env.psql(f"create database {SEED_DB}")
    print(f"seeding {SEED_DB} (once) ...", flush=True)
    subprocess.run(
        [PY, str(BENCH / "load" / "seed.py"), "--db", SEED_DB],
        check=True,
        env=load_env.load_env(db=SEED_DB),
    )
    load_env.psql(f"comment on database {SEED_DB} is '{_field_key_id()}'")


def fresh_copy(db: str) -> None:
    load_env.psql(f"drop database if exists {db} with (force)")
    load_env.psql(f"create database {db} template {SEED_DB}")
    # The copy's chain starts where the seed's did: anchors of an earlier copy no longer hold.
    load_env.anchor_path(db).unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    # The prod profile serves hashed static names from collectstatic's manifest, as
    # `plusone serve` does before it starts gunicorn; without it every page is a 500.
    subprocess.run(
        [PY, "-m", "plusone.cli", "collectstatic", "--noinput", "--verbosity", "0"],
        env=env,
        cwd=str(load_env.ROOT),
        check=True,
    )
    gunicorn = str(Path(PY).with_name("gunicorn"))
    server = subprocess.Popen(
        [
            gunicorn,
            "plusone.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--access-logfile",
            "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
        ],
        env=env,
        cwd=str(load_env.ROOT),
        stdout=subprocess.DEVNULL,
        # gunicorn's own log and any traceback, kept for a look after a failed run.
        stderr=(load_env.DEFAULT_DATA_DIR / f"gunicorn-{workers}.log").open("wb"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"}
                ),
                timeout=2,
            ) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
    stop(server)
    raise SystemExit("gunicorn did not become healthy in 60 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def server_cpu(server: subprocess.Popen[bytes], db: str) -> dict[str, dict[int, int]]:
    """CPU ticks so far of gunicorn (master and workers) and of the database's backends:
    the server side's cost, which other jobs on the machine disturb far less than latency."""
    app = [server.pid, *_children(server.pid)]
    backends = load_env.psql(f"select pid from pg_stat_activity where datname = '{db}'")
    return {
        "app": {pid: _ticks(pid) for pid in app},
        "db": {int(pid): _ticks(int(pid)) for pid in backends.split()},
    }


def cpu_between(before: dict[int, int], after: dict[int, int]) -> float:
    """Seconds of CPU spent between two samples (processes new in ``after`` count whole)."""
    hz = os.sysconf("SC_CLK_TCK")
    return sum(max(0, t - before.get(pid, 0)) for pid, t in after.items()) / hz


def _django_step(step: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [PY, __file__, step, *args], env=env, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def one_run(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    env = load_env.load_env(db=args.db, pool=args.pool)
    fresh_copy(args.db)
    plan_path = load_env.DEFAULT_DATA_DIR / "plan.json"
    # Enough links for the target rate over the whole run, with room to spare.
    links = int(args.seconds * TARGETS["checkins_per_s"] * 1.3)
    _django_step("_prepare", env, str(plan_path), str(links), str(max(20, links // 20)))
    plan = mix.Plan.read(plan_path)
    port = _free_port()
    server = start_gunicorn(env, workers, port)
    load_before = os.getloadavg()
    cpu_before = server_cpu(server, args.db)
    try:
        result = mix.run_mix(
            f"http://127.0.0.1:{port}",
            plan,
            seconds=args.seconds,
            max_requests=args.max_requests,
            checkin_users=args.checkin_users,
            observer_users=args.observer_users,
            therapist_users=args.therapist_users,
        )
    finally:
        load_after = os.getloadavg()
        cpu_after = server_cpu(server, args.db)
        stop(server)
    acked = load_env.DEFAULT_DATA_DIR / "acked.json"
    acked.write_text(
        json.dumps(
            {"checkins": result.acknowledged_checkins, "observers": result.acknowledged_observers}
        )
    )
    check = _django_step("_check", env, str(acked))
    summary = result.summary()
    summary.update(
        {
            "workers": workers,
            "pool": args.pool,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "app_cpu_s": round(cpu_between(cpu_before["app"], cpu_after["app"]), 2),
            "db_cpu_s": round(cpu_between(cpu_before["db"], cpu_after["db"]), 2),
            "ledger": check["ledger"],
            "audit_verify": check["audit"],
        }
    )
    return summary


def verdict(run: dict[str, Any]) -> dict[str, bool]:
    routes = run["routes_ms"]
    submit = routes.get("POST /checkin/ (submit)", {}).get("p99", float("inf"))
    dashboard = routes.get("GET /caseload/ (dashboard)", {}).get("p95", float("inf"))
    return {
        "checkins >= 50/s": run["checkins_per_s"] >= TARGETS["checkins_per_s"],
        "submit p99 < 300 ms": submit < TARGETS["submit_p99_ms"],
        "dashboard p95 < 150 ms": dashboard < TARGETS["dashboard_p95_ms"],
        "0 lost writes": run["ledger"]["ok"],
        "0 unexpected errors": run["errors"] == 0,
        "audit chain verifies": run["audit_verify"]["ok"],
    }


def print_run(run: dict[str, Any]) -> None:
    print(
        f"\n== {run['workers']} gunicorn worker(s), pool {run['pool'] or 'off'}: "
        f"{run['seconds']} s, load average {run['load_average_before'][0]} -> "
        f"{run['load_average_after'][0]}"
    )
    print(
        f"requests {run['requests']} ({run['requests_per_s']}/s), check-ins acknowledged "
        f"{run['checkins_acknowledged']} ({run['checkins_per_s']}/s), observer forms "
        f"{run['observers_acknowledged']}, errors {run['errors']} (rate {run['error_rate']:.2%})"
    )
    for sample in run["error_samples"]:
        print(f"  error: {sample}")
    print(
        f"generator CPU {run['generator_cpu_s']} s ({run['generator_cpu_share']:.0%} of one core)"
    )
    app_ms = run["app_cpu_s"] / max(run["requests"], 1) * 1000
    db_ms = run["db_cpu_s"] / max(run["requests"], 1) * 1000
    print(
        f"server CPU per request: gunicorn {app_ms:.1f} ms + PostgreSQL {db_ms:.1f} ms; at this"
        f" mix 2 idle cores would serve about {2000 / max(app_ms + db_ms, 0.1):.0f} requests/s"
    )
    print(f"{'route':32} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route, row in run["routes_ms"].items():
        print(f"{route:32} {row['n']:6} {row['p50']:8.1f} {row['p95']:8.1f} {row['p99']:8.1f}")
    ledger = run["ledger"]
    print(
        f"stored exactly once: {ledger['stored_once']} of {ledger['acknowledged']} "
        f"(lost {ledger['lost']}, duplicated {ledger['duplicated']}, partial {ledger['partial']})"
    )
    print(f"plusone audit verify: {'ok' if run['audit_verify']['ok'] else 'FAILED'}")
    for name, met in verdict(run).items():
        print(f"  {'met ' if met else 'MISS'} {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated gunicorn worker counts")
    parser.add_argument("--pool", type=int, default=0, help="PLUSONE_DB_POOL for the servers")
    parser.add_argument("--checkin-users", type=int, default=12)
    parser.add_argument("--observer-users", type=int, default=2)
    parser.add_argument("--therapist-users", type=int, default=4)
    parser.add_argument("--db", default=load_env.DEFAULT_DB)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ensure_seed()
    runs = [one_run(args, int(w)) for w in args.workers.split(",")]
    if args.json:
        print(json.dumps(runs, indent=2))
    else:
        for run in runs:
            print_run(run)
    return 0 if all(all(verdict(r).values()) for r in runs) else 1


def _prepare(plan_path: str, checkins: str, observers: str) -> None:
    import django

    django.setup()
    plan = mix.prepare_plan(checkins=int(checkins), observers=int(observers), therapists=5)
    plan.write(Path(plan_path))
    print(json.dumps({"checkins": len(plan.checkins), "observers": len(plan.observers)}))


def _check(acked_path: str) -> None:
    import django

    django.setup()
    from load import ledger

    acked = json.loads(Path(acked_path).read_text())
    result = ledger.stored_exactly_once(acked["checkins"], acked["observers"])
    verify = subprocess.run(
        [PY, "-m", "plusone.cli", "audit", "verify"], capture_output=True, text=True, env=os.environ
    )
    audit = {"ok": verify.returncode == 0, "output": (verify.stdout + verify.stderr).strip()[-400:]}
    print(json.dumps({"ledger": result, "audit": audit}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_prepare":
        _prepare(*sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_check":
        _check(*sys.argv[2:])
    else:
        raise SystemExit(main())
