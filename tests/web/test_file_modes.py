"""The data directory, the SQLite database and its -wal and -shm are the owner's alone.

Issue 10, section 6: they were 0755 and 0644, world-readable, with client emails in
plain text inside. Settings now create them 0700 and 0600 and tighten an existing
install's on start-up. Each test runs PlusOne in a process of its own under umask
022, the usual default, so a strict umask cannot make it pass.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PLUSONE = str(Path(sys.executable).parent / "plusone")
DB = "plusone.sqlite3"

# Creates the database through the app's own connection (settings' SQLite set-up),
# writes in WAL mode, and reports every mode while the connection is open (SQLite
# removes -wal and -shm when the last connection closes).
CREATE = """
import json, os, stat, django
django.setup()
from django.core.management import call_command
from django.conf import settings
from django.db import connection
call_command("createcachetable", verbosity=0)
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS probe (email TEXT)")
    c.execute("INSERT INTO probe VALUES ('bob@example.org')")
db = str(settings.DATABASES["default"]["NAME"])
paths = [str(settings.DATA_DIR), db, db + "-wal", db + "-shm"]
print(json.dumps({os.path.basename(p): oct(stat.S_IMODE(os.stat(p).st_mode)) for p in paths}))
"""


def _env(data: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLUSONE_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        PLUSONE_PROFILE="dev",
        PLUSONE_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="plusone.settings",
    )
    return env


def _run(args: list[str], data: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=data.parent,
        env={**_env(data), **extra},
        capture_output=True,
        text=True,
        timeout=60,
        # The common default; PlusOne must not rely on a stricter one.
        preexec_fn=lambda: os.umask(0o022),
    )


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_it_creates_the_data_dir_database_wal_and_shm_for_the_owner_alone(tmp_path):
    data = tmp_path / "data"
    result = _run([sys.executable, "-c", CREATE], data)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "data": "0o700",
        DB: "0o600",
        f"{DB}-wal": "0o600",
        f"{DB}-shm": "0o600",
    }
    assert _mode(data / "secrets") == "0o700"
    assert {_mode(f) for f in (data / "secrets").iterdir()} == {"0o600"}


def test_it_tightens_an_existing_install_on_start_up(tmp_path):
    data = tmp_path / "data"
    assert _run([sys.executable, "-c", CREATE], data).returncode == 0
    # An install made before the fix: everything readable by everyone.
    for path in (data, data / "secrets"):
        path.chmod(0o755)
    for path in [data / DB, *(data / "secrets").iterdir()]:
        path.chmod(0o644)
    # An open connection keeps a -wal and -shm, which SQLite gives the database's mode.
    held = sqlite3.connect(data / DB)
    try:
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("INSERT INTO probe VALUES ('dave@example.org')")
        held.commit()
        assert _mode(data / f"{DB}-wal") == _mode(data / f"{DB}-shm") == "0o644"
        result = _run([PLUSONE, "check"], data)
        assert result.returncode == 0, result.stderr
        modes = {p.name: _mode(p) for p in (data / f"{DB}-wal", data / f"{DB}-shm")}
    finally:
        held.close()
    assert _mode(data) == "0o700"
    assert _mode(data / DB) == "0o600"
    assert modes == {f"{DB}-wal": "0o600", f"{DB}-shm": "0o600"}
    assert _mode(data / "secrets") == "0o700"
    assert {_mode(f) for f in (data / "secrets").iterdir()} == {"0o600"}


def test_it_refuses_a_shared_directory_as_its_data_dir(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    # World-writable with the sticky bit, like /tmp: not PlusOne's to make private.
    shared.chmod(0o1777)
    result = _run([PLUSONE, "check"], shared)
    assert result.returncode != 0
    assert "shared directory" in result.stderr and str(shared) in result.stderr
    assert _mode(shared) == "0o1777"


@pytest.mark.parametrize("name", ["its.sqlite3", "elsewhere/its.sqlite3"])
def test_it_creates_a_database_named_by_database_url_for_the_owner_alone(tmp_path, name):
    data, path = tmp_path / "data", tmp_path / name
    path.parent.mkdir(exist_ok=True)
    result = _run([sys.executable, "-c", CREATE], data, DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "data": "0o700",
        "its.sqlite3": "0o600",
        "its.sqlite3-wal": "0o600",
        "its.sqlite3-shm": "0o600",
    }
