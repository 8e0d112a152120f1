"""Settings: profiles, *_FILE twins, generated dev secrets, and prod's refusal."""

import base64
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from plusone import settings
from plusone.settings import (
    env,
    parse_database_url,
    parse_email_url,
    parse_key_ring,
    parse_pool_size,
)

PLUSONE = str(Path(sys.executable).parent / "plusone")


def _key(byte):
    return "k1:" + base64.b64encode(bytes([byte]) * 32).decode()


def _clean_env(**extra):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLUSONE_", "DATABASE_URL", "DJANGO_"))
    }
    base.update(extra)
    return base


def _run(args, tmp_path, **extra):
    return subprocess.run(
        [PLUSONE, *args],
        cwd=tmp_path,
        env=_clean_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


PROD_SECRETS = {
    "PLUSONE_SECRET_KEY": secrets.token_urlsafe(50),
    "PLUSONE_FIELD_KEYS": _key(1),
    "PLUSONE_AUDIT_KEY": _key(2),
    "PLUSONE_ALLOWED_HOSTS": "plusone.example",
    "PLUSONE_EMAIL_URL": "smtp://mailer:pw@mail.example:587",
}


def test_it_refuses_to_start_prod_without_secrets_naming_each_one(tmp_path):
    result = _run(["check"], tmp_path, PLUSONE_PROFILE="prod")
    assert result.returncode != 0
    for name in (
        "PLUSONE_SECRET_KEY",
        "PLUSONE_FIELD_KEYS",
        "PLUSONE_AUDIT_KEY",
        "PLUSONE_ALLOWED_HOSTS",
        "PLUSONE_DATA_DIR",
        "PLUSONE_EMAIL_URL",
    ):
        assert name in result.stderr
    assert not (tmp_path / "var").exists()


def test_it_names_only_what_is_missing(tmp_path):
    env_vars = dict(PROD_SECRETS, PLUSONE_DATA_DIR=str(tmp_path))
    del env_vars["PLUSONE_AUDIT_KEY"]
    result = _run(["check"], tmp_path, PLUSONE_PROFILE="prod", **env_vars)
    assert result.returncode != 0
    assert "PLUSONE_AUDIT_KEY" in result.stderr
    assert "PLUSONE_SECRET_KEY" not in result.stderr


def test_it_passes_the_deploy_check_in_prod_with_throwaway_keys(tmp_path):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        PLUSONE_PROFILE="prod",
        PLUSONE_DATA_DIR=str(tmp_path),
        **PROD_SECRETS,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_it_accepts_secrets_from_file_twins_in_prod(tmp_path):
    files = {}
    for name, value in PROD_SECRETS.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        files[f"{name}_FILE"] = str(path)
    result = _run(
        ["check"], tmp_path, PLUSONE_PROFILE="prod", PLUSONE_DATA_DIR=str(tmp_path), **files
    )
    assert result.returncode == 0, result.stderr


def test_it_refuses_the_same_secret_twice(tmp_path):
    env_vars = dict(PROD_SECRETS, PLUSONE_DATA_DIR=str(tmp_path), PLUSONE_AUDIT_KEY=_key(1))
    result = _run(["check"], tmp_path, PLUSONE_PROFILE="prod", **env_vars)
    assert result.returncode != 0
    assert "PLUSONE_AUDIT_KEY" in result.stderr


def test_it_generates_dev_secrets_once_with_mode_0600(tmp_path):
    data = tmp_path / "data"
    first = _run(["check"], tmp_path, PLUSONE_PROFILE="dev", PLUSONE_DATA_DIR=str(data))
    assert first.returncode == 0, first.stderr
    files = sorted((data / "secrets").iterdir())
    assert [f.name for f in files] == [
        "plusone_audit_key",
        "plusone_field_keys",
        "plusone_secret_key",
    ]
    contents = {f.name: f.read_text() for f in files}
    assert len(set(contents.values())) == 3
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    _run(["check"], tmp_path, PLUSONE_PROFILE="dev", PLUSONE_DATA_DIR=str(data))
    assert {f.name: f.read_text() for f in (data / "secrets").iterdir()} == contents


def test_it_keeps_argon2_first_outside_the_test_profile(tmp_path):
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=tmp_path,
        env=_clean_env(
            PLUSONE_PROFILE="dev",
            PLUSONE_DATA_DIR=str(tmp_path),
            DJANGO_SETTINGS_MODULE="plusone.settings",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher", (
        result.stderr
    )


def test_it_applies_the_sqlite_pragmas(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor();"
        "print([c.execute(f'PRAGMA {p}').fetchone()[0] for p in "
        "('journal_mode', 'synchronous', 'secure_delete', 'foreign_keys')]);"
        "print(connection.transaction_mode)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=tmp_path,
        env=_clean_env(
            PLUSONE_PROFILE="dev",
            PLUSONE_DATA_DIR=str(tmp_path),
            DJANGO_SETTINGS_MODULE="plusone.settings",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    # synchronous FULL is 2; secure_delete and foreign_keys ON are 1.
    assert result.stdout.split("\n")[:2] == ["['wal', 2, 1, 1]", "IMMEDIATE"], result.stderr


def test_it_reads_a_value_from_its_file_twin(tmp_path, monkeypatch):
    secret = tmp_path / "value"
    secret.write_text("from-file\n")
    # env() records each name it reads; keep the made-up one out of the record the
    # configuration-doc test checks, whatever order the tests run in.
    monkeypatch.setattr(settings, "ENV_READ", set(settings.ENV_READ))
    monkeypatch.delenv("PLUSONE_EXAMPLE", raising=False)
    monkeypatch.setenv("PLUSONE_EXAMPLE_FILE", str(secret))
    assert env("PLUSONE_EXAMPLE", "default") == "from-file"
    monkeypatch.setenv("PLUSONE_EXAMPLE", "from-env")
    assert env("PLUSONE_EXAMPLE", "default") == "from-env"


def test_it_parses_database_urls(tmp_path):
    pg = parse_database_url("postgresql://app:p%40ss@db.example:5433/plusone", tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "plusone",
        "app",
        "p@ss",
        "db.example",
        "5433",
    )
    assert parse_database_url("postgres://postgres@127.0.0.1/test", tmp_path)["NAME"] == "test"
    lite = parse_database_url("sqlite:///var/x.sqlite3", tmp_path)
    assert lite["NAME"] == str(tmp_path / "var" / "x.sqlite3")
    assert lite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert parse_database_url("sqlite:////srv/x.sqlite3", tmp_path)["NAME"] == "/srv/x.sqlite3"
    with pytest.raises(ValueError):
        parse_database_url("mysql://x/y", tmp_path)


def test_it_parses_email_urls():
    assert parse_email_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert parse_email_url("locmem://")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    smtp = parse_email_url("smtp://me%40x.example:secret@mail.example:587")
    assert (
        smtp["EMAIL_HOST"],
        smtp["EMAIL_PORT"],
        smtp["EMAIL_HOST_USER"],
        smtp["EMAIL_USE_TLS"],
    ) == ("mail.example", 587, "me@x.example", True)
    assert parse_email_url("smtps://u:p@mail.example")["EMAIL_USE_SSL"] is True


def test_it_parses_a_key_ring_in_order():
    ring = parse_key_ring(f"{_key(1)},{_key(2).replace('k1', 'k0')}", "PLUSONE_FIELD_KEYS")
    assert [kid for kid, _ in ring] == ["k1", "k0"]
    with pytest.raises(ValueError):
        parse_key_ring("k1:" + base64.b64encode(b"short").decode(), "PLUSONE_FIELD_KEYS")


def test_it_pools_postgresql_connections_when_plusone_db_pool_is_set(tmp_path):
    pooled = parse_database_url("postgres://app@db.example/plusone", tmp_path, pool=8)
    # Django refuses a pool with persistent connections: the pool keeps them instead.
    assert pooled["CONN_MAX_AGE"] == 0
    assert pooled["OPTIONS"]["pool"]["max_size"] == 8
    assert pooled["OPTIONS"]["pool"]["min_size"] == 1
    plain = parse_database_url("postgres://app@db.example/plusone", tmp_path)
    assert "OPTIONS" not in plain and plain["CONN_MAX_AGE"] == 60
    lite = parse_database_url("sqlite:///var/x.sqlite3", tmp_path, pool=8)
    assert "pool" not in lite["OPTIONS"]


def test_it_refuses_a_pool_size_that_is_not_a_whole_number():
    with pytest.raises(ValueError, match="PLUSONE_DB_POOL"):
        parse_pool_size("eight")
    assert parse_pool_size("") == 0
    assert parse_pool_size("4") == 4
