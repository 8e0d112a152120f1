"""Writes of consent directives, each with its audit row in the same transaction.

The audit row names the directive and its scope, never the client's words: the
optional note is stored encrypted on the directive only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Membership
from plusone.clinical.models import Goal, Session
from plusone.lockbox.models import ConsentDirective, ItemKind, Scope
from plusone.lockbox.queries import can_manage
from plusone.measures.models import Administration, Respondent

TREATING_THERAPIST_MESSAGE = (
    "A directive cannot name the client's treating therapist. If the client no longer "
    "wants them to see the record, transfer the client's care to another therapist first."
)


def item_exists(client: Any, kind: str, item_id: uuid.UUID) -> bool:
    """True when ``(kind, item_id)`` names one of ``client``'s items.

    A note is named by its session (the draft, the signed note and its addenda),
    a goal by its ``goal_id`` (every version), a measure or an observer's answers
    by the administration.
    """

    if kind == ItemKind.NOTE:
        return Session.objects.filter(pk=item_id, episode__client=client).exists()
    if kind == ItemKind.GOAL:
        return Goal.objects.filter(goal_id=item_id, episode__client=client).exists()
    administrations = Administration.objects.filter(pk=item_id, client=client)
    if kind == ItemKind.OBSERVER_ANSWER:
        return administrations.filter(respondent=Respondent.OBSERVER).exists()
    if kind == ItemKind.ADMINISTRATION:
        return administrations.exclude(respondent=Respondent.OBSERVER).exists()
    return False


def _check(
    client: Any, scope: str, item_kind: str, item_id: uuid.UUID | None, clinician: Any
) -> None:
    if scope not in Scope.values:
        raise ValidationError("Choose what the client withholds.")
    if scope == Scope.ITEM and (
        item_kind not in ItemKind.values
        or item_id is None
        or not item_exists(client, item_kind, item_id)
    ):
        raise ValidationError("Choose the item the client withholds from this client's record.")
    if scope == Scope.CLINICIAN:
        if clinician is None:
            raise ValidationError("Choose the clinician the client withholds the record from.")
        if clinician.pk == client.therapist_id:
            raise ValidationError(TREATING_THERAPIST_MESSAGE)
        if not Membership.objects.filter(user=clinician, practice_id=client.practice_id).exists():
            raise ValidationError("The clinician must be a member of the client's practice.")


def record_directive(
    *,
    user: Any,
    client: Any,
    scope: str,
    instructed_on: dt.date,
    now: dt.datetime,
    item_kind: str = "",
    item_id: uuid.UUID | None = None,
    clinician: Any = None,
    note: str = "",
) -> ConsentDirective:
    """Record the client's instruction to withhold an item, the record, or access by a
    clinician. Only the treating therapist or a privacy officer of the practice may.

    Raises Http404 for anyone else, and ValidationError (with a message for the form)
    for an item not in this record, the treating therapist as the named clinician, a
    date in the future, or the same directive already in force.
    """
    if not can_manage(user, client):
        raise Http404
    if scope != Scope.ITEM:
        item_kind, item_id = "", None
    if scope != Scope.CLINICIAN:
        clinician = None
    _check(client, scope, item_kind, item_id, clinician)
    if instructed_on > timezone.localdate(now):
        raise ValidationError("The date of the client's instruction cannot be in the future.")
    with transaction.atomic():
        same = ConsentDirective.objects.in_force().filter(
            client=client, scope=scope, item_kind=item_kind, item_id=item_id, clinician=clinician
        )
        if same.select_for_update().exists():
            raise ValidationError("This directive is already in force.")
        directive = ConsentDirective.objects.create(
            practice_id=client.practice_id,
            client=client,
            scope=scope,
            item_kind=item_kind,
            item_id=item_id,
            clinician=clinician,
            instructed_on=instructed_on,
            note=note.strip(),
            recorded_by=user,
            recorded_at=now,
        )
        audit.record(
            practice=client.practice,
            actor=user,
            action="lockbox.directive",
            target_type="clinical.client",
            target_id=client.pk,
            detail={"directive_id": directive.pk, "scope": scope, "item_kind": item_kind},
        )
    return directive


def withdraw_directive(*, user: Any, directive: ConsentDirective, now: dt.datetime) -> None:
    """Withdraw a directive on the client's instruction: the row stays, with who and when.

    Raises Http404 for anyone who may not manage the client's directives and
    ValidationError when it was already withdrawn.
    """
    client = directive.client
    if not can_manage(user, client):
        raise Http404
    with transaction.atomic():
        changed = ConsentDirective.objects.filter(
            pk=directive.pk, withdrawn_at__isnull=True
        ).update(withdrawn_at=now, withdrawn_by=user)
        if not changed:
            raise ValidationError("This directive was already withdrawn.")
        audit.record(
            practice=client.practice,
            actor=user,
            action="lockbox.withdraw",
            target_type="clinical.client",
            target_id=client.pk,
            detail={"directive_id": directive.pk, "scope": directive.scope},
        )
