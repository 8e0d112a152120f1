"""The prod-like environment the load test, its seed and its gunicorn share: the prod profile
(DEBUG off, CSRF, secure cookies behind a TLS proxy), field encryption and the audit chain, on a
scratch PostgreSQL database. Secrets are made once and kept in the data directory, so the seed,
the servers and the checks read the same keys."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = ROOT / "bench" / "out" / "load"
DEFAULT_DB = "plusone_load"
PG = "postgres://postgres@127.0.0.1:5432/"
# Never the team's databases: the load test drops and refills its own.
FORBIDDEN = {"test", "plusone_ci", "postgres", "template0", "template1"}


def _key() -> str:
    return "k" + secrets.token_hex(3) + ":" + base64.urlsafe_b64encode(os.urandom(32)).decode()


def secrets_for(data_dir: Path) -> dict[str, str]:
    """The three secrets, made once with mode 0600 in ``data_dir/load-secrets.json``."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(data_dir, 0o700)
    path = data_dir / "load-secrets.json"
    if not path.exists():
        values = {
            "PLUSONE_SECRET_KEY": secrets.token_urlsafe(50),
            "PLUSONE_FIELD_KEYS": _key(),
            "PLUSONE_AUDIT_KEY": _key(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)
    return dict(json.loads(path.read_text()))


def load_env(
    *, db: str = DEFAULT_DB, data_dir: Path = DEFAULT_DATA_DIR, pool: int = 0
) -> dict[str, str]:
    """Environment variables for a prod-profile PlusOne on ``db``."""
    if db in FORBIDDEN:
        raise SystemExit(f"refusing to use database {db!r}: pick a scratch database")
    env = dict(os.environ)
    env.update(secrets_for(data_dir))
    env.update(
        {
            "PLUSONE_PROFILE": "prod",
            "PLUSONE_DATA_DIR": str(data_dir),
            "PLUSONE_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PLUSONE_EMAIL_URL": "locmem://",
            "PLUSONE_SITE_URL": "https://127.0.0.1",
            "PLUSONE_LOG_LEVEL": "WARNING",
            "DATABASE_URL": PG + db,
            # One anchor file per database: each run starts from a fresh copy of the seed.
            "PLUSONE_AUDIT_ANCHOR_PATH": str(anchor_path(db, data_dir)),
            "PLUSONE_DB_POOL": str(pool),
            "DJANGO_SETTINGS_MODULE": "plusone.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


def anchor_path(db: str, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    return data_dir / "audit" / f"anchors-{db}.jsonl"


def apply(env: dict[str, str]) -> None:
    """Make this process use ``env`` (before Django is set up)."""
    os.environ.update(env)


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-XAtqc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()
