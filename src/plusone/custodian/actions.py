"""Writes of the custodian app, each with its audit row in the same transaction.

Audit ``detail`` holds ids, choice values and counts only: never a name, a
recipient or any text about a client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Membership, Practice, Role
from plusone.clinical.models import Client
from plusone.custodian import queries, walk
from plusone.custodian.models import (
    DestructionCertificate,
    Disclosure,
    Incident,
    IncidentClient,
    LegalBasis,
    LegalHold,
    RetentionSettings,
)
from plusone.custodian.rules import RULES
from plusone.lockbox.queries import disclosure_notice


class Refused(Exception):
    """An act the rules do not allow now; the message says why, for the person."""


def _may_record_disclosure(user: Any, client: Client) -> bool:
    """The treating therapist, or a privacy officer of the client's practice."""
    roles = set(
        Membership.objects.filter(user=user, practice=client.practice_id).values_list(
            "role", flat=True
        )
    )
    treating = Role.THERAPIST in roles and client.therapist_id == user.pk
    return treating or Role.PRIVACY_OFFICER in roles


@dataclass(frozen=True)
class DisclosureData:
    recipient_name: str
    recipient_organisation: str
    legal_basis: str
    legal_basis_other: str
    content: str
    disclosed_on: dt.date
    corrects: Disclosure | None = None


def record_disclosure(*, user: Any, client: Client, data: DisclosureData) -> Disclosure:
    """Log one disclosure of ``client``'s health information, with the lockbox notice
    that went with it (PHIPA: any disclosure says some information was withheld)."""

    if not _may_record_disclosure(user, client):
        raise Refused("Only the treating therapist or the privacy officer records a disclosure.")
    if data.corrects is not None and data.corrects.client_id != client.pk:
        raise Refused("A correction must refer to a disclosure about the same client.")
    if data.legal_basis == LegalBasis.OTHER and not data.legal_basis_other.strip():
        raise Refused("Name the law that required the disclosure.")
    with transaction.atomic():
        row = Disclosure.objects.create(
            practice_id=client.practice_id,
            client=client,
            recipient_name=data.recipient_name.strip(),
            recipient_organisation=data.recipient_organisation.strip(),
            legal_basis=data.legal_basis,
            legal_basis_other=(
                data.legal_basis_other.strip() if data.legal_basis == LegalBasis.OTHER else ""
            ),
            content=data.content.strip(),
            disclosed_on=data.disclosed_on,
            disclosed_by=user,
            recorded_at=timezone.now(),
            lockbox_notice=disclosure_notice(client) or "",
            corrects=data.corrects,
        )
        audit.record(
            practice=client.practice,
            actor=user,
            action="disclosure.record",
            target_type="clinical.client",
            target_id=client.pk,
            detail={
                "disclosure_id": row.pk,
                "legal_basis": row.legal_basis,
                "lockbox_notice": bool(row.lockbox_notice),
                "corrects": row.corrects_id or "",
            },
        )
    return row


@dataclass(frozen=True)
class IncidentData:
    category: str
    discovered_on: dt.date
    description: str
    clients_affected: int
    trigger: str
    ipc_notified_on: dt.date | None = None
    clients_notified_on: dt.date | None = None
    notification_method: str = ""
    containment: str = ""
    clients: list[Client] = field(default_factory=list)


def record_incident(*, user: Any, practice: Practice, data: IncidentData) -> Incident:
    """Register one privacy breach of ``practice``."""
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            practice=practice,
            category=data.category,
            discovered_on=data.discovered_on,
            description=data.description.strip(),
            clients_affected=data.clients_affected,
            trigger=data.trigger,
            ipc_notified_on=data.ipc_notified_on,
            clients_notified_on=data.clients_notified_on,
            notification_method=data.notification_method,
            containment=data.containment.strip(),
            recorded_by=user,
            recorded_at=now,
            updated_at=now,
        )
        _link_clients(incident, data.clients)
        audit.record(
            practice=practice,
            actor=user,
            action="incident.record",
            target_type="custodian.incident",
            target_id=incident.pk,
            detail={
                "category": incident.category,
                "trigger": incident.trigger,
                "clients_affected": incident.clients_affected,
                "clients_linked": len(data.clients),
            },
        )
    return incident


def _link_clients(incident: Incident, clients: list[Client]) -> None:
    have = set(incident.links.values_list("client_id", flat=True))
    IncidentClient.objects.bulk_create(
        [
            IncidentClient(incident=incident, client=c)
            for c in clients
            if c.pk not in have and c.practice_id == incident.practice_id
        ]
    )


def update_incident(*, user: Any, incident: Incident, data: IncidentData) -> Incident:
    """Record the IPC report, the client notice, containment and known clients."""
    with transaction.atomic():
        incident.trigger = data.trigger
        incident.clients_affected = data.clients_affected
        incident.ipc_notified_on = data.ipc_notified_on
        incident.clients_notified_on = data.clients_notified_on
        incident.notification_method = data.notification_method
        incident.containment = data.containment.strip()
        incident.updated_at = timezone.now()
        incident.save()
        _link_clients(incident, data.clients)
        audit.record(
            practice=incident.practice,
            actor=user,
            action="incident.update",
            target_type="custodian.incident",
            target_id=incident.pk,
            detail={
                "trigger": incident.trigger,
                "clients_affected": incident.clients_affected,
                "ipc_notified": incident.ipc_notified_on is not None,
                "clients_notified": incident.clients_notified_on is not None,
            },
        )
    return incident


