"""``plusone daily``: the once-a-day job. Re-judges every open episode's summary as of
today through the batch path (DESIGN.md: judged as of today), so the caseload, the card
and the journey agree however long ago the last check-in was; then writes the audit
anchor (every practice's signed chain head, outside the database: DESIGN.md, Audit), and
queues the daily digests (docs/reminders.md).
Run by cron or a systemd timer in production, and by ``plusone worker`` once a day.
Exits 1 when the anchor found a problem (a head that does not verify)."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from plusone.audit.anchors import write_anchor
from plusone.clinical.models import Episode
from plusone.measures.signals import daily_ran
from plusone.measures.summary import refresh_summaries
from plusone.measures.tasks import enqueue_due_follow_ups


def run_daily() -> dict[str, Any]:
    """Refresh every open episode's summary as of today and write the audit anchor; return
    counts, the anchor's result and seconds."""

    started = time.monotonic()
    today = timezone.localdate()
    episodes = list(Episode.objects.filter(status=Episode.Status.OPEN).select_related("client"))
    refreshed = refresh_summaries(episodes, today=today)
    # The follow-ups after an Ending whose day has come: their links go out from the worker
    # (in the daytime only, so mostly from ``plusone remind``; docs/follow-ups.md).
    follow_ups = enqueue_due_follow_ups(timezone.now())
    anchor = write_anchor(now=timezone.now())
    # The daily digests, queued as tasks by their owner (insights) in one transaction.
    with transaction.atomic():
        answers = daily_ran.send(sender=None, today=today, anchors=anchor.lines)
    return {
        "day": today.isoformat(),
        "summaries": refreshed,
        "follow_ups": follow_ups,
        "anchor": anchor.as_dict(),
        "digests": sum(int(queued or 0) for _receiver, queued in answers),
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
            anchor = result["anchor"]
            self.stdout.write(f"{'day':<10} {result['day']}")
            self.stdout.write(f"{'summaries':<10} {result['summaries']}")
            self.stdout.write(f"{'follow-ups':<10} {result['follow_ups']}")
            self.stdout.write(
                f"{'anchors':<10} {len(anchor['anchors'])} written to {anchor['file']}"
            )
            self.stdout.write(f"{'digests':<10} {result['digests']}")
            self.stdout.write(f"{'seconds':<10} {result['seconds']}")
        if not result["anchor"]["ok"]:
            for problem in result["anchor"]["problems"]:
                self.stderr.write(f"audit anchor: {problem.get('reason', problem)}")
            raise CommandError("the audit anchor found a problem", returncode=1)
