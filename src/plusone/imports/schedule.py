"""The import of appointments from a Jane App or Owl Practice CSV export, or an iCalendar file.

Each appointment becomes (or updates) one ``clinical.Session`` of the client's open
episode: an aware start, a duration and a status (scheduled or cancelled; a
no-show or an arrival in the source is kept as such). The source's appointment
id (or the event's UID) is stored on the session, so importing the same export
again updates the sessions instead of adding new ones. Clients are matched by
their practice id only, never by name. Like the scores import, one bad row
stores nothing (docs/imports.md).

The session rules of ``clinical/actions/sessions.py`` hold for imported sessions too: an
appointment that would overlap another scheduled or attended session of the therapist
(stored already, or an earlier row of the file) is a row error, checked with the actions'
own ``overlapping``; and a session already marked (attended, no-show, late cancel) keeps
its time, and its mark unless the source corrects it to another mark. Unlike a session
added by hand, a past appointment may come in as scheduled: the source keeps the schedule,
and the therapist marks it here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from plusone import audit
from plusone.clinical.actions.sessions import ATTENDANCE, BUSY, overlapping, overlaps, when
from plusone.clinical.actions.sessions import _refresh_summary as refresh_session_summary
from plusone.clinical.models import Client, Episode, Session
from plusone.clinical.queries import visible_clients
from plusone.imports import ical
from plusone.imports.reading import ImportRefused, Row, RowError, decode, rows
from plusone.inputs import normalize

TORONTO = ZoneInfo("America/Toronto")
JANE, OWL, ICAL = "jane", "owl", "ical"
SOURCES = {JANE: "Jane App (CSV)", OWL: "Owl Practice (CSV)", ICAL: "iCalendar (.ics)"}
# The column names each export uses, as far as their public export documentation shows;
# a practice whose export differs edits the mapping (docs/imports.md).
DEFAULT_MAPPINGS: dict[str, dict[str, str]] = {
    JANE: {
        "Appointment ID": "appointment_id",
        "Patient ID": "client_ref",
        "Start Date": "date",
        "Start Time": "start_time",
        "End Time": "end_time",
        "State": "status",
    },
    OWL: {
        "Appointment ID": "appointment_id",
        "Client ID": "client_ref",
        "Date": "date",
        "Time": "start_time",
        "Duration": "duration",
        "Status": "status",
    },
}
FIELDS = ("appointment_id", "client_ref", "start", "date", "start_time", "end", "end_time")
FIELDS += ("duration", "status")
# A practice id written in an event's title or description: "ref:R-100".
_REF = re.compile(r"\bref:\s*([A-Za-z0-9._-]{1,64})", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p")


@dataclass(frozen=True)
class Appointment:
    """One appointment read from the source, before it is matched."""

    line: int
    source_id: str
    client_ref: str
    starts_at: dt.datetime
    minutes: int
    status: str


@dataclass
class ScheduleReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = True
    stored: bool = False
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "stored": self.stored,
            "errors": [
                {"line": e.line, "column": e.column, "reason": e.reason} for e in self.errors
            ],
        }


def status_of(value: str) -> str:
    """The session status a source's appointment state means (scheduled unless it says)."""
    word = value.strip().lower().replace("-", " ").replace("_", " ")
    if "cancel" in word:
        return Session.Status.CANCELLED
    if "no show" in word or "noshow" in word:
        return Session.Status.NO_SHOW
    if word in {"arrived", "attended", "completed", "checked in", "checked out"}:
        return Session.Status.ATTENDED
    return Session.Status.SCHEDULED