def set_college(*, user: Any, practice: Practice, college: str) -> RetentionSettings:
    """Set the practice's governing College, and so its retention rule."""
    with transaction.atomic():
        row, _ = RetentionSettings.objects.update_or_create(
            practice=practice, defaults={"college": college}
        )
        audit.record(
            practice=practice,
            actor=user,
            action="retention.college",
            target_type="accounts.practice",
            target_id=practice.pk,
            detail={"college": college},
        )
    return row


def place_hold(*, user: Any, client: Client, reason: str) -> LegalHold:
    """Place a legal hold: the client's record cannot be destroyed until it is released."""
    reason = reason.strip()
    if not reason:
        raise Refused("Give the reason for the hold.")
    with transaction.atomic():
        hold = LegalHold.objects.create(
            practice_id=client.practice_id,
            client=client,
            reason=reason,
            placed_by=user,
            placed_at=timezone.now(),
        )
        audit.record(
            practice=client.practice,
            actor=user,
            action="legal_hold.place",
            target_type="clinical.client",
            target_id=client.pk,
            detail={"hold_id": hold.pk},
        )
    return hold


def release_hold(*, user: Any, hold: LegalHold, reason: str) -> LegalHold:
    """Release a legal hold, with the reason it no longer applies."""
    reason = reason.strip()
    if not reason:
        raise Refused("Give the reason the hold is released.")
    if not hold.active:
        raise Refused("This hold was already released.")
    with transaction.atomic():
        hold.released_by = user
        hold.released_at = timezone.now()
        hold.release_reason = reason
        hold.save()
        audit.record(
            practice=hold.practice,
            actor=user,
            action="legal_hold.release",
            target_type="clinical.client",
            target_id=hold.client_id,
            detail={"hold_id": hold.pk},
        )
    return hold


def destruction_method() -> str:
    """What destruction does to the data, honestly, for this database."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            on = bool(cursor.fetchone()[0])
        store = (
            "SQLite with secure delete on (freed pages are overwritten with zeros)"
            if on
            else "SQLite row deletion with secure delete off (freed pages may keep old bytes)"
        )
    else:
        store = "PostgreSQL row deletion (the space is reclaimed by VACUUM)"
    return (
        f"Rows deleted in one transaction: {store}. Backups taken before today still "
        "contain the record until they age out under the backup policy. The audit "
        "trail keeps its events about this client: ids and actions, no health information."
    )


def _basis(position: queries.Retention) -> str:
    """The retention basis in words, without the date of birth (the certificate keeps
    the year only)."""
    rule = RULES[position.college]
    text = (
        f"{position.college.name}: keep {rule.after_last_contact} years after the last "
        f"contact ({position.last_contact}, ending {position.end.by_last_contact})"
    )
    if rule.after_majority is not None and position.end.by_majority is not None:
        text += (
            f", or {rule.after_majority} years after the 18th birthday (ending "
            f"{position.end.by_majority:%Y}), whichever is later"
        )
    return f"{text}. Retention ended {position.end.ends_on}. Source: {rule.source}."


def _remove_portal_user(portal_user: Any) -> int:
    """Delete the client's portal sign-in; if a row elsewhere still protects it, strip
    it of the name and address and disable it instead."""
    try:
        with transaction.atomic():
            portal_user.delete()
    except (ProtectedError, IntegrityError):
        portal_user.first_name = portal_user.last_name = ""
        portal_user.email = f"destroyed-{portal_user.pk}@invalid.invalid"
        portal_user.is_active = False
        portal_user.set_unusable_password()
        portal_user.save()
    return 1


def _initials(client: Client) -> str:
    return "".join(part[:1].upper() for part in (client.given_name, client.family_name))


def destroy_client(
    *, user: Any, client: Client, confirm_name: str, today: dt.date
) -> DestructionCertificate:
    """Destroy one client's record and leave a certificate that names it pseudonymously.

    Refused while a legal hold is active, before the retention end date, or when
    ``confirm_name`` is not the client's display name. Deletes every row that
    references the client (found by :mod:`plusone.custodian.walk`) in one
    transaction with the certificate and the audit row.
    """
    if confirm_name.strip() != client.display_name:
        raise Refused("Type the client's name exactly as shown to confirm.")
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if LegalHold.objects.filter(client=locked, released_at__isnull=True).exists():
            raise Refused("A legal hold is active: release it before destroying this record.")
        position = queries.retention_for([locked])[0]
        if not position.due(today):
            raise Refused(
                f"The retention period ends on {position.end.ends_on}: "
                "the record cannot be destroyed before then."
            )
        portal_user = locked.portal_user
        doomed = walk.collect(locked)
        counts = walk.destroy(doomed)
        if portal_user is not None and not portal_user.memberships.exists():
            counts["accounts.User"] = _remove_portal_user(portal_user)
        certificate = DestructionCertificate.objects.create(
            practice_id=locked.practice_id,
            client_ref=locked.pk,
            initials=_initials(locked),
            birth_year=locked.date_of_birth.year,
            destroyed=counts,
            college=position.college.value,
            last_contact=position.last_contact,
            retention_end=position.end.ends_on,
            basis=_basis(position),
            method=destruction_method(),
            authorised_by=user,
            destroyed_at=timezone.now(),
        )
        audit.record(
            practice=locked.practice,
            actor=user,
            action="retention.destroy",
            target_type="clinical.client",
            target_id=locked.pk,
            detail={
                "certificate_id": certificate.pk,
                "rows": sum(counts.values()),
                "kinds": [f"{label}:{n}" for label, n in sorted(counts.items())],
            },
        )
    return certificate
