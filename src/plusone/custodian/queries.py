"""Reads of the custodian app. "Not yours" raises Http404, exactly like "not there".

The privacy officer reads the registers of the practices where they hold that
role; a therapist reads the disclosures of their own clients only
(:func:`plusone.clinical.queries.access_client` with ``write=True``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.accounts.queries import privacy_practices
from plusone.clinical.models import Client, Decision, Session
from plusone.custodian.models import (
    DestructionCertificate,
    Disclosure,
    GoverningCollege,
    Incident,
    IncidentCategory,
    LegalHold,
    RetentionSettings,
)
from plusone.custodian.rules import College, RetentionEnd, retention_end
from plusone.measures.models import Administration, Respondent
from plusone.web.ids import uuid_or_404


def officer_practices(user: Any) -> QuerySet[Practice]:
    """Practices whose registers ``user`` keeps as privacy officer."""

    return privacy_practices(user)


def officer_practice(user: Any) -> Practice:
    """The (first) practice where ``user`` is privacy officer; Http404 if none."""
    practice = officer_practices(user).order_by("pk").first()
    if practice is None:
        raise Http404
    return practice


def officer_clients(user: Any) -> QuerySet[Client]:
    """Every client of the officer's practices (names and dates, never clinical content)."""
    return Client.objects.filter(practice__in=officer_practices(user))


def access_officer_client(user: Any, client_id: Any) -> Client:
    """A client of the officer's practices; else Http404."""
    found = officer_clients(user).filter(pk=uuid_or_404(client_id)).first()
    if found is None:
        raise Http404
    return found


def client_disclosures(client: Client) -> list[Disclosure]:
    """One client's disclosures, newest first (the caller has checked access)."""
    return list(Disclosure.objects.filter(client=client).select_related("disclosed_by", "corrects"))


def practice_disclosures(
    user: Any,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    legal_basis: str = "",
    client: Client | None = None,
) -> list[Disclosure]:
    """The officer's practice-wide disclosure log, optionally filtered."""
    rows = Disclosure.objects.filter(practice__in=officer_practices(user))
    if start:
        rows = rows.filter(disclosed_on__gte=start)
    if end:
        rows = rows.filter(disclosed_on__lte=end)
    if legal_basis:
        rows = rows.filter(legal_basis=legal_basis)
    if client is not None:
        rows = rows.filter(client=client)
    return list(rows.select_related("client", "disclosed_by", "corrects"))


def incidents(user: Any) -> list[Incident]:
    """The officer's incident register: clients still to be notified first, then newest."""
    rows = list(
        Incident.objects.filter(practice__in=officer_practices(user)).prefetch_related(
            "links__client"
        )
    )
    # PHIPA s.12(2): notice at the first reasonable opportunity, so the unnotified lead.
    return sorted(rows, key=lambda i: (not i.clients_unnotified, -i.discovered_on.toordinal()))


def access_incident(user: Any, incident_id: Any) -> Incident:
    found = (
        Incident.objects.filter(pk=uuid_or_404(incident_id), practice__in=officer_practices(user))
        .prefetch_related("links__client")
        .first()
    )
    if found is None:
        raise Http404
    return found


def yearly_counts(user: Any, year: int) -> dict[str, int]:
    """Incidents discovered in calendar ``year``, counted by category (every category, 0s too)."""
    found = Counter(
        Incident.objects.filter(
            practice__in=officer_practices(user), discovered_on__year=year
        ).values_list("category", flat=True)
    )
    return {value: found.get(value, 0) for value in IncidentCategory.values}


def college_of(practice: Practice) -> College:
    """The practice's governing College (CRPO until the practice says otherwise)."""
    found = RetentionSettings.objects.filter(practice=practice).first()
    return College(found.college if found else GoverningCollege.CRPO)


