"""Anchors: each practice's signed chain head, written outside the database.

An anchor line is one JSON object per practice::

    {"v": 1, "practice": "<uuid>", "seq": 110, "mac": "<event 110's MAC>",
     "head_mac": "<the head's own MAC>", "at": "<UTC time>", "key_id": "k1",
     "anchor_mac": "<HMAC over the other fields>"}

:func:`write_anchor` appends one line per practice to the append-only file
``settings.AUDIT_ANCHOR_FILE`` (``plusone audit anchor``, and ``plusone
daily`` once a day). ``plusone backup`` puts the same lines, for the heads of
its snapshot, into the manifest (:func:`sign_heads`). ``plusone audit verify
--anchors FILE`` reads them back (:func:`read_anchors`): a chain shorter than
an anchor, or with another event at an anchor's sequence, or missing while an
anchor names it, fails.

An attacker who can write to the database but not to the anchor file, and
who does not hold the audit key, can no longer cut the log back to before the
last anchor unseen. What anchors do not catch is in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from plusone.audit import macs
from plusone.audit.verify import Anchor

FORMAT_VERSION = 1
_FIELDS = ("v", "practice", "seq", "mac", "head_mac", "at", "key_id", "anchor_mac")


@dataclass
class AnchorRun:
    """What :func:`write_anchor` wrote, and the practices it could not anchor, with why."""

    path: Path
    at: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    # Each names its "practice" when it is about one.
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": str(self.path),
            "at": self.at,
            "anchors": [{"practice": x["practice"], "seq": x["seq"]} for x in self.lines],
            "problems": self.problems,
        }


@dataclass
class AnchorFile:
    """The anchors read from a file, by practice, and the lines that could not be used."""

    path: Path
    lines: int = 0
    by_practice: dict[str, list[Anchor]] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        used = sum(len(a) for a in self.by_practice.values())
        return {
            "file": str(self.path),
            "lines": self.lines,
            "used": used,
            "problems": self.problems,
        }


def key_checks() -> dict[str, str]:
    """For each key of the audit key ring, a value that names it without revealing it."""
    return {kid: macs.key_check(key) for kid, key in settings.AUDIT_KEY_RING}


def sign_heads(
    heads: list[dict[str, Any]], *, now: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Anchor lines for ``heads`` (practice, seq, mac, key_id, head_mac), signed now.

    A head whose own MAC does not verify is not anchored (that would vouch for
    it); it comes back in the second list with the reason.
    """
    ring = dict(settings.AUDIT_KEY_RING)
    kid, key = settings.AUDIT_KEY_RING[0]
    at = now.astimezone(dt.UTC).isoformat()
    lines, problems = [], []
    for head in heads:
        if not head["seq"]:
            continue
        head_key = ring.get(head["key_id"])
        expected = head_key and macs.head(
            head_key,
            practice_id=head["practice"],
            seq=head["seq"],
            mac=head["mac"],
            key_id=head["key_id"],
        )
        if not expected or not macs.equal(expected, head.get("head_mac") or ""):
            problems.append(
                {
                    "practice": head["practice"],
                    "reason": "its chain head's own MAC does not verify: not anchored "
                    "(run `plusone audit verify`)",
                }
            )
            continue
        line = {
            "v": FORMAT_VERSION,
            "practice": head["practice"],
            "seq": head["seq"],
            "mac": head["mac"],
            "head_mac": head["head_mac"],
            "at": at,
            "key_id": kid,
        }
        line["anchor_mac"] = macs.anchor(key, line)
        lines.append(line)
    return lines, problems


def _heads() -> list[dict[str, Any]]:
    from plusone.audit.models import AuditEvent, ChainHead

    heads = []
    for head in ChainHead.objects.order_by("practice_id"):
        entry = {
            "practice": str(head.practice_id),
            "seq": head.seq,
            "mac": head.mac,
            "key_id": head.key_id,
            "head_mac": head.head_mac,
        }
        # The head must point at an event that is there: one indexed lookup, not a full verify.
        if (
            head.seq
            and not AuditEvent.objects.filter(
                practice_id=head.practice_id, seq=head.seq, mac=head.mac
            ).exists()
        ):
            entry["head_mac"] = ""
        heads.append(entry)
    return heads


