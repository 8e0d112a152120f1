"""Recording and verifying the audit chain.

Each event's MAC is HMAC-SHA256 (key from PLUSONE_AUDIT_KEY, id stored in
``key_id``) over a canonical JSON of its fields and the previous event's MAC.

How the head is kept: :func:`record` must run inside the caller's
``transaction.atomic`` block. It takes the practice's ChainHead row with
SELECT ... FOR UPDATE (on SQLite the IMMEDIATE transaction already holds the
write lock), inserts the event with seq = head.seq + 1 and prev = head.mac,
and rewrites the head. The lock is held until the caller's transaction
commits, so concurrent writers append in order and a rolled-back write leaves
neither event nor head behind. Actions call record() as their last statement,
so the head lock is held only for the final moments before commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent, ChainHead

# Keys allowed in detail dicts: ids, names and counts, never free text or scores.
_DETAIL_VALUE_TYPES = (str, int, bool, type(None), uuid.UUID)
_MAX_DETAIL_STR = 80


def _ring() -> dict[str, bytes]:
    return dict(settings.AUDIT_KEY_RING)


def _active() -> tuple[str, bytes]:
    kid, key = settings.AUDIT_KEY_RING[0]
    return kid, key


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "practice": str(event.practice_id),
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "detail": event.detail,
        "key_id": event.key_id,
        "prev": event.prev_mac,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _mac(key: bytes, event: AuditEvent) -> str:
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


def _clean_detail(detail: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for k, v in detail.items():
        if isinstance(v, list | tuple):
            items = [_clean_value(k, x) for x in v]
            clean[k] = items
        else:
            clean[k] = _clean_value(k, v)
    return clean


def _clean_value(key: str, value: Any) -> Any:
    if not isinstance(value, _DETAIL_VALUE_TYPES):
        raise TypeError(f"audit detail {key!r}: only ids, names, ints and bools are allowed")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) > _MAX_DETAIL_STR:
        raise ValueError(f"audit detail {key!r}: too long for an id or a name")
    return value


def record(
    *,
    practice: Practice,
    actor: Any,
    action: str,
    target_type: str,
    target_id: Any,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to ``practice``'s chain inside the caller's transaction.

    ``actor`` is a User, or None for the system, or a string "token:<uuid>" for a
    token holder (a client or observer with no account). ``detail`` may hold
    ids, names, ints and bools only. Raises AssertionError outside
    ``transaction.atomic``.
    """
    if not connection.in_atomic_block:
        raise AssertionError("audit.record() must run inside transaction.atomic")
    actor_kind, actor_id = _actor(actor)
    head, _ = ChainHead.objects.select_for_update().get_or_create(practice=practice)
    kid, key = _active()
    event = AuditEvent(
        practice=practice,
        seq=head.seq + 1,
        at=timezone.now(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=_clean_detail(detail or {}),
        key_id=kid,
        prev_mac=head.mac,
    )
    event.mac = _mac(key, event)
    event.save(force_insert=True)
    ChainHead.objects.filter(pk=head.pk).update(
        seq=event.seq, mac=event.mac, key_id=kid, updated_at=event.at
    )
    return event


def _actor(actor: Any) -> tuple[str, uuid.UUID | None]:
    if actor is None:
        return "system", None
    if isinstance(actor, str) and actor.startswith("token:"):
        return "token", uuid.UUID(actor.removeprefix("token:"))
    if getattr(actor, "is_authenticated", False):
        return "user", actor.pk
    raise TypeError(f"audit actor must be a user, None or 'token:<uuid>', not {actor!r}")


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_chain`.

    ``kind`` names what is wrong at the first break: ``altered`` (content or MAC
    changed, or a forged event), ``missing`` (an event deleted), ``reordered``
    (events moved out of their place), ``unknown_key`` (signed with a key not in
    the ring) or ``head_mismatch`` (the head does not match the last event).
    ``event_id`` is the UUID of the event where the break was found.
    """

    ok: bool
    events: int
    first_bad_seq: int | None
    reason: str | None
    kind: str | None = None
    event_id: str | None = None


def verify_chain(practice: Practice) -> Verification:
    """Recompute every MAC of ``practice``'s chain in order and compare with the head.

    Stops at the first break and names it: an edited or forged event, a
    deleted one (a gap, or a link to an event no longer there), two events in
    each other's place, an unknown key id, or a head that does not match the
    last event (a forged head, or a truncated tail).
    """
    ring = _ring()
    prev = ""
    expected_seq = 1
    count = 0
    events = AuditEvent.objects.filter(practice=practice).order_by("seq").iterator()
    for event in events:
        count += 1
        problem = _check(event, expected_seq, prev, ring)
        if problem:
            kind, reason = problem
            return Verification(False, count, event.seq, reason, kind, str(event.pk))
        prev = event.mac
        expected_seq += 1
    head = ChainHead.objects.filter(practice=practice).first()
    head_seq, head_mac = (head.seq, head.mac) if head else (0, "")
    if (head_seq, head_mac) != (expected_seq - 1, prev):
        reason = (
            f"the chain head says event {head_seq} but the chain ends at event "
            f"{expected_seq - 1}, or their MACs differ (a forged head, or events "
            "deleted from the end)"
        )
        return Verification(False, count, expected_seq, reason, "head_mismatch", None)
    return Verification(True, count, None, None)


def _check(
    event: AuditEvent, seq: int, prev: str, ring: dict[str, bytes]
) -> tuple[str, str] | None:
    if event.seq != seq:
        gap = f"event {seq}" if event.seq == seq + 1 else f"events {seq} to {event.seq - 1}"
        return "missing", f"{gap} missing before event {event.seq} (deleted)"
    if event.prev_mac != prev:
        return _broken_link(event, seq)
    key = ring.get(event.key_id)
    if key is None:
        return "unknown_key", f"unknown audit key id {event.key_id!r}"
    if not hmac.compare_digest(_mac(key, event), event.mac):
        return "altered", "its MAC does not match its content (edited or forged)"
    return None


def _broken_link(event: AuditEvent, seq: int) -> tuple[str, str]:
    """Name why ``event``'s previous-MAC does not point at the event before it."""
    # Only reached on a break, so one unindexed lookup by MAC is affordable.
    linked = (
        AuditEvent.objects.filter(practice_id=event.practice_id, mac=event.prev_mac)
        .exclude(pk=event.pk)
        .values_list("seq", flat=True)
        .first()
    )
    if linked is not None and linked >= seq:
        return (
            "reordered",
            f"event {seq} links to event {linked}, which now sits after it "
            "(sequence numbers swapped or moved)",
        )
    if (linked is None and event.prev_mac) or (linked is not None and linked < seq - 1):
        return (
            "missing",
            f"the event that event {seq} links to is not the one before it "
            "(events deleted, and the ones after them renumbered)",
        )
    return "altered", "its previous-MAC does not match the event before it (edited or forged)"


def view_target(obj: models.Model) -> tuple[str, str]:
    """The (target_type, target_id) an audit event uses for a model instance."""
    return obj._meta.label_lower, str(obj.pk)
