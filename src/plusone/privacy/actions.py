"""Writes of the privacy app, each with its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import Http404

from plusone import audit
from plusone.accounts.models import Membership, Role
from plusone.clinical.models import Client
from plusone.privacy.models import BreakGlass, BreakGlassPurpose

# Break-glass access lasts one hour; a longer need is a new grant with a new reason.
BREAK_GLASS_TTL = dt.timedelta(hours=1)


def open_break_glass(
    *,
    user: Any,
    client_id: Any,
    reason: str,
    now: dt.datetime,
    purpose: str = BreakGlassPurpose.CARE,
) -> BreakGlass:
    """Give admin ``user`` read-only access to one client's record for an hour.

    The reason is required (stored encrypted) and the audit event, with the purpose
    code, is written at once. Only a purpose in ``OVERRIDE_PURPOSES`` lifts the
    client's consent directives (plusone.lockbox). Raises ValueError on a blank
    reason or an unknown purpose, and Http404 when the client is not in a practice
    where ``user`` is an admin.
    """
    if purpose not in BreakGlassPurpose.values:
        raise ValueError("Choose a purpose from the list.")
    reason = reason.strip()
    if not reason:
        raise ValueError("A reason is required.")
    admin_in = Membership.objects.filter(user=user, role=Role.ADMIN).values("practice")
    client = Client.objects.filter(pk=client_id, practice__in=admin_in).first()
    if client is None:
        raise Http404
    with transaction.atomic():
        grant = BreakGlass.objects.create(
            practice=client.practice,
            client=client,
            user=user,
            reason=reason,
            purpose=purpose,
            opened_at=now,
            expires_at=now + BREAK_GLASS_TTL,
        )
        audit.record(
            practice=client.practice,
            actor=user,
            action="break_glass.open",
            target_type="clinical.client",
            target_id=client.pk,
            detail={
                "break_glass_id": grant.pk,
                "minutes": int(BREAK_GLASS_TTL.total_seconds() // 60),
                "purpose": purpose,
            },
        )
    return grant


def record_export(*, user: Any, practice: Any, fmt: str, count: int, start: Any, end: Any) -> None:
    """Audit that ``user`` exported ``count`` events of ``practice`` (dates as ISO strings)."""
    with transaction.atomic():
        audit.record(
            practice=practice,
            actor=user,
            action="audit.export",
            target_type="accounts.practice",
            target_id=practice.pk,
            detail={
                "format": fmt,
                "events": count,
                "from": start.isoformat(),
                "to": end.isoformat(),
            },
        )


def record_search(*, user: Any, practice: Any, action: str, count: int) -> None:
    """Audit a privacy officer's search of the log (``action`` names which tool)."""
    with transaction.atomic():
        audit.record(
            practice=practice,
            actor=user,
            action=action,
            target_type="accounts.practice",
            target_id=practice.pk,
            detail={"results": count},
        )
