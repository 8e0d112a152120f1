"""The exports, each audited in the transaction that builds it.

An identifiable export (the FHIR bundle, the scores CSV) leaves the practice, so it
is a disclosure: it needs a recipient and a legal basis, and enters the custodian's
disclosure log (one row per client it holds), with the lockbox notice when a consent
directive is in force. Administrations a directive withholds are left out. The
research export is de-identified: it is not a disclosure of any one client, and its
audit row records what went out (rows, courses, instruments). docs/interop.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import Client
from plusone.core.instruments import load_instrument
from plusone.custodian.actions import DisclosureData, Refused, record_disclosure
from plusone.custodian.models import LegalBasis
from plusone.interop import fhir, tables
from plusone.interop.queries import (
    access_export_client,
    access_export_episode,
    access_export_practice,
)
from plusone.interop.scope import Scope, administrations
from plusone.lockbox.models import ConsentDirective, ItemKind
from plusone.lockbox.models import Scope as DirectiveScope
from plusone.measures.models import Administration

__all__ = ["Export", "Format", "Recipient", "Refused", "export_client", "export_episode"]


class Format(enum.StrEnum):
    FHIR = "fhir"
    CSV = "csv"
    RESEARCH = "research"


@dataclass(frozen=True)
class Recipient:
    """Who an identifiable export goes to, and the law that allows it."""

    name: str
    legal_basis: str
    organisation: str = ""
    legal_basis_other: str = ""


@dataclass(frozen=True)
class Export:
    text: str
    filename: str
    content_type: str
    rows: int
    disclosures: int = 0


def _withheld(rows: Sequence[Administration]) -> list[Administration]:
    """Leave out what a consent directive in force withholds from others (docs/lockbox.md)."""
    clients = {r.client_id for r in rows}
    directives = ConsentDirective.objects.in_force().filter(
        client_id__in=clients, scope__in=(DirectiveScope.ITEM, DirectiveScope.RECORD)
    )
    whole = set()
    items = set()
    for scope, client_id, kind, item_id in directives.values_list(
        "scope", "client_id", "item_kind", "item_id"
    ):
        if scope == DirectiveScope.RECORD:
            whole.add(client_id)
        elif kind == ItemKind.ADMINISTRATION:
            items.add(item_id)
    return [r for r in rows if r.client_id not in whole and r.pk not in items]


def _content(fmt: Format, rows: Sequence[Administration]) -> str:
    """What was disclosed, in words for the log: kind, count, instruments and dates."""
    what = "FHIR R4B bundle" if fmt == Format.FHIR else "scores CSV"
    if not rows:
        return f"{what}: identification only, no administrations."
    names = ", ".join(sorted({load_instrument(r.instrument_key).short_title for r in rows}))
    first = timezone.localdate(min(r.completed_at for r in rows))
    last = timezone.localdate(max(r.completed_at for r in rows))
    return f"{what}: {len(rows)} administration(s) of {names}, {first} to {last}."


def _disclose(
    user: Any,
    rows: Sequence[Administration],
    clients: Sequence[Client],
    fmt: Format,
    recipient: Recipient,
    today: dt.date,
) -> int:
    by_client: dict[Any, list[Administration]] = defaultdict(list)
    for r in rows:
        by_client[r.client_id].append(r)
    for client in clients:
        record_disclosure(
            user=user,
            client=client,
            data=DisclosureData(
                recipient_name=recipient.name,
                recipient_organisation=recipient.organisation,
                legal_basis=recipient.legal_basis,
                legal_basis_other=recipient.legal_basis_other,
                content=_content(fmt, by_client[client.pk]),
                disclosed_on=today,
            ),
        )
    return len(clients)


def _check_recipient(recipient: Recipient | None) -> Recipient:
    if recipient is None or not recipient.name.strip():
        raise Refused("Name the recipient: an export of identifiable data is a disclosure.")
    if recipient.legal_basis not in LegalBasis.values:
        raise Refused("Choose the legal basis of the disclosure.")
    return recipient


def _identifiable(
    *, user: Any, scope: Scope, fmt: Format, recipient: Recipient | None, now: dt.datetime
) -> Export:
    if fmt not in (Format.FHIR, Format.CSV):
        raise Refused("This export is a FHIR bundle or a scores CSV.")
    who = _check_recipient(recipient)
    rows = _withheld(administrations(scope))
    if scope.kind == "practice":
        # Only the clients the file holds rows of are disclosed.
        clients = list(Client.objects.filter(pk__in={r.client_id for r in rows}).order_by("id"))
    else:
        clients = [scope.client or scope.episode.client]  # type: ignore[union-attr]
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    with transaction.atomic():
        if fmt == Format.FHIR:
            text = fhir.build_bundle(clients[0], rows, now=now).model_dump_json(indent=1)
            name, mime = f"plusone-{scope.kind}-{stamp}.fhir.json", "application/fhir+json"
        else:
            text = tables.scores_csv(rows)
            name, mime = f"plusone-{scope.kind}-scores-{stamp}.csv", "text/csv"
        count = _disclose(user, rows, clients, fmt, who, timezone.localdate(now))
        audit.record(
            practice=scope.practice,
            actor=user,
            action=f"export.{fmt}",
            target_type=f"{scope.target._meta.app_label}.{scope.target._meta.model_name}",
            target_id=scope.target.pk,
            detail={
                "format": str(fmt),
                "scope": scope.kind,
                "administrations": len(rows),
                "disclosures": count,
                "legal_basis": who.legal_basis,
            },
        )
    return Export(text, name, mime, len(rows), count)


def export_client(
    *,
    user: Any,
    client_id: Any,
    fmt: Format,
    recipient: Recipient | None,
    now: dt.datetime | None = None,
) -> Export:
    """One client's FHIR bundle or scores CSV, for their treating therapist (Http404 else)."""
    client = access_export_client(user, client_id)
    scope = Scope(client.practice, client=client)
    return _identifiable(
        user=user, scope=scope, fmt=fmt, recipient=recipient, now=now or timezone.now()
    )


