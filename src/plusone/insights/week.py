"""The therapist's week: their own clients' sessions, Monday to Sunday, each with the
state of the check-in before it. Five queries whatever the number of sessions.

A session's check-in is the client's check-in (link, kiosk or in session; never a
Session Reflection) in its window: after the episode's previous session (at most seven
days back) and up to the session's end. A sitting or link tied to the session itself
always counts. The state, most telling first: flagged (a risk flag opened in the
window), done, skipped, sent (a live link issued before the session), not sent.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from plusone.clinical.models import BringNote, Flag, Session
from plusone.clinical.queries import visible_clients
from plusone.insights.failed_sends import session_notes
from plusone.measures.models import Sitting, SittingKind, SittingStatus
from plusone.tokens.models import AccessToken, Purpose

LOOKBACK = dt.timedelta(days=7)
# The longest session (clinical Session's check): how far past a start a window may end.
LONGEST = dt.timedelta(minutes=600)

STATES = {
    "flagged": "Flagged",
    "done": "Done",
    "skipped": "Skipped",
    "sent": "Sent",
    "not_sent": "Not sent",
}


@dataclass(frozen=True)
class WeekSession:
    session: Session
    state: str
    # The client wrote what they want to bring to this session (read on the card).
    brings: bool = False
    # The check-in message that could not be sent, in plain words ("" when none).
    send_note: str = ""

    @property
    def state_label(self) -> str:
        return STATES[self.state]


@dataclass
class Day:
    date: dt.date
    sessions: list[WeekSession] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    monday: dt.date
    days: list[Day]

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def count(self) -> int:
        return sum(len(d.sessions) for d in self.days)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week(user: Any, *, day: dt.date) -> Week:
    """The week holding ``day`` for ``user``: only the sessions of clients they may change
    (their own), so a supervisor or an admin sees an empty week."""
    monday = monday_of(day)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min, tzinfo=zone)
    rows = list(
        Session.objects.filter(
            episode__client__in=visible_clients(user, write=True),
            starts_at__gte=start - LOOKBACK,
            starts_at__lt=end,
        )
        .select_related("episode__client")
        .order_by("starts_at")
    )
    shown = [s for s in rows if s.starts_at >= start]
    windows = _windows(rows, shown)
    activity = _activity({s.episode_id for s in shown}, start - LOOKBACK, end + LONGEST)
    days = [Day(monday + dt.timedelta(days=i)) for i in range(7)]
    # One query for the week: which sessions the client wrote a bring-today note for.
    brings = set(
        BringNote.objects.filter(session__in=[s.pk for s in shown]).values_list(
            "session_id", flat=True
        )
    )
    states = {s.pk: checkin_state(s, windows[s.pk], *activity) for s in shown}
    now = timezone.now()
    # One query: the failed invitations and reminders of the upcoming, not yet done ones.
    notes = session_notes(
        s
        for s in shown
        if s.status == Session.Status.SCHEDULED
        and s.starts_at > now
        and states[s.pk] in ("sent", "not_sent")
    )
    for session in shown:
        days[timezone.localtime(session.starts_at, zone).weekday()].sessions.append(
            WeekSession(
                session,
                states[session.pk],
                brings=session.pk in brings,
                send_note=notes.get(session.pk, ""),
            )
        )
    return Week(monday, days)


def _windows(rows: list[Session], shown: list[Session]) -> dict[Any, dt.datetime]:
    """Each shown session's window start: its episode's previous kept session, at most
    seven days back."""
    previous: dict[Any, dt.datetime] = {}
    out = {}
    for session in rows:
        since = session.starts_at - LOOKBACK
        last = previous.get(session.episode_id)
        out[session.pk] = max(since, last) if last is not None else since
        if session.status in (Session.Status.SCHEDULED, Session.Status.ATTENDED):
            previous[session.episode_id] = session.starts_at
    return {s.pk: out[s.pk] for s in shown}


def _activity(
    episode_ids: set[Any], start: dt.datetime, end: dt.datetime
) -> tuple[dict[Any, list[Any]], dict[Any, list[Any]], dict[Any, list[dt.datetime]]]:
    """Sittings, live check-in links and flags of the episodes in the range, by episode."""
    sittings: dict[Any, list[Any]] = defaultdict(list)
    links: dict[Any, list[Any]] = defaultdict(list)
    flags: dict[Any, list[dt.datetime]] = defaultdict(list)
    if not episode_ids:
        return sittings, links, flags
    for row in (
        Sitting.objects.filter(episode_id__in=episode_ids, completed_at__range=(start, end))
        .exclude(kind=SittingKind.REFLECTION)
        .values_list("episode_id", "session_id", "status", "completed_at")
    ):
        sittings[row[0]].append(row[1:])
    for row in AccessToken.objects.filter(
        Q(revoked_at__isnull=True) | Q(used_at__isnull=False),
        episode_id__in=episode_ids,
        purpose=Purpose.CHECKIN,
        created_at__range=(start, end),
    ).values_list("episode_id", "session_id", "created_at"):
        links[row[0]].append(row[1:])
    for episode_id, opened_at in Flag.objects.filter(
        episode_id__in=episode_ids, opened_at__range=(start, end)
    ).values_list("episode_id", "opened_at"):
        flags[episode_id].append(opened_at)
    return sittings, links, flags


def checkin_state(
    session: Session,
    since: dt.datetime,
    sittings: dict[Any, list[Any]],
    links: dict[Any, list[Any]],
    flags: dict[Any, list[dt.datetime]],
) -> str:
    """The state of the check-in before ``session`` (see the module's docstring)."""
    until = session.starts_at + dt.timedelta(minutes=session.duration_minutes)

    def inside(at: dt.datetime, tied: Any = None) -> bool:
        return tied == session.pk or since < at <= until

    if any(since < at <= until for at in flags[session.episode_id]):
        return "flagged"
    statuses = {status for tied, status, at in sittings[session.episode_id] if inside(at, tied)}
    if SittingStatus.COMPLETED in statuses:
        return "done"
    if SittingStatus.SKIPPED in statuses:
        return "skipped"
    if any(
        tied == session.pk or since < at <= session.starts_at
        for tied, at in links[session.episode_id]
    ):
        return "sent"
    return "not_sent"
