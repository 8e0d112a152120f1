"""``plusone restore BACKUP --identity FILE [--force]``: restore a backup, then check it.

Exit 0 when every check passes; 1 for a backup that cannot be read or
restored, or any check that fails (row counts, audit chains, heads); 2 for a
usage error (a missing file, a malformed identity, data in the way without
--force).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.backup.archive import parse_identities
from plusone.backup.errors import BackupError
from plusone.backup.service import RestoreReport, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `plusone backup` into the configured database, and check it."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="the .tar.age file written by plusone backup")
        parser.add_argument(
            "--identity",
            type=Path,
            required=True,
            help="a file holding the age secret key (AGE-SECRET-KEY-1…), kept off the server",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data",
        )
        parser.add_argument("--format", choices=["table", "json"], help="table or json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            identities = parse_identities(options["identity"])
            report = restore_backup(
                source=options["backup"], identities=identities, force=options["force"]
            )
        except BackupError as exc:
            raise CommandError(str(exc), returncode=exc.returncode) from None
        fmt = options.get("format") or ("table" if _isatty(self.stdout) else "json")
        if fmt == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(_table(report))
        if report.migrate_needed:
            self.stderr.write("This PlusOne has newer migrations: run `plusone migrate` next.")
        for note in report.notes:
            self.stderr.write(note)
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError("the restored database does not match the backup", returncode=1)


def _isatty(stream: Any) -> bool:
    out = getattr(stream, "_out", None)
    return bool(out is not None and hasattr(out, "isatty") and out.isatty())


def _table(report: RestoreReport) -> str:
    lines = [
        f"restored: {report.backup} (taken {report.created_at}, {report.vendor})",
        f"tables: {report.tables}, rows: {report.rows}",
    ]
    for p in report.practices:
        head = "matches the manifest" if p["head_matches"] else "DIFFERS from the manifest"
        if p["chain_ok"] is None:
            chain = "chain not checked"
        else:
            chain = f"{p['events']} events, chain " + ("verified" if p["chain_ok"] else "BROKEN")
        lines.append(f"practice {p['practice']}: {chain}, head {head}")
    lines.append("ok" if report.ok else f"FAILED: {len(report.problems)} problems (on stderr)")
    return "\n".join(lines)
