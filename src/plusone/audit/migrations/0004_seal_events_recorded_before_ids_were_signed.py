"""Seal the ids of the events recorded before PlusOne signed them, and sign every head.

Events recorded before 0003 (``mac_version`` 1) keep the MAC they were
recorded with; nothing in the trail is rewritten. For each practice with such
events this appends one event, the seal: a version-2 ``audit.upgrade`` event
whose detail holds their count and the SHA-256 of their ids in sequence
order, and rewrites the head with its own MAC, exactly as ``audit.record()``
does (the formulas are copied here, frozen, so a later change to
plusone.audit.macs cannot change what this migration wrote).
``plusone audit verify`` recomputes the digest: an id changed before the seal
is named ``id_changed`` at the seal.

The seal vouches only for the ids as they are when it runs. It does not
verify the old chain, and needs not: an old event edited before the upgrade
still fails its own MAC afterwards, and a head that did not match its chain
still does not. It needs the audit key (PLUSONE_AUDIT_KEY), as the app does.
"""

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import migrations
from django.utils import timezone

SEAL_ACTION = "audit.upgrade"


def _hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _seal(event_model, head, practice_id, ids, kid, key):  # type: ignore[no-untyped-def]
    at = timezone.now()
    event = event_model(
        id=uuid.uuid4(),
        practice_id=practice_id,
        seq=head.seq + 1,
        at=at,
        actor_kind="system",
        actor_id=None,
        action=SEAL_ACTION,
        target_type="accounts.practice",
        target_id=str(practice_id),
        detail={
            "legacy_events": len(ids),
            "legacy_ids": hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest(),
        },
        key_id=kid,
        prev_mac=head.mac,
        mac_version=2,
    )
    content = {
        "practice": str(practice_id),
        "seq": event.seq,
        "at": at.astimezone(dt.UTC).isoformat(),
        "actor_kind": "system",
        "actor_id": None,
        "action": SEAL_ACTION,
        "target_type": "accounts.practice",
        "target_id": str(practice_id),
        "detail": event.detail,
        "key_id": kid,
        "prev": head.mac,
        "v": 2,
    }
    event.content_mac = _hex(key, _json(content))
    event.mac = _hex(
        key,
        b"plusone.audit.event.v2\n%s\n%s" % (str(event.id).encode(), event.content_mac.encode()),
    )
    event.save(force_insert=True)
    head_body = {
        "kind": "plusone.audit.head",
        "v": 1,
        "practice": str(practice_id),
        "seq": event.seq,
        "mac": event.mac,
        "key_id": kid,
    }
    head.seq, head.mac, head.key_id = event.seq, event.mac, kid
    head.head_mac = _hex(key, _json(head_body))
    head.save(update_fields=["seq", "mac", "key_id", "head_mac", "updated_at"])


def seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "ChainHead")
    practices = (
        event_model.objects.filter(mac_version=1)
        .order_by("practice_id")
        .values_list("practice_id", flat=True)
        .distinct()
    )
    if not practices.exists():
        return
    kid, key = settings.AUDIT_KEY_RING[0]
    for practice_id in list(practices):
        head, _ = head_model.objects.select_for_update().get_or_create(practice_id=practice_id)
        ids = list(
            event_model.objects.filter(practice_id=practice_id, mac_version=1)
            .order_by("seq")
            .values_list("id", flat=True)
        )
        _seal(event_model, head, practice_id, ids, kid, key)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_id_in_mac_and_signed_head")]

    # Undoing would mean deleting the seals from an append-only trail: not offered.
    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=False)]
