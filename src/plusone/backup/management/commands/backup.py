"""``plusone backup``: write one encrypted, consistent backup of the database (docs/backup.md).

stdout carries only the result (path, size, SHA-256, audit heads); exit 2 for
a usage error (no recipient, a malformed one, an existing output file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.backup.errors import BackupError
from plusone.backup.service import make_backup


class Command(BaseCommand):
    help = "Write an age-encrypted backup (database dump and manifest) while the app runs."
    # The backup reads the database as it is; the URL and model checks are not its business.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="the file to write (default: DATA_DIR/backups/plusone-<UTC time>.tar.age)",
        )
        parser.add_argument(
            "--recipient",
            help="age public key(s), comma-separated (default: PLUSONE_BACKUP_RECIPIENT)",
        )
        parser.add_argument("--format", choices=["table", "json"], help="table or json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = make_backup(output=options["output"], recipient=options["recipient"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
        for warning in result.warnings:
            self.stderr.write(warning)
        report = result.as_dict()
        fmt = options.get("format") or ("table" if _isatty(self.stdout) else "json")
        if fmt == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write("\n".join(f"{key}: {value}" for key, value in report.items()))


def _isatty(stream: Any) -> bool:
    out = getattr(stream, "_out", None)
    return bool(out is not None and hasattr(out, "isatty") and out.isatty())
