"""The replica drill: the several-machine recipe of docs/deploy.md, proven on one machine.

Run as root (``scripts/replica-drill``), on the machine whose PostgreSQL 15 cluster answers on
127.0.0.1:5432. What it does, and undoes at the end whatever happens:

1. adds ``host replication all 127.0.0.1/32 trust`` to the cluster's pg_hba.conf (the drill's
   choice: nothing permanent in scripts/bootstrap-system) and reloads;
2. creates the scratch database ``plusone_drill``, migrates it and makes clients and check-in
   links (bench/drill/checkin_load.py prepare);
3. makes a streaming replica of the cluster with ``pg_basebackup -R`` into a temp dir and
   starts it with ``pg_ctl`` on 127.0.0.1:5433 (as the postgres OS user);
4. runs two app servers (gunicorn on plusone.wsgi: ``plusone serve`` is not on main yet) and a
   worker, all with a libpq multi-host address (``PGHOST=127.0.0.1,127.0.0.1``,
   ``PGPORT=5432,5433``, ``PGTARGETSESSIONATTRS=read-write``): they write to whichever is
   the primary, with no restart;
5. load, asynchronous replication: check-ins for ``--seconds``; the replication lag is sampled;
6. load, synchronous replication (``synchronous_standby_names='drill_replica'``, and
   ``synchronous_commit`` at ``--sync-level`` for the drill database): ``--seconds``, then
   the failover: the primary is fenced for the drill database (a pg_hba ``reject`` line and
   its backends terminated: the cluster is shared with other work, so it is not stopped),
   the replica is promoted (``pg_ctl promote``), and the load goes on for ``--seconds``;
7. checks on the promoted replica that every acknowledged check-in is stored exactly once and
   that ``plusone audit verify`` passes, and prints the figures as JSON.

So that nothing else on the cluster waits for the drill's replica, the cluster default is
``synchronous_commit=local`` while the drill runs, and only the drill database asks for the
standby.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkin_load
import common
from common import log, sql

DB = "plusone_drill"
REPLICA_PORT = 5433
REPLICA_NAME = "drill_replica"
MARK = "# plusone replica-drill: removed when the drill ends"
HBA_LINES = [
    f"host {DB} all 127.0.0.1/32 reject {MARK} (fence)",
    f"host replication all 127.0.0.1/32 trust {MARK}",
]


def as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True)


class Drill:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.undo: list[tuple[str, Callable[[], None]]] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="plusone-replica-drill-"))
        self.replica = self.tmp / "replica"
        self.hba = Path(sql("SHOW hba_file")[0][0])
        self.procs: list[Any] = []
        self.lag: list[tuple[float, int, float | None]] = []

    # Set-up and its undo ---------------------------------------------------------------

    def on_exit(self, what: str, action: Callable[[], None]) -> None:
        self.undo.append((what, action))

    def cleanup(self) -> None:
        for what, action in reversed(self.undo):
            try:
                action()
            except Exception as exc:
                log(f"cleanup: {what} failed: {exc}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def hba_lines(self, lines: list[str]) -> None:
        """Put ``lines`` at the top of pg_hba.conf (first match wins) and reload."""
        text = self.hba.read_text(encoding="utf-8")
        self.hba.write_text("\n".join(lines) + "\n" + text, encoding="utf-8")
        sql("SELECT pg_reload_conf()")

    def hba_remove(self, fragment: str = MARK) -> None:
        kept = [
            line
            for line in self.hba.read_text(encoding="utf-8").splitlines()
            if fragment not in line
        ]
        self.hba.write_text("\n".join(kept) + "\n", encoding="utf-8")
        sql("SELECT pg_reload_conf()")

    def allow_replication(self) -> None:
        self.on_exit("pg_hba.conf lines", self.hba_remove)
        self.hba_lines([HBA_LINES[1]])

    def scratch_database(self) -> None:
        common.drop_database(DB)
        sql(f'CREATE DATABASE "{DB}"')
        self.on_exit("scratch database", lambda: common.drop_database(DB))
        self.env = common.prod_env(
            self.tmp / "data",
            f"postgresql://postgres@/{DB}",
            PGHOST="127.0.0.1,127.0.0.1",
            PGPORT=f"5432,{REPLICA_PORT}",
            PGTARGETSESSIONATTRS="read-write",
            PGCONNECT_TIMEOUT="2",
        )
        log("migrating the scratch database")
        done = common.plusone(["migrate", "--no-input"], self.env)
        if done.returncode:
            raise SystemExit(done.stderr)
        log(f"making {self.args.clients} clients and {self.args.links} check-in links")
        out = self.tmp / "links.json"
        subprocess.run(
            [
                str(common.BIN / "python"),
                str(Path(checkin_load.__file__)),
                "prepare",
                "--links",
                str(self.args.links),
                "--clients",
                str(self.args.clients),
                "--out",
                str(out),
            ],
            env=self.env,
            cwd=common.ROOT,
            check=True,
        )
        self.links = json.loads(out.read_text(encoding="utf-8"))
        # Only the drill database waits for the standby; the rest of the cluster does not.
        sql(f"ALTER DATABASE \"{DB}\" SET synchronous_commit = '{self.args.sync_level}'")
        sql("ALTER SYSTEM SET synchronous_commit = 'local'")
        self.on_exit("synchronous settings", self.reset_sync)
        sql("SELECT pg_reload_conf()")

    def reset_sync(self) -> None:
        sql("ALTER SYSTEM RESET synchronous_standby_names")
        sql("ALTER SYSTEM RESET synchronous_commit")
        sql("SELECT pg_reload_conf()")

    def start_replica(self) -> None:
        shutil.chown(self.tmp, "postgres")
        self.tmp.chmod(0o700)
        log("pg_basebackup -R of the cluster into a temp dir")
        started = time.monotonic()
        as_postgres(
            "pg_basebackup", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
            "-D", str(self.replica), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.basebackup_s = round(time.monotonic() - started, 1)
        (self.replica / "postgresql.conf").write_text(
            f"port = {REPLICA_PORT}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.tmp}'\ncluster_name = '{REPLICA_NAME}'\n"
            "hot_standby = on\nmax_connections = 100\nshared_buffers = 128MB\n"
            "wal_level = replica\nmax_wal_senders = 10\nsynchronous_standby_names = ''\n",
            encoding="utf-8",
        )
        (self.replica / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
            "host replication all 127.0.0.1/32 trust\n",
            encoding="utf-8",
        )
        for name in ("postgresql.conf", "pg_hba.conf"):
            shutil.chown(self.replica / name, "postgres", "postgres")
        pg_ctl = str(common.PG_BIN / "pg_ctl")
        self.on_exit(
            "replica",
            lambda: as_postgres(pg_ctl, "stop", "-D", str(self.replica), "-m", "immediate"),
        )
        as_postgres(
            pg_ctl, "start", "-D", str(self.replica), "-l", str(self.tmp / "replica.log"), "-w"
        )
        for _ in range(60):
            if sql(
                "SELECT 1 FROM pg_stat_replication"
                " WHERE application_name = %s AND state = 'streaming'",
                REPLICA_NAME,
            ):
                return
            time.sleep(0.5)
        raise SystemExit("the replica never streamed")

    # Load ---------------------------------------------------------------------------

    def start_app(self) -> list[str]:
        logs = self.tmp / "data"
        ports = [8101, 8102]
        for port in ports:
            self.procs.append(common.start_gunicorn(port, self.env, logs / f"web-{port}.log"))
        self.worker = common.start_worker(self.env, logs / "worker.log")
        self.procs.append(self.worker)
        self.on_exit("app servers and worker", lambda: [common.stop(p) for p in self.procs])
        return [f"http://127.0.0.1:{p}" for p in ports]

    def sample_lag(self, stop: threading.Event) -> None:
        """pg_stat_replication every 0.5 s: the LSN distance and replay_lag of the replica."""
        while not stop.is_set():
            try:
                rows = sql(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,"
                    " extract(epoch FROM replay_lag)::float FROM pg_stat_replication"
                    " WHERE application_name = %s",
                    REPLICA_NAME,
                )
                if rows:
                    self.lag.append((time.monotonic(), int(rows[0][0] or 0), rows[0][1]))
            except Exception:
                pass
            stop.wait(0.5)

    def lag_figures(self, since: float, until: float) -> dict[str, Any]:
        window = [(b, s) for t, b, s in self.lag if since <= t < until]
        lsn = [b for b, _ in window]
        secs = [s for _, s in window if s is not None]
        return {
            "samples": len(window),
            "lsn_bytes_max": max(lsn, default=None),
            "lsn_bytes_median": statistics.median(lsn) if lsn else None,
            "replay_lag_ms_max": round(max(secs) * 1000, 1) if secs else None,
            "replay_lag_ms_median": round(statistics.median(secs) * 1000, 1) if secs else None,
        }

    def commit_cost(self, rounds: int = 10, per_round: int = 20) -> dict[str, Any]:
        """One-row commits, local vs waiting for the standby, alternating in small blocks so
        the shared machine's load falls on both alike: the price of synchronous_commit."""
        import psycopg

        times: dict[str, list[float]] = {"local": [], self.args.sync_level: []}
        with psycopg.connect(**common.PRIMARY, dbname=DB, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS drill_commit (n int)")
            for _ in range(rounds):
                for level in times:
                    conn.execute(f"SET synchronous_commit = '{level}'")
                    for n in range(per_round):
                        started = time.perf_counter()
                        conn.execute("INSERT INTO drill_commit VALUES (%s)", (n,))
                        times[level].append((time.perf_counter() - started) * 1000)
        return {
            level: {
                "median": round(statistics.median(v), 2),
                "p95": round(checkin_load._pct(sorted(v), 0.95), 2),
                "n": len(v),
            }
            for level, v in times.items()
        }

    def fail_over(self) -> dict[str, Any]:
        """Fence the old primary for the drill database, promote the replica."""
        fenced = time.monotonic()
        self.hba_lines([HBA_LINES[0]])
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", DB)
        # The whole cluster's WAL streams, so this includes other databases' writes too.
        primary_lsn = sql("SELECT pg_current_wal_lsn()::text")[0][0]
        replayed = sql("SELECT pg_last_wal_replay_lsn()::text", port=REPLICA_PORT)[0][0]
        behind = sql(
            "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", primary_lsn, replayed
        )[0][0]
        as_postgres(str(common.PG_BIN / "pg_ctl"), "promote", "-D", str(self.replica), "-w")
        promoted = time.monotonic()
        # The standby is gone: nothing on the old primary may wait for it.
        sql("ALTER SYSTEM RESET synchronous_standby_names")
        sql("SELECT pg_reload_conf()")
        return {
            "fenced_at": fenced,
            "promote_s": round(promoted - fenced, 2),
            # Negative means the replica had replayed past the primary's position read just
            # before it (other databases keep writing): caught up.
            "replica_behind_at_fence_bytes": max(0, int(behind)),
        }

    def run(self) -> dict[str, Any]:
        a = self.args
        self.allow_replication()
        self.scratch_database()
        self.start_replica()
        bases = self.start_app()
        stop_sampling = threading.Event()
        sampler = threading.Thread(target=self.sample_lag, args=(stop_sampling,), daemon=True)
        sampler.start()
        result = checkin_load.Run()
        links = iter(self.links)

        def load(seconds: float) -> None:
            checkin_load.run(links, bases, seconds=seconds, threads=a.threads, run_=result)

        log(f"phase 1: asynchronous replication, {a.seconds} s of check-ins")
        t0 = time.monotonic()
        load(a.seconds)
        t1 = time.monotonic()
        log(f"phase 2: synchronous_commit={a.sync_level} with synchronous_standby_names")
        sql(f"ALTER SYSTEM SET synchronous_standby_names = '{REPLICA_NAME}'")
        sql("SELECT pg_reload_conf()")
        time.sleep(1)
        sync_state = sql(
            "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s", REPLICA_NAME
        )
        commit_cost = self.commit_cost()
        failover: dict[str, Any] = {}

        def fail_over_midway() -> None:
            time.sleep(a.seconds)
            log("failover: fence the primary, promote the replica")
            stop_sampling.set()
            failover.update(self.fail_over())

        switch = threading.Thread(target=fail_over_midway, daemon=True)
        t2 = time.monotonic()
        switch.start()
        load(a.seconds * 2)
        switch.join()
        t3 = time.monotonic()
        worker_exit = self.worker.poll()
        for proc in self.procs:
            common.stop(proc)
        log("checking the promoted replica")
        fenced = failover["fenced_at"]
        after = [r for r in result.refusals if r >= fenced]
        acked_after = sorted(o.ended for o in result.acked() if o.started >= fenced)
        return {
            "basebackup_s": self.basebackup_s,
            "sync_state_in_phase_2": sync_state[0][0] if sync_state else None,
            "commit_ms": commit_cost,
            "async": result.figures(t0, t1) | {"lag": self.lag_figures(t0, t1)},
            "sync": result.figures(t2, fenced) | {"lag": self.lag_figures(t2, fenced)},
            "after_failover": result.figures(fenced, t3),
            "failover": {k: v for k, v in failover.items() if k != "fenced_at"}
            | {
                "refused_requests": len(after),
                "refused_writes_s": round(max(after) - fenced, 2) if after else 0.0,
                "first_new_ack_after_fence_s": round(acked_after[0] - fenced, 2)
                if acked_after
                else None,
            },
            # systemd's Restart=on-failure would start it again; the drill reports it.
            "worker_exit_after_failover": worker_exit,
            "worker_log_tail": self.worker_tail() if worker_exit is not None else None,
            "check": self.check(result),
        }

    def worker_tail(self) -> str:
        lines = (self.tmp / "data" / "worker.log").read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines[-40:] if "Error" in line or "error" in line)[-600:]

    def check(self, result: checkin_load.Run) -> dict[str, Any]:
        acked = {o.token for o in result.acked()}
        rows = sql(
            "SELECT idempotency_key, count(*) FROM measures_sitting GROUP BY idempotency_key",
            port=REPLICA_PORT,
            dbname=DB,
        )
        stored = dict(rows)
        direct = common.prod_env(
            self.tmp / "data", f"postgresql://postgres@127.0.0.1:{REPLICA_PORT}/{DB}"
        )
        verify = common.plusone(["audit", "verify", "--format", "json"], direct)
        return {
            "acknowledged": len(acked),
            "attempted": len(result.outcomes),
            "missing_on_replica": len(acked - stored.keys()),
            "stored_more_than_once": sum(1 for k in acked if stored.get(k, 0) > 1),
            "audit_verify_exit": verify.returncode,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PlusOne replica drill (docs/deploy.md)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each load step")
    parser.add_argument("--threads", type=int, default=6, help="concurrent clients")
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--sync-level", choices=["on", "remote_apply"], default="on")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("replica-drill: run as root (pg_hba.conf, runuser postgres)", file=sys.stderr)
        return 2
    if (
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(REPLICA_PORT)]).returncode
        == 0
    ):
        print(f"replica-drill: port {REPLICA_PORT} is taken", file=sys.stderr)
        return 2
    drill = Drill(args)
    try:
        figures = drill.run()
    finally:
        drill.cleanup()
    free = (
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(REPLICA_PORT)]).returncode
        != 0
    )
    figures["cleaned_up"] = free and not sql("SELECT 1 FROM pg_database WHERE datname = %s", DB)
    print(json.dumps(figures, indent=2))
    check = figures["check"]
    ok = check["missing_on_replica"] == 0 and check["stored_more_than_once"] == 0
    return 0 if ok and check["audit_verify_exit"] == 0 and figures["cleaned_up"] else 1


if __name__ == "__main__":
    sys.exit(main())
