"""plusone serve refuses to start without its secrets, database and allowed hosts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from plusone.web.serving import REQUIRED, missing

PLUSONE = str(Path(sys.executable).parent / "plusone")


def _serve(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return subprocess.run(
        [PLUSONE, "serve", "--bind", "127.0.0.1:1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_serve_naming_each_missing_variable(tmp_path):
    result = _serve(tmp_path)
    assert result.returncode == 2
    for name in (
        "PLUSONE_SECRET_KEY",
        "PLUSONE_FIELD_KEYS",
        "PLUSONE_AUDIT_KEY",
        "DATABASE_URL",
        "PLUSONE_ALLOWED_HOSTS",
    ):
        assert name in result.stderr
    assert result.stdout == ""


def test_it_counts_a_file_twin_and_names_only_what_is_missing(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-file\n")
    given = {name: "set" for name in REQUIRED if name not in ("PLUSONE_SECRET_KEY", "DATABASE_URL")}
    result = _serve(tmp_path, PLUSONE_SECRET_KEY_FILE=str(secret), **given)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "PLUSONE_SECRET_KEY" not in result.stderr
    assert "PLUSONE_AUDIT_KEY" not in result.stderr


def test_it_treats_an_empty_or_missing_file_twin_as_missing(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    environ = dict.fromkeys(REQUIRED, "set")
    del environ["PLUSONE_AUDIT_KEY"], environ["PLUSONE_FIELD_KEYS"]
    environ["PLUSONE_AUDIT_KEY_FILE"] = str(empty)
    environ["PLUSONE_FIELD_KEYS_FILE"] = str(tmp_path / "nowhere")
    assert missing(environ) == ["PLUSONE_FIELD_KEYS", "PLUSONE_AUDIT_KEY"]


def test_it_serves_only_the_prod_profile():
    with pytest.raises(CommandError, match="prod profile only"):
        call_command("serve")
