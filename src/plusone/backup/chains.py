"""The audit trail in a backup: what the manifest records of it, and how restore checks it.

At backup time the manifest gets, from the same snapshot as the dump:

- ``audit_anchors``: every practice's signed head, as ``plusone audit anchor``
  writes it (plusone.audit.anchors), so a backup is an anchor kept off the
  server;
- ``audit_keys``: for each key id of the audit key ring, a key check (an HMAC
  of a fixed tag, which names the key without revealing it).

After a restore, :func:`check_chains` verifies every chain against the
manifest's anchors and compares each head with the manifest's. When the
server's audit key is not the one the backup was made with, every MAC fails;
it says so ("the audit key differs from the backup's") rather than calling
every chain edited or forged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.db import connection

from plusone.accounts.models import Practice
from plusone.audit.anchors import dump_line, key_checks, parse_anchors, sign_heads
from plusone.audit.verify import verify_chain
from plusone.backup import inspect


def manifest_fields(
    heads: list[dict[str, Any]], *, now: dt.datetime
) -> tuple[dict[str, Any], list[str]]:
    """The manifest's ``audit_anchors`` and ``audit_keys``, and a warning per head not anchored."""

    lines, problems = sign_heads(heads, now=now)
    warnings = [f"practice {p['practice']}: {p['reason']}" for p in problems]
    return {"audit_anchors": lines, "audit_keys": key_checks()}, warnings


def _schema_is_current() -> bool:
    """Whether the restored audit tables have the columns this PlusOne verifies with."""
    with connection.cursor() as cursor:
        events = inspect.column_names(cursor, connection.vendor, "audit_auditevent")
        heads = inspect.column_names(cursor, connection.vendor, "audit_chainhead")
    return {"mac_version", "content_mac"} <= events and "head_mac" in heads


def _key_problem(manifest: dict[str, Any]) -> tuple[str | None, set[str]]:
    """A problem when a key id of the backup has other bytes here; and the ids absent here."""

    theirs: dict[str, str] = manifest.get("audit_keys") or {}
    ours = key_checks()
    differs = sorted(kid for kid, check in theirs.items() if kid in ours and ours[kid] != check)
    absent = {kid for kid in theirs if kid not in ours}
    if not differs:
        return None, absent
    return (
        "the audit key differs from the backup's (key id "
        + ", ".join(differs)
        + "): set PLUSONE_AUDIT_KEY to the key the backup was made with; with another key "
        "the audit chains cannot be checked",
        absent,
    )


def check_chains(
    manifest: dict[str, Any], restored_heads: list[dict[str, Any]], report: Any
) -> None:
    """Verify every restored chain (against the manifest's anchors) and compare its head.

    Appends one entry per practice to ``report.practices`` and each failure to
    ``report.problems``; notes that are not failures go to ``report.notes``.
    """

    heads = {h["practice"]: h for h in manifest["audit_heads"]}
    restored = {h["practice"]: h for h in restored_heads}
    key_problem, absent = _key_problem(manifest)
    current = _schema_is_current()
    checkable = key_problem is None and current
    if key_problem:
        report.problems.append(key_problem)
    if not current:
        report.notes.append(
            "the audit chains were not verified: this backup's audit tables predate this "
            "PlusOne; run `plusone migrate`, then `plusone audit verify`"
        )
    anchors = parse_anchors(
        [dump_line(line) for line in manifest.get("audit_anchors") or []], Path("manifest.json")
    )
    if checkable:
        for problem in anchors.problems:
            report.problems.append(
                f"the manifest's anchor {problem['line']} is not usable: {problem['reason']}"
            )
    for practice_id in sorted(set(heads) | set(restored)):
        want, got = heads.get(practice_id), restored.get(practice_id)
        fields = ("seq", "mac", "head_mac") if want and "head_mac" in want else ("seq", "mac")
        matches = bool(want and got and all(want[f] == got.get(f) for f in fields))
        entry = {
            "practice": practice_id,
            "events": None,
            "chain_ok": None,
            "head_seq": got["seq"] if got else None,
            "head_matches": matches,
        }
        report.practices.append(entry)
        if checkable:
            result = verify_chain(
                Practice(pk=practice_id), anchors=anchors.by_practice.get(practice_id, [])
            )
            entry["events"], entry["chain_ok"] = result.events, result.ok
            if not result.ok:
                report.problems.append(_chain_problem(practice_id, result, absent, manifest))
        if not matches:
            report.problems.append(
                f"practice {practice_id}: the audit chain head differs from the manifest's"
            )


def _chain_problem(
    practice_id: str, result: Any, absent: set[str], manifest: dict[str, Any]
) -> str:
    where = (
        f"practice {practice_id}: the audit chain does not verify at event {result.first_bad_seq}"
    )
    if result.kind == "unknown_key" and (absent or "audit_keys" not in manifest):
        return (
            f"{where}: the audit key differs from the backup's ({result.reason}): set "
            "PLUSONE_AUDIT_KEY to the key ring the backup was made with"
        )
    if "audit_keys" not in manifest and result.first_bad_seq == 1:
        return (
            f"{where}: {result.reason}; or the audit key differs from the backup's "
            "(this backup predates the key check that would tell)"
        )
    return f"{where}: {result.kind}: {result.reason}"
