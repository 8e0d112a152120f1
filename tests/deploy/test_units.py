"""The deploy recipe's unit files (deploy/): they exist, systemd accepts them, and every
command they run is a command this PlusOne has (docs/deploy.md)."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from plusone.cli import ANALYTICS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED_VENV = "/srv/plusone/.venv"

UNITS = [
    "plusone-web.service",
    "plusone-worker.service",
    "plusone-migrate.service",
    "plusone-daily.service",
    "plusone-daily.timer",
    "plusone-escalate.service",
    "plusone-escalate.timer",
    "plusone-backup.service",
    "plusone-backup.timer",
]


def _exec_lines(unit: Path) -> list[list[str]]:
    """Every ExecStart/ExecStartPre/ExecStop command of a unit, split like a shell would."""
    text = unit.read_text(encoding="utf-8")
    found = re.findall(r"^Exec(?:Start|StartPre|StartPost|Stop)=(.+)$", text, flags=re.M)
    return [shlex.split(line) for line in found]


def _plusone_subcommands() -> set[str]:
    return set(get_commands()) | ANALYTICS


def test_it_ships_every_unit_the_recipe_names_and_the_nginx_site():
    missing = [u for u in UNITS if not (DEPLOY / "systemd" / u).is_file()]
    assert missing == []
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "listen 443 ssl" in nginx
    assert "proxy_set_header X-Forwarded-Proto https" in nginx


def test_it_runs_escalation_every_15_minutes_and_the_daily_run_once_a_day():
    escalate = (DEPLOY / "systemd" / "plusone-escalate.timer").read_text(encoding="utf-8")
    daily = (DEPLOY / "systemd" / "plusone-daily.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*:0/15" in escalate
    assert "OnCalendar=*-*-* 02:00:00" in daily
    commands = [c[1] for c in _exec_lines(DEPLOY / "systemd" / "plusone-escalate.service")]
    assert commands == ["escalate-flags", "remind"]


def test_it_runs_only_commands_that_exist():
    """A unit naming a command this PlusOne lacks would fail only at 2 a.m.; catch it here."""
    known = _plusone_subcommands()
    unknown = []
    checked = 0
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for argv in _exec_lines(unit):
            program = Path(argv[0]).name
            if program == "plusone":
                checked += 1
                if argv[1] not in known:
                    unknown.append(f"{unit.name}: plusone {argv[1]}")
            elif program == "gunicorn":
                checked += 1
                module = argv[1].split(":")[0]
                app = getattr(importlib.import_module(module), argv[1].split(":")[1])
                assert callable(app)
            else:
                unknown.append(f"{unit.name}: {argv[0]}")
    assert unknown == []
    assert checked >= 7


def test_it_passes_systemd_analyze_verify(tmp_path):
    """systemd checks that each program exists, so the installed venv path points at this one."""
    if shutil.which("systemd-analyze") is None:
        # CI must check the units; a developer's machine without systemd may not.
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing")
        pytest.skip("no systemd-analyze here")
    venv = str(Path(sys.executable).parent.parent)
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED_VENV, venv), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
