"""``plusone import-schedule``: appointments from a Jane App or Owl Practice CSV export or an
iCalendar file (docs/imports.md, docs/cli.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.imports import cli
from plusone.imports.reading import ImportRefused
from plusone.imports.schedule import SOURCES, import_schedule


class Command(BaseCommand):
    help = "Import appointments as sessions: idempotent, all stored or none."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_common(parser)
        parser.add_argument("--source", choices=sorted(SOURCES), required=True, help="the export")

    def handle(self, *args: Any, **options: Any) -> None:
        user, raw, mapping = cli.read(options)
        try:
            report = import_schedule(
                user=user,
                raw=raw,
                source=options["source"],
                encoding=options["encoding"],
                mapping=mapping,
                dry_run=options["dry_run"],
            )
        except ImportRefused as exc:
            raise CommandError(str(exc), returncode=2) from None
        cli.finish(self, report.as_dict(), report.errors, options)
