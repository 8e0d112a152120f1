"""``plusone audit verify``: walk each practice's HMAC chain and report the first break.

stdout carries only the result; a broken chain exits 1, a usage error 2.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.accounts.models import Practice
from plusone.audit.chain import Verification, verify_chain


def verification_report(practice: Practice, result: Verification) -> dict[str, Any]:
    """One practice's verification as the JSON object ``audit verify`` prints."""
    broken = None
    if not result.ok:
        broken = {
            "seq": result.first_bad_seq,
            "event_id": result.event_id,
            "kind": result.kind,
            "reason": result.reason,
        }
    return {
        "practice": str(practice.pk),
        "name": practice.name,
        "ok": result.ok,
        "events": result.events,
        "break": broken,
    }


class Command(BaseCommand):
    help = "Verify the audit trail's HMAC chains (plusone audit verify)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="walk each chain and report the first break")
        verify.add_argument("--practice", help="verify one practice (its UUID)")
        verify.add_argument("--format", choices=["table", "json"], help="table or json")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = self._practices(options.get("practice"))
        reports = [verification_report(p, verify_chain(p)) for p in practices]
        ok = all(r["ok"] for r in reports)
        fmt = options.get("format") or ("table" if self._tty() else "json")
        if fmt == "json":
            self.stdout.write(json.dumps({"ok": ok, "practices": reports}, indent=2))
        else:
            self.stdout.write(_table(reports))
        if not ok:
            raise CommandError("the audit trail is broken (see the report)", returncode=1)

    def _practices(self, wanted: str | None) -> list[Practice]:
        if wanted is None:
            return list(Practice.objects.order_by("name", "pk"))
        try:
            pk = uuid.UUID(wanted)
        except ValueError:
            raise CommandError(f"--practice: not a UUID: {wanted!r}", returncode=2) from None
        practice = Practice.objects.filter(pk=pk).first()
        if practice is None:
            raise CommandError(f"--practice: no practice with id {pk}", returncode=2)
        return [practice]

    def _tty(self) -> bool:
        out = getattr(self.stdout, "_out", None)
        return bool(out is not None and hasattr(out, "isatty") and out.isatty())


def _table(reports: list[dict[str, Any]]) -> str:
    header = ("practice", "name", "events", "status", "first break")
    rows = [header]
    for r in reports:
        broken = r["break"]
        where = "" if broken is None else f"event {broken['seq']}: {broken['kind']}"
        status = "ok" if r["ok"] else "BROKEN"
        rows.append((r["practice"], r["name"], str(r["events"]), status, where))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    for r in reports:
        if r["break"] is not None:
            lines.append(f"{r['practice']}: {r['break']['reason']}")
    return "\n".join(line.rstrip() for line in lines)