def write_anchor(*, now: dt.datetime) -> AnchorRun:
    """Append the signed head of every practice to ``settings.AUDIT_ANCHOR_FILE``.

    The file is created with mode 0600 (its folder 0700) and only ever
    appended to, in one write followed by fsync. A practice whose head does
    not verify (its own MAC, or the event it points at) is left out and named
    in ``problems``; so is one whose chain no longer holds an earlier anchor
    of the same file (its new anchor is still written). Returns what was
    written. Does not walk the chains: ``plusone audit verify`` does that.
    """
    path = Path(settings.AUDIT_ANCHOR_FILE)
    heads = _heads()
    lines, problems = sign_heads(heads, now=now)
    problems += _behind_earlier_anchors(path, heads)
    run = AnchorRun(path, now.astimezone(dt.UTC).isoformat(), lines, problems)
    if lines:
        _append(path, b"".join(_dump(line) for line in lines))
    return run


def dump_line(line: dict[str, Any]) -> str:
    """One anchor as the JSON line the file holds."""
    return json.dumps(line, sort_keys=True, separators=(",", ":"))


def _dump(line: dict[str, Any]) -> bytes:
    return dump_line(line).encode("utf-8") + b"\n"


def _append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def _behind_earlier_anchors(path: Path, heads: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Practices whose head is now behind, or beside, the latest anchor already in ``path``."""
    if not path.exists():
        return []
    from plusone.audit.models import AuditEvent

    try:
        earlier = read_anchors(path)
    except (OSError, UnicodeDecodeError) as exc:
        return [
            {
                "reason": f"the anchor file cannot be read back, so earlier anchors were not "
                f"compared ({exc})"
            }
        ]
    current = {h["practice"]: h["seq"] for h in heads}
    problems = []
    for practice, anchors in earlier.by_practice.items():
        last = max(anchors, key=lambda a: a.seq)
        seq = current.get(practice, 0)
        held = AuditEvent.objects.filter(practice_id=practice, seq=last.seq, mac=last.mac)
        if last.seq > seq or not held.exists():
            problems.append(
                {
                    "practice": practice,
                    "reason": f"its chain no longer holds event {last.seq} as anchored at "
                    f"{last.at} (run `plusone audit verify --anchors {path}`)",
                }
            )
    return problems


def read_anchors(path: Path) -> AnchorFile:
    """Read an anchor file (JSON lines); keep the lines whose MAC verifies.

    A line that is not an anchor, names an unknown key or fails its MAC is
    listed in ``problems`` with its line number; the others are used. Raises
    OSError when the file cannot be read.
    """
    with path.open(encoding="utf-8") as handle:
        return parse_anchors(handle, path)


def parse_anchors(texts: Iterable[str], source: Path) -> AnchorFile:
    """Anchors from JSON lines (an anchor file, or a backup manifest's ``audit_anchors``)."""
    ring = dict(settings.AUDIT_KEY_RING)
    result = AnchorFile(source)
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            continue
        result.lines += 1
        problem = _read_line(text, number, ring, result)
        if problem:
            kind, reason = problem
            result.problems.append({"line": number, "kind": kind, "reason": reason})
    return result


def _read_line(
    text: str, number: int, ring: dict[str, bytes], result: AnchorFile
) -> tuple[str, str] | None:
    try:
        line = json.loads(text)
    except ValueError:
        return "unreadable", "not JSON"
    if not isinstance(line, dict) or set(line) != set(_FIELDS):
        return "unreadable", "not an anchor line (its fields are not " + ", ".join(_FIELDS) + ")"
    if line["v"] != FORMAT_VERSION or not isinstance(line["seq"], int) or line["seq"] < 0:
        return "unreadable", f"an anchor of a format this PlusOne does not read (v {line['v']!r})"
    key = ring.get(line["key_id"]) if isinstance(line["key_id"], str) else None
    if key is None:
        return "unknown_key", f"signed with audit key id {line['key_id']!r}, not in the ring"
    if not isinstance(line["anchor_mac"], str) or not macs.equal(
        macs.anchor(key, line), line["anchor_mac"]
    ):
        return "anchor_forged", "its MAC does not verify (written or edited without the key)"
    anchor = Anchor(str(line["practice"]), line["seq"], str(line["mac"]), str(line["at"]), number)
    result.by_practice.setdefault(anchor.practice, []).append(anchor)
    return None
