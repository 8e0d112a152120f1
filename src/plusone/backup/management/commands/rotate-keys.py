"""``plusone rotate-keys``: re-encrypt stored free text under the first key of PLUSONE_FIELD_KEYS.

stdout carries only the result; progress goes to stderr on a terminal.
Exit 1 when any value could not be decrypted (each named on stderr; the rest
is still rotated), 2 for a usage error.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.backup.rotation import Rotation, rotate_field_keys, stale_values


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value under the active field key, in resumable batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )
        parser.add_argument("--format", choices=["table", "json"], help="table or json")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        progress = self._progress if _isatty(self.stderr) else None
        result = rotate_field_keys(batch_size=batch_size, after_batch=progress)
        report = result.as_dict()
        report["remaining"] = stale_values()
        fmt = options.get("format") or ("table" if _isatty(self.stdout) else "json")
        if fmt == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(_table(report))
        for failure in result.failures:
            self.stderr.write(failure)
        if result.failures:
            raise CommandError(f"{len(result.failures)} values could not be decrypted")

    def _progress(self, result: Rotation) -> None:
        rows = sum(result.rewritten.values())
        self.stderr.write(f"batch {result.batches}: {rows} rows re-encrypted so far")


def _isatty(stream: Any) -> bool:
    out = getattr(stream, "_out", None)
    return bool(out is not None and hasattr(out, "isatty") and out.isatty())


def _table(report: dict[str, Any]) -> str:
    lines = [f"active key: {report['key_id']}"]
    for label, rows in report["rewritten"].items():
        lines.append(f"{label}: {rows} rows re-encrypted")
    lines.append(f"batches: {report['batches']}")
    lines.append(f"values still under an older key: {report['remaining']}")
    return "\n".join(lines)
