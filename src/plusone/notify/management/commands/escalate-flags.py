"""``plusone escalate-flags``: escalate risk flags left unacknowledged too long (run by cron)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from plusone.notify.escalation import escalate_flags


class Command(BaseCommand):
    help = "Escalate open risk flags past the practice's business-hours delay (at most once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=("table", "json"),
            default=None,
            help="output format (default: table on a TTY, json otherwise)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = escalate_flags(now=timezone.now())
        fmt = options["format"] or ("table" if sys.stdout.isatty() else "json")
        result = {
            "checked": run.checked,
            "escalated": len(run.escalated),
            "no_recipient": len(run.no_recipient),
        }
        if fmt == "json":
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:<13} {value}")
        if run.no_recipient:
            # Ids only: an overdue flag with neither cover nor clinical contact needs a human.
            raise CommandError(
                f"{len(run.no_recipient)} overdue flag(s) have no cover or clinical contact: "
                "set one on the practice's risk settings page",
                returncode=1,
            )