def last_contacts(clients: list[Client]) -> dict[uuid.UUID, dt.date]:
    """Each client's last contact: the latest attended session, administration the client
    answered (check-in or kiosk) or decision date; with none, the day the client was added.

    An observer's answers are not contact with the client."""

    ids = [c.pk for c in clients]
    tz = timezone.get_current_timezone()
    latest: dict[uuid.UUID, dt.date] = {
        c.pk: timezone.localtime(c.created_at, tz).date() for c in clients
    }
    seen: dict[uuid.UUID, dt.date] = {}

    def keep(cid: uuid.UUID, day: dt.date | None) -> None:
        if day is not None and (cid not in seen or day > seen[cid]):
            seen[cid] = day

    sessions = (
        Session.objects.filter(episode__client__in=ids, status=Session.Status.ATTENDED)
        .values("episode__client")
        .annotate(last=Max("starts_at"))
    )
    for row in sessions:
        keep(row["episode__client"], timezone.localtime(row["last"], tz).date())
    administrations = (
        Administration.objects.filter(client__in=ids, respondent=Respondent.CLIENT)
        .values("client")
        .annotate(last=Max("completed_at"))
    )
    for row in administrations:
        keep(row["client"], timezone.localtime(row["last"], tz).date())
    decisions = (
        Decision.objects.filter(episode__client__in=ids)
        .values("episode__client")
        .annotate(last=Max("decided_on"))
    )
    for row in decisions:
        keep(row["episode__client"], row["last"])
    latest.update(seen)
    return latest


@dataclass(frozen=True)
class Retention:
    """One client's retention position."""

    client: Client
    last_contact: dt.date
    college: College
    end: RetentionEnd
    holds: list[LegalHold]

    @property
    def active_holds(self) -> list[LegalHold]:
        return [h for h in self.holds if h.active]

    def due(self, today: dt.date) -> bool:
        return self.end.ends_on <= today


def retention_for(clients: list[Client]) -> list[Retention]:
    """The retention position of each client, in the order given (a fixed number of queries)."""
    contacts = last_contacts(clients)
    colleges: dict[uuid.UUID, College] = {}
    for practice_id in {c.practice_id for c in clients}:
        colleges[practice_id] = college_of(Practice(pk=practice_id))
    holds: dict[uuid.UUID, list[LegalHold]] = {c.pk: [] for c in clients}
    for hold in LegalHold.objects.filter(client__in=[c.pk for c in clients]).select_related(
        "placed_by", "released_by"
    ):
        holds[hold.client_id].append(hold)
    rows = []
    for c in clients:
        college = colleges[c.practice_id]
        end = retention_end(college, last_contact=contacts[c.pk], born=c.date_of_birth)
        rows.append(Retention(c, contacts[c.pk], college, end, holds[c.pk]))
    return rows


def retention_due(user: Any, *, today: dt.date, within_days: int) -> list[Retention]:
    """Clients of the officer's practices whose retention ends by ``today + within_days``,
    soonest first, with their legal holds."""
    horizon = today + dt.timedelta(days=within_days)
    rows = retention_for(list(officer_clients(user).order_by("pk")))
    due = [r for r in rows if r.end.ends_on <= horizon]
    return sorted(due, key=lambda r: (r.end.ends_on, r.client.family_name))


def access_hold(user: Any, hold_id: Any) -> LegalHold:
    found = (
        LegalHold.objects.select_related("client")
        .filter(pk=uuid_or_404(hold_id), practice__in=officer_practices(user))
        .first()
    )
    if found is None:
        raise Http404
    return found


def certificates(user: Any) -> list[DestructionCertificate]:
    return list(
        DestructionCertificate.objects.filter(practice__in=officer_practices(user)).select_related(
            "authorised_by", "practice"
        )
    )


def access_certificate(user: Any, certificate_id: Any) -> DestructionCertificate:
    found = (
        DestructionCertificate.objects.select_related("authorised_by", "practice")
        .filter(pk=uuid_or_404(certificate_id), practice__in=officer_practices(user))
        .first()
    )
    if found is None:
        raise Http404
    return found
