"""``plusone serve``: the prod profile under gunicorn (docs/operations.md).

The console script checks the environment and selects the prod profile before Django
loads (plusone.web.serving); this command migrates when asked, collects the static
files, then replaces itself with gunicorn, so systemd's main process is gunicorn's
arbiter and a SIGTERM stops it gracefully (exit 0).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.web.serving import missing, refusal

GUNICORN_LOGGING = Path(__file__).resolve().parents[2] / "gunicorn-logging.json"


class Command(BaseCommand):
    help = "Serve PlusOne (prod profile) under gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="address:port (default 127.0.0.1:8000)"
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker")
        parser.add_argument(
            "--migrate", action="store_true", help="apply migrations before serving"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PROFILE != "prod":
            raise CommandError("plusone serve runs the prod profile only (PLUSONE_PROFILE=prod).")
        names = missing()
        if names:
            raise CommandError(refusal(names))
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        # Hashed and compressed copies for whitenoise (a few seconds, every start).
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "plusone.wsgi",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread",
            # systemd's stop waits this long for requests in flight, well under its 90 s.
            "--graceful-timeout",
            "20",
            "--timeout",
            "60",
            # Its default socket lives in $HOME: two servers on one machine would share it.
            "--no-control-socket",
            # gunicorn's own lines (boot, worker timeouts, stop) as JSON too; no access log.
            "--log-config-json",
            str(GUNICORN_LOGGING),
        ]
        sys.stdout.flush()
        sys.stderr.flush()
        # Replace this process: signals reach gunicorn directly, and its exit is ours.
        os.execv(sys.executable, argv)  # noqa: S606 - a fixed argv, no shell
