"""``plusone remind``: enqueue the check-in invitations and reminders that are due (run by the
worker every 5 minutes, or by a timer at least every 15; docs/reminders.md)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from plusone.measures.invitations import enqueue_due


class Command(BaseCommand):
    help = "Enqueue check-in invitations and reminders for the sessions coming up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=("table", "json"),
            default=None,
            help="output format (default: table on a TTY, json otherwise)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = enqueue_due(now=timezone.now()).as_dict()
        fmt = options["format"] or ("table" if sys.stdout.isatty() else "json")
        if fmt == "json":
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:<12} {value}")
