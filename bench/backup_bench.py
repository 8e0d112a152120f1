"""Backup and restore of the demo database: wall time and sizes.

Usage (from the repository root)::

    .venv/bin/python bench/backup_bench.py [--rounds 3] [--json]
    DATABASE_URL=postgres://plusone_app@127.0.0.1:5432/plusone_ci \\
        .venv/bin/python bench/backup_bench.py --postgres [--rounds 3] [--json]

Builds a throwaway database (a SQLite file in a temp directory, or with
``--postgres`` the databases ``<name>_backup_bench`` and
``<name>_backup_bench_restored`` beside DATABASE_URL's database ``<name>``;
the role needs CREATEDB), runs ``plusone migrate`` and ``plusone demo``, then times
``plusone backup`` and ``plusone restore`` (into a fresh database, with all
its checks) as the operator runs them: whole processes, Django's start-up
included. Prints the database size, the encrypted backup's size and the
median times. Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyrage

ROOT = Path(__file__).resolve().parents[1]


def _key(kid: str) -> str:
    # Throwaway keys made fresh for each run: no secret, not even a test one, is committed.
    return f"{kid}:" + base64.urlsafe_b64encode(os.urandom(32)).decode()


_SECRET_KEY = secrets.token_urlsafe(50)
_FIELD_KEYS = _key("k1")
_AUDIT_KEY = _key("a1")


def _env(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE"))}
    env.update(
        PLUSONE_PROFILE="dev",
        PLUSONE_DATA_DIR=str(data_dir),
        DATABASE_URL=url,
        PLUSONE_SECRET_KEY=_SECRET_KEY,
        PLUSONE_FIELD_KEYS=_FIELD_KEYS,
        PLUSONE_AUDIT_KEY=_AUDIT_KEY,
    )
    return env


def _run(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "plusone.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"plusone {args[0]} failed:\n{done.stderr[-3000:]}")
    return seconds


def _pg(base: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(base)
    with psycopg.connect(
        host=parts.hostname or "",
        port=parts.port or 5432,
        user=parts.username or "",
        password=parts.password or "",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    identity = pyrage.x25519.Identity.generate()
    root = Path(tempfile.mkdtemp(prefix="plusone-backup-bench-"))
    key_file = root / "identity.txt"
    key_file.write_text(f"{identity}\n", encoding="utf-8")
    base = os.environ.get("DATABASE_URL", "")
    if args.postgres and not base.startswith(("postgres://", "postgresql://")):
        sys.exit("--postgres needs DATABASE_URL=postgres://…")
    bench_db = urlsplit(base).path.lstrip("/") + "_backup_bench"
    names = (bench_db, f"{bench_db}_restored")
    try:
        if args.postgres:
            parts = urlsplit(base)
            urls = [parts._replace(path=f"/{name}").geturl() for name in names]
            for name in names:
                _pg(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                _pg(base, f'CREATE DATABASE "{name}"')
        else:
            urls = [f"sqlite:///{root / 'demo.sqlite3'}", f"sqlite:///{root / 'restored.sqlite3'}"]
        source, target = _env(urls[0], root / "data"), _env(urls[1], root / "data")
        _run(source, "migrate", "--no-input", "-v", "0")
        demo_seconds = _run(source, "demo")
        backups, restores, size = [], [], 0
        for n in range(args.rounds):
            out = root / f"demo-{n}.tar.age"
            backups.append(
                _run(
                    source, "backup", "--output", str(out), "--recipient", str(identity.to_public())
                )
            )
            size = out.stat().st_size
            restores.append(
                _run(
                    target,
                    "restore",
                    str(out),
                    "--identity",
                    str(key_file),
                    "--force",
                    "--format",
                    "json",
                )
            )
        db_size = _pg_size(urls[0]) if args.postgres else (root / "demo.sqlite3").stat().st_size
        result: dict[str, Any] = {
            "vendor": "postgresql" if args.postgres else "sqlite",
            "rounds": args.rounds,
            "demo_load_s": round(demo_seconds, 2),
            "database_bytes": db_size,
            "backup_bytes": size,
            "backup_s_median": round(statistics.median(backups), 2),
            "restore_s_median": round(statistics.median(restores), 2),
        }
    finally:
        if args.postgres:
            for name in names:
                _pg(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['vendor']}: demo database {result['database_bytes'] / 1e6:.1f} MB, "
            f"backup {result['backup_bytes'] / 1e6:.1f} MB (encrypted); "
            f"backup {result['backup_s_median']} s, restore with checks "
            f"{result['restore_s_median']} s (median of {args.rounds}, whole processes)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