def _date(value: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date (use 2026-03-14)")


def _time(value: str) -> dt.time:
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(value.strip().upper(), fmt).time()
        except ValueError:
            continue
    raise ValueError("not a time (use 14:30 or 2:30 PM)")


def _csv_appointment(row: Row, errors: list[RowError]) -> Appointment | None:
    cells: dict[str, str] = {}
    for column, value in row.cells.items():
        try:
            cells[column] = normalize.csv_cell(value, column=column, max_length=500).strip()
        except normalize.InputError as exc:
            errors.append(RowError(row.line, column, exc.message))
    if errors:
        return None
    before = len(errors)
    starts_at: dt.datetime | None = None
    try:
        if cells.get("start"):
            starts_at = dt.datetime.fromisoformat(cells["start"])
            starts_at = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=TORONTO)
        else:
            day = _date(cells.get("date", ""))
            starts_at = dt.datetime.combine(day, _time(cells.get("start_time", "")), TORONTO)
    except ValueError as exc:
        errors.append(RowError(row.line, "start" if "start" in cells else "date", str(exc)))
    minutes = 50
    try:
        if cells.get("duration"):
            minutes = int(cells["duration"].split()[0])
        elif cells.get("end_time") and starts_at is not None:
            end = dt.datetime.combine(starts_at.date(), _time(cells["end_time"]), TORONTO)
            minutes = int((end - starts_at).total_seconds() // 60)
        elif cells.get("end") and starts_at is not None:
            end = dt.datetime.fromisoformat(cells["end"])
            end = end if end.tzinfo else end.replace(tzinfo=TORONTO)
            minutes = int((end - starts_at).total_seconds() // 60)
    except (ValueError, IndexError):
        errors.append(RowError(row.line, "duration", "not a number of minutes or an end time"))
    return _appointment(
        row.line, cells.get("appointment_id", ""), cells.get("client_ref", ""), starts_at,
        minutes, cells.get("status", ""), errors, before,
    )  # fmt: skip


def _appointment(
    line: int,
    source_id: str,
    ref: str,
    starts_at: dt.datetime | None,
    minutes: int,
    status: str,
    errors: list[RowError],
    before: int,
) -> Appointment | None:
    if not source_id:
        errors.append(RowError(line, "appointment_id", "required, so a re-import can match it"))
    if not 1 <= minutes <= 600:
        errors.append(RowError(line, "duration", "must be between 1 and 600 minutes"))
    if len(errors) > before or starts_at is None:
        return None
    return Appointment(line, source_id[:255], ref, starts_at, minutes, status_of(status))


def _ical_appointments(text: str, report: ScheduleReport) -> list[Appointment]:
    try:
        found = ical.events(text)
    except ValueError as exc:
        raise ImportRefused(str(exc)) from None
    out = []
    for event in found:
        report.rows += 1
        errors: list[RowError] = []
        props = event.props
        uid = props.get("UID", ({}, ""))[1].strip()
        starts_at: dt.datetime | None = None
        minutes = 50
        try:
            starts_at = ical.when(*props["DTSTART"]) if "DTSTART" in props else None
            if starts_at is None:
                errors.append(RowError(event.line, "DTSTART", "required"))
            elif "DTEND" in props:
                minutes = int((ical.when(*props["DTEND"]) - starts_at).total_seconds() // 60)
            elif "DURATION" in props:
                minutes = int(ical.duration(props["DURATION"][1]).total_seconds() // 60)
        except ValueError as exc:
            errors.append(RowError(event.line, "DTSTART", str(exc)))
        ref = props.get("X-PLUSONE-CLIENT-REF", ({}, ""))[1].strip()
        if not ref:
            words = props.get("SUMMARY", ({}, ""))[1] + "\n" + props.get("DESCRIPTION", ({}, ""))[1]
            match = _REF.search(words)
            ref = match.group(1) if match else ""
        status = props.get("STATUS", ({}, ""))[1]
        appointment = _appointment(
            event.line, uid, ref, starts_at, minutes, status, errors, len(errors)
        )
        report.errors.extend(errors)
        if appointment is not None:
            out.append(appointment)
    return out


def import_schedule(
    *,
    user: Any,
    raw: bytes,
    source: str,
    encoding: str = "utf-8",
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ScheduleReport:
    """Check every appointment of ``raw`` (a ``source`` export) and, unless ``dry_run`` or
    any failed, create or update their sessions in one transaction, with audit rows.

    Raises ImportRefused when the file as a whole cannot be read.
    """
    if source not in SOURCES:
        raise ImportRefused(f"unknown source {source!r}; choose jane, owl or ical")
    text = decode(raw, encoding=encoding)
    report = ScheduleReport(dry_run=dry_run)
    if source == ICAL:
        appointments = _ical_appointments(text, report)
    else:
        appointments = []
        columns = {**DEFAULT_MAPPINGS[source], **(mapping or {})}
        header, records = rows(text, required=("appointment_id", "client_ref"), mapping=columns)
        if "start" not in header and "date" not in header:
            raise ImportRefused("missing column(s): a start, or a date and a start_time")
        for row in records:
            report.rows += 1
            errors: list[RowError] = []
            found = _csv_appointment(row, errors)
            report.errors.extend(errors)
            if found is not None:
                appointments.append(found)
    matched = _match(user, source, appointments, report)
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        _store(user, source, matched)
    report.stored = True
    return report


def _match(
    user: Any, source: str, appointments: list[Appointment], report: ScheduleReport
) -> list[tuple[Appointment, Episode, Session | None]]:
    clients: dict[str, Client] = {
        c.practice_ref: c
        for c in visible_clients(user, write=True)
        .exclude(practice_ref="")
        .select_related("therapist")
    }
    open_episodes = {
        e.client_id: e
        for e in Episode.objects.select_related("practice").filter(
            client__in=list(clients.values()), status=Episode.Status.OPEN
        )
    }
    practices = {c.practice_id for c in clients.values()}
    existing = {
        s.source_appointment_id: s
        for s in Session.objects.filter(
            practice_id__in=practices,
            source_system=source,
            source_appointment_id__in=[a.source_id for a in appointments],
        )
    }
    out: list[tuple[Appointment, Episode, Session | None]] = []
    seen: dict[str, int] = {}
    # The sessions the file itself sets: each is checked at the time the file gives it.
    replaced = [s.pk for s in existing.values()]
    taken: dict[Any, list[tuple[dt.datetime, int]]] = {}  # earlier rows, by therapist
    for appointment in appointments:
        line = appointment.line
        person = clients.get(appointment.client_ref) if appointment.client_ref else None
        if not appointment.client_ref:
            reason = "required: clients are matched by practice id, never by name"
            report.errors.append(RowError(line, "client_ref", reason))
            continue
        if person is None:
            report.errors.append(RowError(line, "client_ref", "no client of yours has this id"))
            continue
        episode = open_episodes.get(person.pk)
        if episode is None:
            report.errors.append(RowError(line, "client_ref", "this client has no open episode"))
            continue
        if appointment.source_id in seen:
            reason = f"repeats the appointment of line {seen[appointment.source_id]}"
            report.errors.append(RowError(line, "appointment_id", reason))
            continue
        seen[appointment.source_id] = line
        session = existing.get(appointment.source_id)
        if session is not None and session.episode_id != episode.pk:
            report.errors.append(RowError(line, "appointment_id", "belongs to another client"))
            continue
        starts_at, minutes, status = _kept(session, appointment)
        if status in BUSY:
            clash = _clash(person, starts_at, minutes, replaced, taken.get(person.therapist_id))
            if clash is not None:
                name = person.therapist.first_name or "the therapist"
                reason = f"overlaps another session of {name} on {when(clash)}"
                report.errors.append(RowError(line, "start", reason))
                continue
            taken.setdefault(person.therapist_id, []).append((starts_at, minutes))
        if session is None:
            report.new += 1
        elif _changes(session, appointment):
            report.updated += 1
        else:
            report.unchanged += 1
        out.append((appointment, episode, session))
    return out


def _kept(session: Session | None, appointment: Appointment) -> tuple[dt.datetime, int, str]:
    """The start, length and status the session will have once imported. A session already
    marked (attended, no-show, late cancel) is history: it keeps its time, and its mark
    unless the source gives another mark (a correction, as by hand); it is never made
    scheduled or cancelled again (clinical/actions/sessions.py)."""
    if session is None or session.status not in ATTENDANCE:
        return appointment.starts_at, appointment.minutes, appointment.status
    status = appointment.status if appointment.status in ATTENDANCE else session.status
    return session.starts_at, session.duration_minutes, status


def _clash(
    person: Client,
    starts_at: dt.datetime,
    minutes: int,
    replaced: list[Any],
    earlier: list[tuple[dt.datetime, int]] | None,
) -> dt.datetime | None:
    """The start of a scheduled or attended session of the client's therapist that this time
    overlaps: an earlier row of the file, or a stored session the file does not set again."""
    for other_at, other in earlier or ():
        if overlaps(starts_at, minutes, other_at, other):
            return other_at
    stored = overlapping(person.therapist_id, starts_at, minutes, but=replaced)
    return stored.starts_at if stored is not None else None


def _changes(session: Session, appointment: Appointment) -> dict[str, Any]:
    starts_at, minutes, status = _kept(session, appointment)
    wanted = {"starts_at": starts_at, "duration_minutes": minutes, "status": status}
    return {k: v for k, v in wanted.items() if getattr(session, k) != v}


def _store(
    user: Any, source: str, matched: list[tuple[Appointment, Episode, Session | None]]
) -> None:
    touched: dict[Any, Episode] = {}
    for appointment, episode, session in matched:
        touched[episode.pk] = episode
        # Ids, the source, the new version and the names of the fields changed: never a value.
        detail: dict[str, Any] = {"episode": episode.pk, "source": source}
        if session is None:
            session = Session.objects.create(
                practice_id=episode.practice_id,
                episode=episode,
                starts_at=appointment.starts_at,
                duration_minutes=appointment.minutes,
                status=appointment.status,
                source_system=source,
                source_appointment_id=appointment.source_id,
            )
            action = "session.import"
            detail["version"] = session.version
        else:
            changes = _changes(session, appointment)
            if not changes:
                continue
            Session.objects.filter(pk=session.pk).update(version=F("version") + 1, **changes)
            action = "session.import_update"
            detail["version"] = session.version + 1
            detail["changed"] = sorted(changes)
        audit.record(
            practice=episode.practice,
            actor=user,
            action=action,
            target_type="clinical.session",
            target_id=session.pk,
            detail=detail,
        )
    # The caseload's "next session" follows the imported schedule, as it follows one added by hand.
    for episode in touched.values():
        refresh_session_summary(episode, timezone.now())
