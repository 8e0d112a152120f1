"""Reads of consent directives, and what the other read paths ask of them.

Decisions (docs/lockbox.md):

- The treating therapist sees the whole record: a directive limits use and
  disclosure to *others* (PHIPA ss. 37(1)(a), 38(1)(a), 50(1)(e)).
- Anyone else who reads the record (a supervisor under consent, an admin through
  break-glass) sees a marker in place of each withheld part, never silence.
- An admin's break-glass grant with a permitted purpose (``OVERRIDE_PURPOSES``:
  PHIPA s.40(1) risk of serious bodily harm, or required by law) lifts the markers.
- A clinician named in a directive cannot open the record at all
  (``plusone.clinical.queries`` excludes it, so it answers 404).
- Risk flags are never withheld from the treating therapist or from whoever covers
  the flag: the covering page reads them outside these rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from plusone.accounts.models import Membership, Role
from plusone.clinical.models import Client
from plusone.lockbox.models import ConsentDirective, Scope
from plusone.privacy.models import OVERRIDE_PURPOSES
from plusone.privacy.queries import break_glass_client_ids
from plusone.web.ids import uuid_or_404

WITHHELD_NOTICE = "Some information withheld at the client's request."
WITHHELD_MARKER = "Withheld at the client's request"


def disclosure_notice(client: Any) -> str | None:
    """The notice "Some information withheld at the client's request." when any
    directive is in force for this client, else None. Every disclosure carries it."""

    if ConsentDirective.objects.in_force().filter(client=client).exists():
        return WITHHELD_NOTICE
    return None


@dataclass(frozen=True)
class Withholding:
    """What of one client's record one reader may not see: everything, or some items."""

    record: bool = False
    items: frozenset[tuple[str, uuid.UUID]] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.record or bool(self.items)

    def hides(self, kind: str, item_id: Any) -> bool:
        """True when the item (``ItemKind`` value, primary key) must show as a marker."""
        return self.record or (kind, item_id) in self.items


NOTHING = Withholding()


def _overridden(user: Any, client: Any, now: dt.datetime) -> bool:
    """True when ``user`` holds an unexpired break-glass grant for ``client`` with a
    purpose that overrides a consent directive."""

    return (
        break_glass_client_ids(user, now)
        .filter(client=client, purpose__in=OVERRIDE_PURPOSES)
        .exists()
    )


def withheld_from(user: Any, client: Any, *, now: dt.datetime | None = None) -> Withholding:
    """What of ``client``'s record ``user`` (who already passed ``access_*``) may not see.

    Nothing for the treating therapist (no query), nothing under a break-glass grant
    with a permitted purpose; otherwise every item and whole-record directive in force.
    """

    if client.therapist_id == getattr(user, "pk", None):
        return NOTHING
    rows = list(
        ConsentDirective.objects.in_force()
        .filter(client=client, scope__in=(Scope.ITEM, Scope.RECORD))
        .values_list("scope", "item_kind", "item_id")
    )
    if not rows or _overridden(user, client, now or timezone.now()):
        return NOTHING
    return Withholding(
        record=any(scope == Scope.RECORD for scope, _, _ in rows),
        items=frozenset((kind, item_id) for scope, kind, item_id in rows if scope == Scope.ITEM),
    )


def named_clinician_block(user: Any, client_ref: str = "pk") -> Q:
    """A Q over Client (``client_ref`` reaching its pk) true where a directive in force
    withholds the record from ``user`` by name."""

    named = ConsentDirective.objects.in_force().filter(
        client=OuterRef(client_ref), scope=Scope.CLINICIAN, clinician=user
    )
    return Q(Exists(named))


def can_manage(user: Any, client: Any) -> bool:
    """True for the client's treating therapist and the practice's privacy officer."""
    if not getattr(user, "is_authenticated", False):
        return False
    if client.therapist_id == user.pk:
        return True
    return Membership.objects.filter(
        user=user, practice_id=client.practice_id, role=Role.PRIVACY_OFFICER
    ).exists()


def access_managed_client(user: Any, client_id: Any, *, officer: bool) -> Any:
    """The client whose directives ``user`` may list and change; else Http404.

    With ``officer``: a client of a practice where ``user`` is privacy officer;
    without: a client ``user`` treats, in a practice where they are a therapist.
    """

    if not getattr(user, "is_authenticated", False):
        raise Http404
    role = Role.PRIVACY_OFFICER if officer else Role.THERAPIST
    practices = Membership.objects.filter(user=user, role=role).values("practice")
    mine = Q(practice__in=practices) if officer else Q(practice__in=practices, therapist=user)
    found = (
        Client.objects.filter(mine, pk=uuid_or_404(client_id))
        .select_related("therapist", "practice")
        .first()
    )
    if found is None:
        raise Http404
    return found


def directives_for(client: Any) -> QuerySet[Any]:
    """Every directive of ``client``, in force and withdrawn, newest first."""

    return ConsentDirective.objects.filter(client=client).select_related(
        "clinician", "recorded_by", "withdrawn_by"
    )


def access_directive(user: Any, directive_id: Any, *, officer: bool) -> Any:
    """A directive whose client ``user`` manages (see ``access_managed_client``); else Http404."""

    found = (
        ConsentDirective.objects.select_related("client")
        .filter(pk=uuid_or_404(directive_id))
        .first()
    )
    if found is None:
        raise Http404
    found.client = access_managed_client(user, found.client_id, officer=officer)
    return found
