"""Verifying a practice's audit chain: :func:`verify_chain`.

The walk reads the events in sequence order as plain tuples (no model
instances: verify runs over whole trails in tests and CI) and stops at the
first break. Then it checks the head against the last event and against its
own MAC, and, when anchors are given, the chain against each of them.

Events recorded before the id was signed (``mac_version`` 1) keep their old
MAC. Migration ``audit/0004`` appended, after the last of them, a version-2
``audit.upgrade`` event (the seal) whose detail holds their count and the
SHA-256 of their ids in order; the walk recomputes that digest, so their ids
are covered too. After the first version-2 event, a version-1 event is a
downgrade and is named so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from plusone.accounts.models import Practice
from plusone.audit import macs
from plusone.audit.models import AuditEvent, ChainHead

SEAL_ACTION = "audit.upgrade"
_FIELDS = ("id", "mac_version", "content_mac", "mac", *macs.CONTENT_FIELDS)
_SEQ = 4 + macs.CONTENT_FIELDS.index("seq")
_KEY_ID = 4 + macs.CONTENT_FIELDS.index("key_id")
_PREV = 4 + macs.CONTENT_FIELDS.index("prev_mac")
_ACTION = 4 + macs.CONTENT_FIELDS.index("action")
_DETAIL = 4 + macs.CONTENT_FIELDS.index("detail")


@dataclass(frozen=True)
class Anchor:
    """One practice's head as written outside the database (plusone.audit.anchors)."""

    practice: str
    seq: int
    mac: str
    at: str
    line: int | None = None


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_chain`.

    ``kind`` names what is wrong at the first break:

    - ``altered``: an event's content or MAC changed, or a forged event;
    - ``id_changed``: an event's id changed (its content is intact);
    - ``missing``: an event deleted (a gap, or a link to an event no longer there);
    - ``reordered``: events moved out of their place;
    - ``unknown_key``: signed with a key not in the ring;
    - ``downgraded``: an event in the old MAC format where only the new one may be;
    - ``head_mismatch``: the head does not point at the last event;
    - ``head_forged``: the head points at the last event but its own MAC does
      not verify (rewritten without the key, e.g. to hide a cut-off tail);
    - with anchors, ``chain_missing`` (an anchored practice has no chain),
      ``truncated`` (the chain ends before an anchor) and ``anchor_mismatch``
      (the event at an anchor's sequence is not the one anchored).

    ``event_id`` is the UUID of the event where the break was found, if any.
    """

    ok: bool
    events: int
    first_bad_seq: int | None
    reason: str | None
    kind: str | None = None
    event_id: str | None = None


class _Walk:
    """What the walk has seen so far."""

    def __init__(self, anchored: Iterable[int]) -> None:
        self.prev = ""
        self.seq = 0
        self.count = 0
        self.legacy = 0
        self.legacy_ids = hashlib.sha256()
        self.signed_ids = False
        self.macs_at = dict.fromkeys(anchored, "")


def verify_chain(practice: Practice, *, anchors: Sequence[Anchor] = ()) -> Verification:
    """Walk ``practice``'s chain in order; check the head, then ``anchors``.

    Stops at the first break and names it (see :class:`Verification`).
    ``anchors`` are this practice's anchors, already checked for their own MAC.
    """
    ring = dict(settings.AUDIT_KEY_RING)
    walk = _Walk(a.seq for a in anchors)
    rows = (
        AuditEvent.objects.filter(practice=practice)
        .order_by("seq")
        .values_list(*_FIELDS)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        walk.count += 1
        problem = _check(row, walk, ring)
        if problem:
            kind, reason = problem
            return Verification(False, walk.count, row[_SEQ], reason, kind, str(row[0]))
        walk.prev, walk.seq = row[3], row[_SEQ]
        if walk.seq in walk.macs_at:
            walk.macs_at[walk.seq] = walk.prev
    after = _check_head(practice, walk, ring) or _check_anchors(walk, anchors)
    if after:
        seq, kind, reason = after
        return Verification(False, walk.count, seq, reason, kind, None)
    return Verification(True, walk.count, None, None)


def _check(row: tuple[Any, ...], walk: _Walk, ring: dict[str, bytes]) -> tuple[str, str] | None:
    event_id, version, content_mac, mac = row[:4]
    seq = walk.seq + 1
    if row[_SEQ] != seq:
        gap = f"event {seq}" if row[_SEQ] == seq + 1 else f"events {seq} to {row[_SEQ] - 1}"
        return "missing", f"{gap} missing before event {row[_SEQ]} (deleted)"
    if row[_PREV] != walk.prev:
        return _broken_link(row, seq)
    key = ring.get(row[_KEY_ID])
    if key is None:
        return "unknown_key", f"unknown audit key id {row[_KEY_ID]!r}"
    content = row[4:]
    if version == AuditEvent.MacVersion.CONTENT_ONLY:
        if walk.signed_ids:
            return "downgraded", (
                "it is in the old MAC format, which does not cover the id, yet it comes after "
                "events in the new one (set back to the old format to hide a change)"
            )
        if not macs.equal(macs.event_v1(key, content), mac):
            return "altered", "its MAC does not match its content (edited or forged)"
        walk.legacy += 1
        walk.legacy_ids.update(f"{event_id}\n".encode())
        return None
    if version != AuditEvent.MacVersion.ID_AND_CONTENT:
        return "altered", f"its MAC format {version!r} is not one PlusOne writes"
    if not macs.equal(macs.content_v2(key, content), content_mac):
        return "altered", "its MAC does not match its content (edited or forged)"
    if not macs.equal(macs.event_v2(key, event_id, content_mac), mac):
        if _mac_still_linked(row, mac):
            return "id_changed", "its id is not the one it was recorded with (content intact)"
        return "altered", "its MAC was replaced (edited or forged)"
    if not walk.signed_ids:
        walk.signed_ids = True
        if walk.legacy:
            return _check_seal(row, walk)
    return None


def _mac_still_linked(row: tuple[Any, ...], mac: str) -> bool:
    """Whether the next event (or the head, for the last) still links to ``mac`` as stored."""
    # Only reached on a break, so the extra lookups are affordable.
    practice_id, seq = row[4], row[_SEQ]
    linked = (
        AuditEvent.objects.filter(practice_id=practice_id, seq=seq + 1)
        .values_list("prev_mac", flat=True)
        .first()
    )
    if linked is None:
        linked = (
            ChainHead.objects.filter(practice_id=practice_id, seq=seq)
            .values_list("mac", flat=True)
            .first()
        )
    return linked == mac


def _check_seal(row: tuple[Any, ...], walk: _Walk) -> tuple[str, str] | None:
    """The first version-2 event after version-1 events must seal their ids."""
    n = walk.legacy
    if row[_ACTION] != SEAL_ACTION:
        return "downgraded", (
            f"events 1 to {n} are in the old MAC format, and this first event in the new one "
            "is not the seal that vouches for their ids"
        )
    detail = row[_DETAIL] or {}
    if detail.get("legacy_events") != n or detail.get("legacy_ids") != walk.legacy_ids.hexdigest():
        return "id_changed", (
            f"the ids of events 1 to {n}, recorded before ids were signed, no longer match "
            "the seal written when PlusOne began signing them (an id was changed)"
        )
    return None


def _broken_link(row: tuple[Any, ...], seq: int) -> tuple[str, str]:
    """Name why an event's previous-MAC does not point at the event before it."""
    # Only reached on a break, so one unindexed lookup by MAC is affordable.
    linked = (
        AuditEvent.objects.filter(practice_id=row[4], mac=row[_PREV])
        .exclude(pk=row[0])
        .values_list("seq", flat=True)
        .first()
    )
    if linked is not None and linked >= seq:
        return (
            "reordered",
            f"event {seq} links to event {linked}, which now sits after it "
            "(sequence numbers swapped or moved)",
        )
    if (linked is None and row[_PREV]) or (linked is not None and linked < seq - 1):
        return (
            "missing",
            f"the event that event {seq} links to is not the one before it "
            "(events deleted, and the ones after them renumbered)",
        )
    return "altered", "its previous-MAC does not match the event before it (edited or forged)"


def _check_head(
    practice: Practice, walk: _Walk, ring: dict[str, bytes]
) -> tuple[int, str, str] | None:
    head = ChainHead.objects.filter(practice=practice).first()
    # A head never written to (seq 0) holds nothing to protect: it is the same as no head.
    if head is None or (head.seq == 0 and not head.mac and not walk.count):
        if walk.count:
            return walk.seq + 1, "head_mismatch", f"the chain has {walk.count} events but no head"
        return None
    if (head.seq, head.mac) != (walk.seq, walk.prev):
        reason = (
            f"the chain head says event {head.seq} but the chain ends at event "
            f"{walk.seq}, or their MACs differ (a forged head, or events "
            "deleted from the end)"
        )
        return walk.seq + 1, "head_mismatch", reason
    key = ring.get(head.key_id)
    if key is None:
        return walk.seq + 1, "unknown_key", f"the chain head names unknown key id {head.key_id!r}"
    expected = macs.head(
        key, practice_id=practice.pk, seq=head.seq, mac=head.mac, key_id=head.key_id
    )
    if not macs.equal(expected, head.head_mac):
        reason = (
            f"the chain head's own MAC does not verify: it was rewritten without the key "
            f"(for example to hide events cut from the end after event {head.seq})"
        )
        return walk.seq + 1, "head_forged", reason
    return None


def _check_anchors(walk: _Walk, anchors: Sequence[Anchor]) -> tuple[int, str, str] | None:
    for anchor in sorted(anchors, key=lambda a: a.seq):
        where = f"the anchor of {anchor.at}" + (f" (line {anchor.line})" if anchor.line else "")
        if anchor.seq == 0:
            continue
        if walk.count == 0:
            return (
                anchor.seq,
                "chain_missing",
                (
                    f"this practice has no audit events, but {where} saw {anchor.seq} "
                    "(the whole log deleted)"
                ),
            )
        if anchor.seq > walk.seq:
            continue
        if not macs.equal(walk.macs_at.get(anchor.seq, ""), anchor.mac):
            return (
                anchor.seq,
                "anchor_mismatch",
                (
                    f"event {anchor.seq} is not the event {where} saw (the chain was rolled "
                    "back or replaced, then grew again)"
                ),
            )
    longest = max(anchors, key=lambda a: a.seq, default=None)
    if longest is not None and longest.seq > walk.seq:
        where = f"the anchor of {longest.at}" + (f" (line {longest.line})" if longest.line else "")
        return (
            walk.seq + 1,
            "truncated",
            (
                f"the chain ends at event {walk.seq}, but {where} saw event {longest.seq} "
                "(events cut from the end, or the database rolled back)"
            ),
        )
    return None
