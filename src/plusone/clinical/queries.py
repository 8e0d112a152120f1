"""Reads that need permission. "Not yours" raises Http404, exactly like "not there".

- A therapist sees their own clients (in a practice where they are a therapist).
- A supervisor sees, read-only, clients who consented to supervision by them
  (consent not withdrawn), in a practice where they are a supervisor.
- An admin or privacy officer reads no clinical content through these, except an
  admin holding an unexpired break-glass grant for that client (read-only).

``write=True`` asks for the right to change the record: only the therapist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from plusone.accounts.models import Membership, Role
from plusone.clinical import access
from plusone.clinical.models import (
    Absence,
    Client,
    Consent,
    Decision,
    Episode,
    EpisodeSummary,
    Flag,
    MeasurementPlan,
    RuptureEvent,
    Session,
)
from plusone.web.ids import uuid_or_404


def _client_filter(user: Any, *, write: bool, prefix: str = "") -> Q:
    """A Q over Client (or a model reaching Client through ``prefix``) for ``user``."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    therapist_in = Membership.objects.filter(user=user, role=Role.THERAPIST).values("practice")
    own = Q(**{f"{prefix}therapist": user, f"{prefix}practice__in": therapist_in})
    if write:
        return own
    supervisor_in = Membership.objects.filter(user=user, role=Role.SUPERVISOR).values("practice")
    consented = Consent.objects.filter(
        client=OuterRef(f"{prefix}pk" if prefix else "pk"),
        kind=Consent.Kind.SUPERVISION,
        supervisor=user,
        withdrawn_at__isnull=True,
    )
    supervised = Q(**{f"{prefix}practice__in": supervisor_in}) & Q(Exists(consented))
    # An admin reads a record only through an unexpired break-glass grant (plusone.privacy).
    broken = Q(**{f"{prefix}pk__in": access.break_glass_client_ids(user, timezone.now())})
    # A consent directive naming ``user`` closes the record to them (plusone.lockbox).
    return (own | supervised | broken) & ~access.named_clinician_block(user, f"{prefix}pk")


def visible_clients(user: Any, *, write: bool = False) -> QuerySet[Client]:
    """Every client ``user`` may read (or change, with ``write``)."""
    return Client.objects.filter(_client_filter(user, write=write))


def access_client(user: Any, client_id: Any, *, write: bool = False) -> Client:
    """The client with ``client_id`` if ``user`` may read it (or change it); else Http404."""
    found = visible_clients(user, write=write).filter(pk=uuid_or_404(client_id)).first()
    if found is None:
        raise Http404
    return found


