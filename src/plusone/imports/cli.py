"""What ``plusone import`` and ``plusone import-schedule`` share: the acting user, the file,
the mapping flags and the output (docs/cli.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from plusone.accounts.models import User
from plusone.imports.reading import CP1252, UTF8, ImportRefused, RowError, parse_mapping


def add_common(parser: CommandParser) -> None:
    parser.add_argument("file", help="the file to import; - for standard input")
    parser.add_argument(
        "--as", dest="as_user", required=True, help="the importing therapist's email"
    )
    parser.add_argument("--encoding", choices=[UTF8, CP1252], default=UTF8, help="file encoding")
    parser.add_argument("--map", action="append", default=[], help="'Header=field', repeatable")
    parser.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    parser.add_argument("--format", choices=["table", "json"], help="table or json")


def read(options: dict[str, Any]) -> tuple[User, bytes, dict[str, str]]:
    """The acting user, the file's bytes and the mapping; CommandError (exit 2) otherwise."""
    user = User.objects.filter(email__iexact=options["as_user"], is_active=True).first()
    if user is None:
        raise CommandError("--as: no active staff user with that email", returncode=2)
    try:
        raw = (
            sys.stdin.buffer.read()
            if options["file"] == "-"
            else Path(options["file"]).read_bytes()
        )
    except OSError as exc:
        raise CommandError(f"{options['file']}: {exc.strerror}", returncode=2) from None
    try:
        mapping = parse_mapping("\n".join(options["map"]))
    except ImportRefused as exc:
        raise CommandError(str(exc), returncode=2) from None
    return user, raw, mapping


def finish(
    command: Any, report: dict[str, Any], errors: list[RowError], options: dict[str, Any]
) -> None:
    """Write the result to stdout, each bad row to stderr, and exit 1 when any row failed."""
    out = getattr(command.stdout, "_out", None)
    tty = bool(out is not None and hasattr(out, "isatty") and out.isatty())
    fmt = options.get("format") or ("table" if tty else "json")
    if fmt == "json":
        command.stdout.write(json.dumps(report, indent=2))
    else:
        shown = {k: v for k, v in report.items() if k != "errors"}
        command.stdout.write("\n".join(f"{k}: {v}" for k, v in shown.items()))
    for error in errors:
        command.stderr.write(str(error))
    if errors:
        raise CommandError(f"{len(errors)} row(s) refused; nothing was stored", returncode=1)
