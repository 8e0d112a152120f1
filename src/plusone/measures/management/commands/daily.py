"""``plusone daily``: the once-a-day job. Re-judges every open episode's summary as of
today through the batch path (DESIGN.md: judged as of today), so the caseload, the card
and the journey agree however long ago the last check-in was; then writes the audit
anchor. Run by cron or a systemd timer in production, and by ``plusone worker`` once a
day."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


def run_daily() -> dict[str, Any]:
    """Refresh every open episode's summary as of today; return counts and seconds."""
    from plusone.clinical.models import Episode
    from plusone.measures.summary import refresh_summaries

    started = time.monotonic()
    today = timezone.localdate()
    episodes = list(Episode.objects.filter(status=Episode.Status.OPEN).select_related("client"))
    refreshed = refresh_summaries(episodes, today=today)
    return {
        "day": today.isoformat(),
        "summaries": refreshed,
        "seconds": round(time.monotonic() - started, 3),
    }


class Command(BaseCommand):
    help = "Re-judge every open episode's summary as of today (run once a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=("table", "json"),
            default=None,
            help="output format (default: table on a TTY, json otherwise)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_daily()
        fmt = options["format"] or ("table" if sys.stdout.isatty() else "json")
        if fmt == "json":
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:<10} {value}")
