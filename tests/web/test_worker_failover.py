"""plusone worker outlives the database going away (a failover, a restart): it waits,
tries again, and runs the tasks queued once the database is back, without systemd having
to restart it. Then SIGTERM still stops it with exit 0.

PostgreSQL only (the failure is refused connections); a fresh database of its own, made
and dropped here. The migrations take ~20 s, hence ``slow``.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
TABLE = "django_tasks_database_dbtaskresult"


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def _env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_"))}
    env.update(
        PLUSONE_PROFILE="test",
        PLUSONE_DATA_DIR=str(data),
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="plusone.settings",
        PYTHONPATH=os.pathsep.join([*filter(None, [env.get("PYTHONPATH")]), str(HERE)]),
        PLUSONE_LOG_LEVEL="INFO",
    )
    return env


def _enqueue(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup()\n"
        "from worker_tasks import pause\n"
        "print(pause.enqueue(0.0).id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _status(url: str, task_id: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as db:
            row = db.execute(f"SELECT status FROM {TABLE} WHERE id = %s", [task_id]).fetchone()
    except psycopg.OperationalError:
        return None
    return row[0] if row else None


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not ON_POSTGRES, reason="DATABASE_URL is not PostgreSQL (CI runs both)")
def test_the_worker_waits_out_a_database_outage_and_carries_on(tmp_path):
    name = (urlsplit(DATABASE_URL).path.lstrip("/") or "plusone") + "_failover"
    url = urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{name}"))
    with _admin(DATABASE_URL) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env = _env(url, data)
    done = subprocess.run(
        [str(BIN / "plusone"), "migrate", "--no-input", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(BIN / "plusone"), "worker", "--interval", "0.2", "--escalate-every", "0"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        first = _enqueue(env)
        assert _wait_for(lambda: _status(url, first) == "SUCCESSFUL", 60), log.read_text()

        # The outage: no new connections, and the ones open are cut, as at a failover.
        with _admin(DATABASE_URL) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
        time.sleep(4)
        alive_during = worker.poll() is None
        with _admin(DATABASE_URL) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        assert alive_during, log.read_text()

        second = _enqueue(env)
        assert _wait_for(lambda: _status(url, second) == "SUCCESSFUL", 60), log.read_text()
        assert worker.poll() is None, log.read_text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            code = worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            code = worker.wait()
        with _admin(DATABASE_URL) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    text = log.read_text()
    assert code == 0, text
    assert "the database is unavailable" in text