def access_episode(user: Any, episode_id: Any, *, write: bool = False) -> Episode:
    """The episode if ``user`` may read (or change) its client; else Http404."""
    clients = visible_clients(user, write=write)
    found = (
        Episode.objects.select_related("client")
        .filter(pk=uuid_or_404(episode_id), client__in=clients)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _covered_flags(user: Any, today: dt.date) -> Q:
    """A Q over Flag: flags ``user`` covers today as a therapist of the flag's practice.

    That is the open flags of a colleague who is away today with ``user`` as cover,
    and the open flags escalated to ``user``. Only the flag: the rest of the
    client's record stays with their own therapist.
    """
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    therapist_in = Membership.objects.filter(user=user, role=Role.THERAPIST).values("practice")
    away = Absence.objects.filter(
        practice=OuterRef("practice"),
        therapist=OuterRef("client__therapist"),
        cover=user,
        starts_on__lte=today,
        ends_on__gte=today,
    )
    return Q(practice__in=therapist_in, status=Flag.Status.OPEN) & (
        Q(Exists(away)) | Q(escalated_to=user)
    )


def access_flag(
    user: Any, flag_id: Any, *, write: bool = False, today: dt.date | None = None
) -> Flag:
    """The flag if ``user`` may read (or acknowledge) its client's record; else Http404.

    A cover (see ``_covered_flags``) may also read and acknowledge an open flag
    while the therapist is away, or once it escalated to them. ``today`` is the
    practice date (default: today in settings.TIME_ZONE).
    """
    clients = visible_clients(user, write=write)
    today = today or timezone.localdate()
    found = (
        Flag.objects.select_related("client", "episode")
        .filter(Q(client__in=clients) | _covered_flags(user, today), pk=uuid_or_404(flag_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


def covered_flags(user: Any, *, today: dt.date | None = None) -> list[Flag]:
    """Open flags ``user`` covers for an away colleague, or that escalated to them, with
    the client's safety plan (shown to the cover even under a consent directive)."""
    today = today or timezone.localdate()
    return list(
        Flag.objects.select_related("client", "client__safety_plan")
        .filter(_covered_flags(user, today))
        .exclude(client__therapist=user)
        .order_by("opened_at")
    )


def caseload(user: Any) -> list[EpisodeSummary]:
    """The therapist's open episodes as summary rows, with client names, in one query."""
    clients = visible_clients(user, write=True)
    return list(
        EpisodeSummary.objects.select_related("client")
        .filter(client__in=clients, episode__status=Episode.Status.OPEN)
        .order_by("client__family_name", "client__given_name")
    )


def open_flags(user: Any, summaries: list[EpisodeSummary]) -> dict[uuid.UUID, list[Flag]]:
    """Open flags for the given summaries' episodes, keyed by episode id, in one query."""
    episode_ids = [s.episode_id for s in summaries if s.open_flag_count]
    flags: dict[uuid.UUID, list[Flag]] = {}
    if not episode_ids:
        return flags
    rows = Flag.objects.filter(
        episode_id__in=episode_ids,
        status=Flag.Status.OPEN,
        client__in=visible_clients(user, write=True),
    ).order_by("opened_at")
    for flag in rows:
        flags.setdefault(flag.episode_id, []).append(flag)
    return flags


def access_session(user: Any, session_id: Any, *, write: bool = False) -> Session:
    """The session if ``user`` may read (or change) its client's record; else Http404."""
    clients = visible_clients(user, write=write)
    found = (
        Session.objects.select_related("episode", "episode__client", "episode__practice")
        .filter(pk=uuid_or_404(session_id), episode__client__in=clients)
        .first()
    )
    if found is None:
        raise Http404
    return found


def client_sessions(person: Client) -> list[Session]:
    """Every session of the client (all episodes), oldest first (access-checked by the caller)."""
    return list(Session.objects.filter(episode__client=person).order_by("starts_at"))


def access_decision(user: Any, episode: Episode, decision_id: Any) -> Decision:
    """A decision of ``episode`` (already access-checked by the caller); else Http404."""
    found = Decision.objects.filter(pk=uuid_or_404(decision_id), episode=episode).first()
    if found is None:
        raise Http404
    return found


def decisions_for(episode: Episode) -> list[Decision]:
    """The episode's decisions in the order made, each with the decision that reversed it
    (``reversed_by``, or a RelatedObjectDoesNotExist) and its recorder, in one query."""
    return list(
        Decision.objects.filter(episode=episode)
        .select_related("recorded_by", "reverses", "reversed_by")
        .order_by("decided_on", "created_at")
    )


def pending_decisions(episode: Episode) -> list[Decision]:
    """Decisions still waiting for the client's confirmation, oldest first."""
    return list(
        Decision.objects.filter(
            episode=episode, confirmation=Decision.Confirmation.PENDING
        ).order_by("decided_on", "created_at")
    )


def plan_for(episode: Episode) -> MeasurementPlan | None:
    """The episode's measurement plan, if it has one."""
    return MeasurementPlan.objects.filter(episode=episode).first()


def rupture_events(episode: Episode) -> list[RuptureEvent]:
    """The episode's logged ruptures and repairs, oldest first, with their sessions."""
    return list(
        RuptureEvent.objects.filter(episode=episode)
        .select_related("session", "repairs")
        .order_by("session__starts_at", "created_at")
    )


def unrepaired_ruptures(episode: Episode) -> list[RuptureEvent]:
    """Ruptures of the episode that no repair names yet."""
    return list(
        RuptureEvent.objects.filter(
            episode=episode, kind=RuptureEvent.Kind.RUPTURE, repaired_by__isnull=True
        )
        .select_related("session")
        .order_by("created_at")
    )
