"""What the drills share: a prod-profile environment, the plusone and gunicorn processes,
and SQL on the CI PostgreSQL cluster (127.0.0.1:5432, superuser ``postgres``, trust)."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def log(message: str) -> None:
    """Progress on stderr; stdout carries only the result."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prod_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The prod profile with throwaway secrets in ``data_dir`` (made 0700 here)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = data_dir / "keys.env"
    if not keys.exists():
        ring = lambda: "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
        keys.write_text(
            f"PLUSONE_SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"PLUSONE_FIELD_KEYS={ring()}\nPLUSONE_AUDIT_KEY={ring()}\n",
            encoding="utf-8",
        )
        keys.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "PG"))}
    env.update(line.split("=", 1) for line in keys.read_text(encoding="utf-8").splitlines())
    env.update(
        PLUSONE_PROFILE="prod",
        PLUSONE_DATA_DIR=str(data_dir),
        PLUSONE_ALLOWED_HOSTS="127.0.0.1,localhost",
        PLUSONE_EMAIL_URL="console://",
        PLUSONE_SITE_URL="https://127.0.0.1",
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT / "src"),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="plusone.settings",
    )
    env.update(extra)
    return env


def plusone(args: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "python"), "-m", "plusone.cli", *args],
        env=env,
        cwd=ROOT,
        text=True,
        capture_output=True,
        **kw,
    )


def start_gunicorn(port: int, env: dict[str, str], logfile: Path, workers: int = 2) -> Any:
    """gunicorn on plusone.wsgi, after collectstatic as ``plusone serve`` does (the prod
    profile serves hashed static names from its manifest), so the drill picks its ports."""
    plusone(["collectstatic", "--noinput", "--verbosity", "0"], env, check=True)
    out = logfile.open("ab")
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "plusone.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_http(port)
    return proc


def start_worker(env: dict[str, str], logfile: Path) -> Any:
    out = logfile.open("ab")
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "plusone.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_http(port: int, timeout: float = 60) -> None:
    import requests

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            requests.get(
                f"http://127.0.0.1:{port}/healthz",
                headers={"X-Forwarded-Proto": "https"},
                timeout=2,
            )
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"nothing answers on 127.0.0.1:{port}")


def stop(proc: Any, timeout: float = 30) -> None:
    """TERM the process group we started (only ours), then KILL it if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def sql(
    query: str, *args: Any, port: int = 5432, dbname: str = "postgres"
) -> list[tuple[Any, ...]]:
    """One statement in autocommit (CREATE DATABASE and ALTER SYSTEM need it)."""
    with psycopg.connect(**(PRIMARY | {"port": port}), dbname=dbname, autocommit=True) as conn:
        cur = conn.execute(query, args or None)
        return cur.fetchall() if cur.description else []


def drop_database(name: str, port: int = 5432) -> None:
    sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', port=port)
