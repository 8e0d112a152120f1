"""Every MAC of the audit trail, in one place: events, the chain head, anchors, key checks.

All are HMAC-SHA256 under a key of the audit key ring (``PLUSONE_AUDIT_KEY``),
hex-encoded. Each kind of message is told apart from the others (a ``v`` or
``kind`` field, or a tag), so no MAC of one kind can pass for another:

- event, version 1 (events recorded before the id was signed): over the
  canonical JSON of the event's content and the previous event's MAC;
- event, version 2 (every event since): ``content_mac`` over that JSON with
  ``"v": 2`` added, then ``mac`` over a tag, the event's id and
  ``content_mac``. The chain links through ``mac``, so it covers the id;
- the chain head: over practice, sequence, last event MAC and key id;
- an anchor line: over every other field of the line;
- a key check: over a fixed tag, so a backup can record which key signed it
  without holding the key.

Nothing here reads settings or the database; callers pass the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

EVENT_V2_TAG = b"plusone.audit.event.v2"
HEAD_KIND = "plusone.audit.head"
ANCHOR_KIND = "plusone.audit.anchor"
KEY_CHECK_TAG = b"plusone.audit.key-check.v1"

# The columns an event's MACs cover, in the order verify reads them.
CONTENT_FIELDS = (
    "practice_id",
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "detail",
    "key_id",
    "prev_mac",
)


def _hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content(row: tuple[Any, ...], version: int) -> bytes:
    """The canonical JSON of one event's content (``row`` in CONTENT_FIELDS order)."""
    practice_id, seq, at, actor_kind, actor_id, action, target_type, target_id = row[:8]
    detail, key_id, prev_mac = row[8:]
    body = {
        "practice": str(practice_id),
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(),
        "actor_kind": actor_kind,
        "actor_id": str(actor_id) if actor_id else None,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "detail": detail,
        "key_id": key_id,
        "prev": prev_mac,
    }
    if version >= 2:
        body["v"] = version
    return _json(body)


def event_v1(key: bytes, row: tuple[Any, ...]) -> str:
    """The MAC of an event recorded before the id was signed: its content alone."""
    return _hex(key, content(row, 1))


def content_v2(key: bytes, row: tuple[Any, ...]) -> str:
    """``content_mac`` of a version-2 event."""
    return _hex(key, content(row, 2))


def event_v2(key: bytes, event_id: uuid.UUID | str, content_mac: str) -> str:
    """``mac`` of a version-2 event: its id bound to its content MAC."""
    return _hex(key, b"%s\n%s\n%s" % (EVENT_V2_TAG, str(event_id).encode(), content_mac.encode()))


def head(key: bytes, *, practice_id: uuid.UUID | str, seq: int, mac: str, key_id: str) -> str:
    """The chain head's own MAC."""
    body = {"kind": HEAD_KIND, "v": 1, "practice": str(practice_id), "seq": seq, "mac": mac}
    return _hex(key, _json({**body, "key_id": key_id}))


def anchor(key: bytes, line: dict[str, Any]) -> str:
    """The MAC of an anchor line, over every field but ``anchor_mac``."""
    body = {k: v for k, v in line.items() if k != "anchor_mac"}
    return _hex(key, _json({**body, "kind": ANCHOR_KIND}))


def key_check(key: bytes) -> str:
    """A value that names ``key`` without revealing it (HMAC is a one-way PRF)."""
    return _hex(key, KEY_CHECK_TAG)


def equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
