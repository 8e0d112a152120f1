"""``plusone audit verify`` and ``plusone audit anchor``.

``verify`` walks each practice's HMAC chain and reports the first break;
with ``--anchors FILE`` it also checks every chain against the anchors in
FILE. ``anchor`` appends every practice's signed head to the anchor file.
stdout carries only the result; a broken chain (or an anchor that could not
be written) exits 1, a usage error 2.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.audit.anchors import AnchorFile, read_anchors, write_anchor
from plusone.audit.verify import Verification, verify_chain


def verification_report(
    practice: Practice, result: Verification, *, name: str | None = None
) -> dict[str, Any]:
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
        "name": practice.name if name is None else name,
        "ok": result.ok,
        "events": result.events,
        "break": broken,
    }


class Command(BaseCommand):
    help = "Verify the audit trail's HMAC chains, or anchor their heads outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="walk each chain and report the first break")
        verify.add_argument("--practice", help="verify one practice (its UUID)")
        verify.add_argument(
            "--anchors", type=Path, help="also check each chain against the anchors in FILE"
        )
        verify.add_argument("--format", choices=["table", "json"], help="table or json")
        anchor = sub.add_parser("anchor", help="append every practice's signed head to the file")
        anchor.add_argument("--format", choices=["table", "json"], help="table or json")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options.get("format") or ("table" if self._tty() else "json")
        if options["subcommand"] == "anchor":
            self._anchor(fmt)
        else:
            self._verify(options, fmt)

    def _anchor(self, fmt: str) -> None:
        try:
            run = write_anchor(now=timezone.now())
        except OSError as exc:
            raise CommandError(f"cannot append to the anchor file: {exc}", returncode=1) from None
        report = run.as_dict()
        if fmt == "json":
            self.stdout.write(json.dumps(report, indent=2))
        else:
            lines = [f"{a['practice']}  event {a['seq']}" for a in report["anchors"]]
            lines.append(f"{len(run.lines)} practices anchored in {run.path} at {run.at}")
            self.stdout.write("\n".join(lines))
        for problem in run.problems:
            about = f"practice {problem['practice']}: " if "practice" in problem else ""
            self.stderr.write(about + problem["reason"])
        if not run.ok:
            raise CommandError("some practices could not be anchored (see above)", returncode=1)

    def _verify(self, options: dict[str, Any], fmt: str) -> None:
        practices = self._practices(options.get("practice"))
        anchors = self._anchors(options.get("anchors"))
        by_practice = anchors.by_practice if anchors else {}
        reports = [
            verification_report(p, verify_chain(p, anchors=by_practice.get(str(p.pk), [])))
            for p in practices
        ]
        if options.get("practice") is None:
            # An anchored practice whose row is gone entirely: its chain went with it.
            known = {str(p.pk) for p in practices}
            for gone in sorted(set(by_practice) - known):
                result = verify_chain(Practice(pk=uuid.UUID(gone)), anchors=by_practice[gone])
                reports.append(verification_report(Practice(pk=gone), result, name=""))
        ok = all(r["ok"] for r in reports) and not (anchors and anchors.problems)
        out = {"ok": ok, "practices": reports, "anchors": anchors.as_dict() if anchors else None}
        if fmt == "json":
            self.stdout.write(json.dumps(out, indent=2))
        else:
            self.stdout.write(_table(reports, anchors))
        if not ok:
            raise CommandError("the audit trail is broken (see the report)", returncode=1)

    def _anchors(self, path: Path | None) -> AnchorFile | None:
        if path is None:
            return None
        try:
            return read_anchors(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"--anchors: cannot read {path}: {exc}", returncode=2) from None

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


def _table(reports: list[dict[str, Any]], anchors: AnchorFile | None) -> str:
    header = ("practice", "name", "events", "status", "first break")
    rows = [header]
    for r in reports:
        broken = r["break"]
        where = "" if broken is None else f"event {broken['seq']}: {broken['kind']}"
        status = "ok" if r["ok"] else "BROKEN"
        rows.append((r["practice"], r["name"] or "(deleted)", str(r["events"]), status, where))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    for r in reports:
        if r["break"] is not None:
            lines.append(f"{r['practice']}: {r['break']['reason']}")
    if anchors is not None:
        lines.append(f"anchors: {anchors.lines} lines read from {anchors.path}")
        for problem in anchors.problems:
            lines.append(f"line {problem['line']}: {problem['kind']}: {problem['reason']}")
    return "\n".join(line.rstrip() for line in lines)