def export_episode(
    *,
    user: Any,
    episode_id: Any,
    fmt: Format,
    recipient: Recipient | None,
    now: dt.datetime | None = None,
) -> Export:
    """One episode's FHIR bundle or scores CSV, for the client's treating therapist."""
    episode = access_export_episode(user, episode_id)
    scope = Scope(episode.client.practice, client=episode.client, episode=episode)
    return _identifiable(
        user=user, scope=scope, fmt=fmt, recipient=recipient, now=now or timezone.now()
    )


def export_practice(
    *,
    user: Any,
    fmt: Format,
    recipient: Recipient | None = None,
    practice_id: Any = None,
    now: dt.datetime | None = None,
) -> Export:
    """The practice's scores CSV (privacy officer; a disclosure per client) or its
    de-identified research export (the practice admin; audited, not a disclosure)."""
    now = now or timezone.now()
    if fmt == Format.FHIR:
        raise Refused("A FHIR bundle holds one client: export it from the client.")
    practice = access_export_practice(user, str(fmt), practice_id)
    scope = Scope(practice)
    if fmt == Format.CSV:
        return _identifiable(user=user, scope=scope, fmt=fmt, recipient=recipient, now=now)
    rows = administrations(scope)
    with transaction.atomic():
        result = tables.research_csv(rows)
        audit.record(
            practice=practice,
            actor=user,
            action="export.research",
            target_type="accounts.practice",
            target_id=practice.pk,
            detail={
                "format": "research",
                "rows": result.rows,
                "courses": result.pseudonyms,
                "instruments": list(result.instruments),
                "max_shift_days": tables.MAX_SHIFT_DAYS,
                "free_text": False,
            },
        )
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return Export(result.text, f"plusone-research-{stamp}.csv", "text/csv", result.rows)
