"""Reads of the privacy app: active break-glass grants and the privacy officer's log tools.

Every read is limited to practices where the user holds the needed role.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from plusone.accounts.models import Membership, Role, User
from plusone.accounts.queries import privacy_practices
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client, Episode, Session
from plusone.privacy.models import BreakGlass


def break_glass_client_ids(user: Any, now: dt.datetime) -> QuerySet[BreakGlass]:
    """Client ids ``user`` may read now through an unexpired break-glass grant (as admin)."""
    admin_in = Membership.objects.filter(user=user, role=Role.ADMIN).values("practice")
    return BreakGlass.objects.filter(
        user=user, practice__in=admin_in, opened_at__lte=now, expires_at__gt=now
    ).values("client")


def break_glass_log(user: Any) -> list[BreakGlass]:
    """Every break-glass grant in the privacy officer's practices, newest first."""
    return list(
        BreakGlass.objects.select_related("client", "user", "practice").filter(
            practice__in=privacy_practices(user)
        )
    )


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return lower, upper


def search_events(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    actor: User | None = None,
    action: str = "",
    target_id: str = "",
    limit: int | None = 500,
) -> list[AuditEvent]:
    """Audit events of the officer's practices from ``start`` to ``end`` (whole days,
    practice time), optionally by one actor, an action prefix and a target id."""
    lower, upper = _day_bounds(start, end)
    events = AuditEvent.objects.filter(
        practice__in=privacy_practices(user), at__gte=lower, at__lt=upper
    )
    if actor is not None:
        events = events.filter(actor_kind="user", actor_id=actor.pk)
    if action:
        events = events.filter(action__startswith=action)
    if target_id:
        events = events.filter(target_id=target_id)
    events = events.order_by("at", "seq")
    return list(events[:limit] if limit else events)


@dataclass(frozen=True)
class OpenedClient:
    """A client whose record a user opened, with how often and when first and last."""

    client: Client
    views: int
    first: dt.datetime
    last: dt.datetime


def opened_clients(user: Any, *, actor: User, start: dt.date, end: dt.date) -> list[OpenedClient]:
    """Which clients' records ``actor`` opened between ``start`` and ``end`` (from view events)."""
    events = [
        e
        for e in search_events(user, start=start, end=end, actor=actor, limit=None)
        if e.action.startswith("view.")
    ]
    by_type: dict[str, set[uuid.UUID]] = {}
    for e in events:
        try:
            by_type.setdefault(e.target_type, set()).add(uuid.UUID(e.target_id))
        except ValueError:
            continue
    owner: dict[tuple[str, str], uuid.UUID] = {}
    for cid in by_type.get("clinical.client", set()):
        owner[("clinical.client", str(cid))] = cid
    for pk, cid in Episode.objects.filter(
        pk__in=by_type.get("clinical.episode", set())
    ).values_list("pk", "client_id"):
        owner[("clinical.episode", str(pk))] = cid
    for pk, cid in Session.objects.filter(
        pk__in=by_type.get("clinical.session", set())
    ).values_list("pk", "episode__client_id"):
        owner[("clinical.session", str(pk))] = cid
    seen: dict[uuid.UUID, list[dt.datetime]] = {}
    for e in events:
        cid = owner.get((e.target_type, e.target_id))
        if cid is not None:
            seen.setdefault(cid, []).append(e.at)
    clients = Client.objects.in_bulk(list(seen))
    rows = [
        OpenedClient(clients[cid], len(times), min(times), max(times))
        for cid, times in seen.items()
        if cid in clients
    ]
    return sorted(rows, key=lambda r: r.first)


def staff_of(user: Any) -> QuerySet[User]:
    """The users with any role in the officer's practices (to choose "user X")."""
    return (
        User.objects.filter(memberships__practice__in=privacy_practices(user))
        .distinct()
        .order_by("email")
    )
