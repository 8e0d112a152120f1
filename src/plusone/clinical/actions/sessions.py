"""The hand-kept session list: add, move, cancel, and mark whether the client came.

Rules (docs/sessions.md):
- A new session is in the future, unless it is recorded as attended: a past session
  the therapist forgot to enter is recorded, never scheduled.
- Only a scheduled session moves or is cancelled; a session that has started is marked
  attended or no-show, and a late cancel may be marked at any time.
- A therapist's scheduled and attended sessions never overlap (a cancelled, late-cancelled
  or no-show hour is free again), across all of their clients. ``overlapping`` is that
  rule; the schedule import (imports/schedule.py) checks its appointments with it too.
- Every change names the version the editor loaded; a newer one is a conflict.

Each write re-derives the episode summary's last and next session and clears its
``judged_on``, so the caseload re-judges it (Sessions in Deepening counts attended ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from plusone import audit
from plusone.clinical.actions.summary import update_summary
from plusone.clinical.models import Client, Episode, Session

Status = Session.Status
# The hours that are taken: a cancelled, late-cancelled or no-show hour is free again.
BUSY = (Status.SCHEDULED, Status.ATTENDED)
ATTENDANCE = (Status.ATTENDED, Status.NO_SHOW, Status.LATE_CANCEL)
LONGEST_MINUTES = 600


class SessionConflict(Exception):
    """Someone changed the session after the editor loaded it: nothing was overwritten.
    ``current`` is the session as stored now."""

    def __init__(self, current: Session) -> None:
        self.current = current
        at = timezone.localtime(current.starts_at)
        status = current.get_status_display().lower()
        super().__init__(
            f"This session changed while you were editing: it is now {status}, {at:%A %B} "
            f"{at.day} at {at:%H:%M}. Nothing was saved; look at it again, then retry."
        )


def add_session(
    *,
    user: Any,
    client: Client,
    starts_at: dt.datetime,
    duration_minutes: int = 50,
    kind: str = Session.Kind.ROUTINE,
    attended: bool = False,
    now: dt.datetime | None = None,
) -> Session:
    """Add a session to the client's open episode; audit it.

    A past ``starts_at`` is refused unless ``attended`` (recording a session that
    happened). Raises ValidationError with a sentence a therapist can act on.
    """
    now = now or timezone.now()
    if starts_at <= now and not attended:
        raise ValidationError(
            "That time has passed. To record a session that happened, tick "
            "“The client attended”; otherwise choose a time to come."
        )
    if attended and starts_at > now:
        raise ValidationError("A session still to come cannot be marked attended yet.")
    with transaction.atomic():
        episode = _open_episode(client)
        _refuse_overlap(client.therapist_id, starts_at, duration_minutes)
        session = Session.objects.create(
            practice_id=client.practice_id,
            episode=episode,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            kind=kind,
            status=Status.ATTENDED if attended else Status.SCHEDULED,
        )
        _refresh_summary(episode, now)
        _record(user, session, "session.add")
    return session


def move_session(
    *,
    user: Any,
    session: Session,
    starts_at: dt.datetime,
    duration_minutes: int | None = None,
    base_version: int,
    now: dt.datetime | None = None,
) -> Session:
    """Reschedule a scheduled session to a time to come; audit it (old and new times are
    not health information, but only ids go in the audit row all the same)."""
    now = now or timezone.now()
    if starts_at <= now:
        raise ValidationError("A session can only move to a time still to come.")
    minutes = duration_minutes or session.duration_minutes
    with transaction.atomic():
        current = _locked(session, base_version)
        if current.status != Status.SCHEDULED:
            raise ValidationError("Only a scheduled session can be moved.")
        _refuse_overlap(current.episode.client.therapist_id, starts_at, minutes, but=current.pk)
        moved = _swap(current, base_version, starts_at=starts_at, duration_minutes=minutes)
        _refresh_summary(moved.episode, now)
        _record(user, moved, "session.move")
    return moved


def cancel_session(
    *, user: Any, session: Session, base_version: int, now: dt.datetime | None = None
) -> Session:
    """Cancel a scheduled session (in good time; a late one is marked with attendance)."""
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(session, base_version)
        if current.status != Status.SCHEDULED:
            raise ValidationError("Only a scheduled session can be cancelled.")
        cancelled = _swap(current, base_version, status=Status.CANCELLED)
        _refresh_summary(cancelled.episode, now)
        _record(user, cancelled, "session.cancel")
    return cancelled


def mark_attendance(
    *,
    user: Any,
    session: Session,
    status: str,
    base_version: int,
    now: dt.datetime | None = None,
) -> Session:
    """Mark a session attended, no-show or late cancel; a mark may be corrected.

    Attended and no-show need the session to have started; a cancelled one is not
    marked (add a new session instead).
    """
    now = now or timezone.now()
    if status not in ATTENDANCE:
        raise ValidationError("Mark a session attended, no-show or late cancel.")
    with transaction.atomic():
        current = _locked(session, base_version)
        if current.status == Status.CANCELLED:
            raise ValidationError("This session was cancelled; add a new one instead.")
        if status != Status.LATE_CANCEL and current.starts_at > now:
            raise ValidationError("This session has not started yet.")
        if status == Status.ATTENDED and current.status != Status.ATTENDED:
            # Coming back to attended takes the hour again.
            _refuse_overlap(
                current.episode.client.therapist_id,
                current.starts_at,
                current.duration_minutes,
                but=current.pk,
            )
        marked = _swap(current, base_version, status=status)
        _refresh_summary(marked.episode, now)
        _record(user, marked, f"session.{status}")
    return marked


def _open_episode(client: Client) -> Episode:
    episode = Episode.objects.filter(client=client, status=Episode.Status.OPEN).first()
    if episode is None:
        raise ValidationError("This client has no open episode; sessions belong to one.")
    return episode


def _locked(session: Session, base_version: int) -> Session:
    current = (
        Session.objects.select_for_update()
        .select_related("episode", "episode__client")
        .get(pk=session.pk)
    )
    if current.version != base_version:
        raise SessionConflict(current)
    return current


def _swap(current: Session, base_version: int, **values: Any) -> Session:
    """Write ``values`` only if the row is still at ``base_version`` (the row is locked, so
    this holds; the WHERE keeps it true on a database without row locks too)."""
    changed = Session.objects.filter(pk=current.pk, version=base_version).update(
        version=F("version") + 1, **values
    )
    if changed != 1:
        raise SessionConflict(current)
    current.refresh_from_db()
    return current


def _refuse_overlap(
    therapist_id: Any, starts_at: dt.datetime, minutes: int, *, but: Any = None
) -> None:
    """Refuse a time that overlaps another scheduled or attended session of the therapist."""
    if not 1 <= minutes <= LONGEST_MINUTES:
        raise ValidationError(f"A session lasts from 1 to {LONGEST_MINUTES} minutes.")
    other = overlapping(therapist_id, starts_at, minutes, but=() if but is None else (but,))
    if other is not None:
        raise ValidationError(
            f"That overlaps another of your sessions, on {when(other.starts_at)} "
            f"({other.duration_minutes} min). Choose another time."
        )


def overlapping(
    therapist_id: Any, starts_at: dt.datetime, minutes: int, *, but: Iterable[Any] = ()
) -> Session | None:
    """The therapist's scheduled or attended session (of any client) whose time overlaps
    ``minutes`` from ``starts_at``, leaving out the sessions ``but``; None when the time is
    free. The one overlap rule, for a session booked by hand and for the schedule import."""
    nearby = Session.objects.filter(
        episode__client__therapist_id=therapist_id,
        status__in=BUSY,
        starts_at__lt=starts_at + dt.timedelta(minutes=minutes),
        starts_at__gt=starts_at - dt.timedelta(minutes=LONGEST_MINUTES),
    ).exclude(pk__in=list(but))
    for other in nearby.order_by("starts_at"):
        if overlaps(starts_at, minutes, other.starts_at, other.duration_minutes):
            return other
    return None


def overlaps(starts_at: dt.datetime, minutes: int, other_at: dt.datetime, other: int) -> bool:
    """Whether two sessions' times overlap; back to back does not."""
    return starts_at < other_at + dt.timedelta(minutes=other) and other_at < (
        starts_at + dt.timedelta(minutes=minutes)
    )


def when(starts_at: dt.datetime) -> str:
    """A session's day and time, as the messages about it say them: "Tuesday March 17 at
    10:30", in the practice's time zone."""
    at = timezone.localtime(starts_at)
    return f"{at:%A %B} {at.day} at {at:%H:%M}"


def _refresh_summary(episode: Episode, now: dt.datetime) -> None:
    found = Session.objects.filter(episode=episode).aggregate(
        last=Max("starts_at", filter=Q(starts_at__lte=now, status=Status.ATTENDED)),
        next=Min("starts_at", filter=Q(starts_at__gt=now, status=Status.SCHEDULED)),
    )
    # judged_on None: the caseload re-judges the proposal with the sessions as they are now.
    update_summary(
        episode, last_session_at=found["last"], next_session_at=found["next"], judged_on=None
    )


def _record(user: Any, session: Session, action: str) -> None:
    audit.record(
        practice=session.episode.practice,
        actor=user,
        action=action,
        target_type="clinical.session",
        target_id=session.pk,
        detail={"episode": session.episode_id, "version": session.version},
    )
