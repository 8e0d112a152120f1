"""Recording the audit chain: :func:`record`.

Each event is MACed twice with the active key of PLUSONE_AUDIT_KEY (its id
stored in ``key_id``; formulas in :mod:`plusone.audit.macs`): ``content_mac``
over a canonical JSON of its fields and the previous event's MAC, then
``mac`` over its id and ``content_mac``. The next event links to ``mac``.

How the head is kept: :func:`record` must run inside the caller's
``transaction.atomic`` block. It takes the practice's ChainHead row with
SELECT ... FOR UPDATE (on SQLite the IMMEDIATE transaction already holds the
write lock), inserts the event with seq = head.seq + 1 and prev = head.mac,
and rewrites the head with its own MAC (``head_mac``). The lock is held until
the caller's transaction commits, so concurrent writers append in order and a
rolled-back write leaves neither event nor head behind. Actions call record()
as their last statement, so the head lock is held only for the final moments
before commit.

Verification lives in :mod:`plusone.audit.verify` (re-exported here).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.audit import macs
from plusone.audit.models import AuditEvent, ChainHead
from plusone.audit.verify import Verification, verify_chain

__all__ = ["Verification", "record", "verify_chain", "view_target"]

# Keys allowed in detail dicts: ids, names and counts, never free text or scores.
_DETAIL_VALUE_TYPES = (str, int, bool, type(None), uuid.UUID)
_MAX_DETAIL_STR = 80


def _active() -> tuple[str, bytes]:
    kid, key = settings.AUDIT_KEY_RING[0]
    return kid, key


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
    # Refuse a bad detail before the head is taken, so a caught error leaves no empty head.
    clean = _clean_detail(detail or {})
    head, _ = ChainHead.objects.select_for_update().get_or_create(practice=practice)
    kid, key = _active()
    event = AuditEvent(
        id=uuid.uuid4(),
        practice=practice,
        seq=head.seq + 1,
        at=timezone.now(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=clean,
        key_id=kid,
        prev_mac=head.mac,
        mac_version=AuditEvent.MacVersion.ID_AND_CONTENT,
    )
    row = tuple(getattr(event, field) for field in macs.CONTENT_FIELDS)
    event.content_mac = macs.content_v2(key, row)
    event.mac = macs.event_v2(key, event.id, event.content_mac)
    event.save(force_insert=True)
    head_mac = macs.head(key, practice_id=practice.pk, seq=event.seq, mac=event.mac, key_id=kid)
    ChainHead.objects.filter(pk=head.pk).update(
        seq=event.seq, mac=event.mac, key_id=kid, head_mac=head_mac, updated_at=event.at
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


def view_target(obj: models.Model) -> tuple[str, str]:
    """The (target_type, target_id) an audit event uses for a model instance."""
    return obj._meta.label_lower, str(obj.pk)
