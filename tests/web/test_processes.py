"""The real processes: plusone worker stops cleanly on SIGTERM to its process group, and
plusone serve serves compressed, cache-busted static files, then stops with exit 0.

Each test runs the commands as subprocesses on a file SQLite database migrated once for
the module (the migrations take ~20 s here, hence ``slow``).
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
TABLE = "django_tasks_database_dbtaskresult"


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_"))}
    env.update(
        PLUSONE_PROFILE="test",
        PLUSONE_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'plusone.sqlite3'}",
        DJANGO_SETTINGS_MODULE="plusone.settings",
        PYTHONPATH=os.pathsep.join([*filter(None, [env.get("PYTHONPATH")]), str(HERE)]),
        PLUSONE_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("migrated")
    done = subprocess.run(
        [str(BIN / "plusone"), "migrate", "--no-input", "-v", "0"],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return data / "plusone.sqlite3"


@pytest.fixture
def data(tmp_path, migrated) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    shutil.copy(migrated, folder / "plusone.sqlite3")
    return folder


def _enqueue(data: Path, seconds: float) -> str:
    code = (
        "import django; django.setup()\n"
        "from worker_tasks import pause\n"
        f"print(pause.enqueue({seconds}).id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(data), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _status(data: Path, task_id: str) -> str:
    with sqlite3.connect(data / "plusone.sqlite3") as db:
        # Django keeps a UUID in SQLite as 32 hex digits.
        row = db.execute(
            f"SELECT status FROM {TABLE} WHERE id = ?", (task_id.replace("-", ""),)
        ).fetchone()
    return row[0]


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _start_worker(data: Path, log: Path, profile: str = "test") -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "plusone"), "worker", "--interval", "0.2"],
            env=_env(data, PLUSONE_PROFILE=profile),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop_group(proc: subprocess.Popen, seconds: float) -> tuple[int | None, float]:
    """SIGTERM to the whole process group, as systemd's stop does; (exit code, seconds)."""
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        code = proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None, time.monotonic() - started
    return code, time.monotonic() - started


# dev too: DEBUG once turned on django-tasks' autoreloader, a second process in the group.
@pytest.mark.parametrize("profile", ["test", "dev"])
def test_it_finishes_the_running_task_then_exits_0_on_sigterm_to_its_group(data, tmp_path, profile):
    task_id = _enqueue(data, 2.0)
    worker = _start_worker(data, tmp_path / "worker.log", profile)
    try:
        running = _wait_for(lambda: _status(data, task_id) == "RUNNING", 60)
    finally:
        code, seconds = _stop_group(worker, 10)
    assert running, (tmp_path / "worker.log").read_text()
    log = (tmp_path / "worker.log").read_text()
    assert code == 0, log
    assert seconds < 5, log
    assert _status(data, task_id) == "SUCCESSFUL"


def test_it_exits_0_at_once_when_idle_and_leaves_a_queued_task_ready(data, tmp_path):
    log = tmp_path / "worker.log"
    worker = _start_worker(data, log)
    try:
        assert _wait_for(lambda: b"worker started" in log.read_bytes(), 60), log.read_text()
        # Idle: it has polled the empty queue a few times.
        time.sleep(1)
    finally:
        code, seconds = _stop_group(worker, 10)
    assert code == 0, (tmp_path / "worker.log").read_text()
    assert seconds < 5
    task_id = _enqueue(data, 0.1)
    assert _status(data, task_id) == "READY"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def _prod_env(data: Path) -> dict[str, str]:
    return _env(
        data,
        PLUSONE_PROFILE="prod",
        PLUSONE_SECRET_KEY="serve-test-secret-key-" + "x" * 40,
        PLUSONE_FIELD_KEYS="k1:" + "A" * 43 + "=",
        PLUSONE_AUDIT_KEY="a1:" + "B" * 43 + "=",
        PLUSONE_ALLOWED_HOSTS="127.0.0.1",
        PLUSONE_EMAIL_URL="console://",
    )


def _serve(data: Path, log: Path, *flags: str, **env: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(BIN / "plusone"), "serve", *flags, "--bind", f"127.0.0.1:{port}"],
            env={**_prod_env(data), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return server, f"http://127.0.0.1:{port}"


def _readyz(base: str) -> tuple[int, bytes]:
    try:
        status, _, body = _get(base + "/readyz")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""
    return status, body


def test_it_serves_compressed_cache_busted_static_files_and_stops_with_0(data, tmp_path):
    log = tmp_path / "serve.log"
    server, base = _serve(data, log, "--migrate")
    try:
        assert _wait_for(lambda: _readyz(base)[0] == 200, 90), log.read_text()
        https = {"X-Forwarded-Proto": "https"}
        status, _, page = _get(base + "/accounts/login/", **https)
        assert status == 200
        css = next(
            part.split('"')[0]
            for part in page.decode().split('href="')[1:]
            if part.startswith("/static/plusone/app.")
        )
        # Cache-busted: the name carries the content's hash.
        assert css != "/static/plusone/app.css" and css.endswith(".css")
        status, headers, _ = _get(base + css, **https, **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]
    finally:
        code, seconds = _stop_group(server, 30)
    assert code == 0, log.read_text()[-3000:]
    assert seconds < 25
    # Every line of the server's output is JSON, gunicorn's own included; each request's line
    # carries its id.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "plusone.request"}
    login = next(line for line in lines if line.get("path") == "/accounts/login/")
    assert len(login["request_id"]) == 32


def test_it_migrates_only_when_asked_and_is_not_ready_until_then(tmp_path):
    data = tmp_path / "empty"
    data.mkdir(mode=0o700)
    log = tmp_path / "serve.log"
    server, base = _serve(data, log)
    try:
        assert _wait_for(lambda: _readyz(base)[0] == 503, 90), log.read_text()
        assert json.loads(_readyz(base)[1]) == {"status": "unavailable", "reason": "migrations"}
        with sqlite3.connect(data / "plusone.sqlite3") as db:
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        assert ("accounts_user",) not in tables
    finally:
        code, _ = _stop_group(server, 30)
    assert code == 0, log.read_text()[-3000:]


def test_it_is_not_ready_while_the_database_does_not_answer(tmp_path):
    data = tmp_path / "nodb"
    data.mkdir(mode=0o700)
    log = tmp_path / "serve.log"
    # A PostgreSQL address where nothing listens: the server starts, the database is "down".
    nowhere = f"postgres://nobody@127.0.0.1:{_free_port()}/nothing"
    server, base = _serve(data, log, DATABASE_URL=nowhere)
    try:
        assert _wait_for(lambda: _readyz(base)[0] == 503, 90), log.read_text()
        assert json.loads(_readyz(base)[1]) == {"status": "unavailable", "reason": "database"}
        assert _get(base + "/healthz")[0] == 200
    finally:
        code, _ = _stop_group(server, 30)
    assert code == 0, log.read_text()[-3000:]
