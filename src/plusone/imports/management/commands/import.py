"""``plusone import``: past scores from CSV, all or nothing (docs/imports.md, docs/cli.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.imports import cli
from plusone.imports.reading import ImportRefused
from plusone.imports.scores import import_scores


class Command(BaseCommand):
    help = "Import past scores from CSV: every row checked, all stored or none."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_common(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user, raw, mapping = cli.read(options)
        try:
            report = import_scores(
                user=user,
                raw=raw,
                encoding=options["encoding"],
                mapping=mapping,
                dry_run=options["dry_run"],
            )
        except ImportRefused as exc:
            raise CommandError(str(exc), returncode=2) from None
        cli.finish(self, report.as_dict(), report.errors, options)
