"""Reads of the rights app. The privacy officer reads the requests of their practices;
anything else is Http404, exactly like "not there"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Value
from django.http import Http404

from plusone.accounts.queries import privacy_practices
from plusone.clinical.queries import visible_clients
from plusone.notes.models import SECTION_LABELS, SECTIONS, SessionNote
from plusone.rights import clock
from plusone.rights.models import AccessRequest, CorrectionRequest, NoteCorrection
from plusone.web.ids import uuid_or_404

OPEN = ("open", "extended")


def access_request(user: Any, request_id: Any) -> AccessRequest:
    """The access request if ``user`` is privacy officer of its practice; else Http404."""
    found = (
        AccessRequest.objects.select_related("client", "practice", "recorded_by", "closed_by")
        .filter(pk=uuid_or_404(request_id), practice__in=privacy_practices(user))
        .first()
    )
    if found is None:
        raise Http404
    return found


def access_correction(user: Any, correction_id: Any) -> CorrectionRequest:
    """The correction request if ``user`` is privacy officer of its practice; else Http404."""
    found = (
        CorrectionRequest.objects.select_related(
            "client", "practice", "note", "note__session", "recorded_by", "closed_by"
        )
        .filter(pk=uuid_or_404(correction_id), practice__in=privacy_practices(user))
        .first()
    )
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class Due:
    """One open request on a list, with its clock."""

    kind: str
    request: AccessRequest | CorrectionRequest
    urgency: clock.Urgency

    @property
    def overdue(self) -> bool:
        return self.urgency is clock.Urgency.OVERDUE


def officer_requests(user: Any, today: dt.date) -> tuple[list[Due], list[Any]]:
    """Open requests of the officer's practices, earliest due first (so overdue first),
    and the closed ones, most recent first."""
    practices = privacy_practices(user)
    access = list(AccessRequest.objects.select_related("client").filter(practice__in=practices))
    corrections = list(
        CorrectionRequest.objects.select_related("client").filter(practice__in=practices)
    )
    open_rows = [
        Due(kind, r, clock.urgency(r.due_on, today))
        for kind, rows in (("access", access), ("correction", corrections))
        for r in rows
        if r.status in OPEN
    ]
    open_rows.sort(key=lambda d: (d.request.due_on, d.request.received_on))
    closed = [r for r in access + corrections if r.status not in OPEN]
    closed.sort(key=lambda r: (r.closed_on, r.created_at), reverse=True)
    return open_rows, closed


@dataclass(frozen=True)
class TherapistReminder:
    kind: str
    client_name: str
    due_on: dt.date
    urgency: clock.Urgency


def reminders_for_therapist(user: Any, today: dt.date) -> list[TherapistReminder]:
    """Open requests about the therapist's own clients that are overdue or due within
    7 days, in one query (the caseload's query count is pinned)."""
    clients = visible_clients(user, write=True)
    horizon = today + dt.timedelta(days=clock.DUE_SOON_DAYS)
    fields = ("due_on", "client__preferred_name", "client__given_name", "client__family_name")
    open_soon = {"client__in": clients, "status__in": OPEN, "due_on__lte": horizon}
    access = (
        AccessRequest.objects.filter(**open_soon)
        .annotate(kind=Value("access", output_field=CharField()))
        .order_by()
        .values_list("kind", *fields)
    )
    corrections = (
        CorrectionRequest.objects.filter(**open_soon)
        .annotate(kind=Value("correction", output_field=CharField()))
        .order_by()
        .values_list("kind", *fields)
    )
    rows = access.union(corrections, all=True)
    out = [
        TherapistReminder(kind, f"{preferred or given} {family}", due, clock.urgency(due, today))
        for kind, due, preferred, given, family in rows
    ]
    return sorted(out, key=lambda r: r.due_on)


@dataclass(frozen=True)
class SectionView:
    """One section of a signed note as shown: the signed text, then each correction."""

    name: str
    label: str
    signed_text: str
    corrections: list[NoteCorrection]

    @property
    def current(self) -> str:
        return self.corrections[-1].new_text if self.corrections else self.signed_text


@dataclass(frozen=True)
class NoteRights:
    sections: list[SectionView]
    statements: list[CorrectionRequest]


def note_rights(note: SessionNote) -> NoteRights:
    """The signed note's sections with their struck-through versions, and every statement
    of disagreement attached to it (two queries)."""
    by_section: dict[str, list[NoteCorrection]] = {}
    for c in NoteCorrection.objects.filter(note=note).select_related("author"):
        by_section.setdefault(c.section, []).append(c)
    sections = [
        SectionView(name, SECTION_LABELS[name], getattr(note, name), by_section.get(name, []))
        for name in SECTIONS
        if getattr(note, name) or by_section.get(name)
    ]
    statements = list(
        CorrectionRequest.objects.filter(note=note, status="refused")
        .exclude(statement="")
        .order_by("statement_received_on")
    )
    return NoteRights(sections, statements)


def notes_of(client: Any) -> list[SessionNote]:
    """The client's signed notes, oldest first (to name the note a correction is about)."""
    return list(
        SessionNote.objects.filter(episode__client=client)
        .select_related("session")
        .order_by("session__starts_at")
    )


def statements_for(client: Any) -> list[CorrectionRequest]:
    """The client's statements of disagreement with refused corrections, oldest first,
    each with the note it is about (if any), in one query: shown on the journey."""
    return list(
        CorrectionRequest.objects.filter(client=client, status="refused")
        .exclude(statement="")
        .select_related("note__session")
        .order_by("statement_received_on", "created_at")
    )
