"""The client's own choices about how PlusOne speaks to them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plusone import audit
from plusone.clinical.models import Client, Language


def set_language(*, client: Client, language: str, actor: Any) -> Client:
    """Store the client's language ("en" or "fr"); a no-op when it is already theirs.

    ``actor`` is the client's portal user, a "token:<uuid>" for a link holder, or a
    staff user recording it for them.
    """
    if language not in Language.values:
        raise ValueError(f"unknown language: {language!r}")
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if locked.language == language:
            return locked
        locked.language = language
        locked.save(update_fields=["language"])
        audit.record(
            practice=locked.practice,
            actor=actor,
            action="client.language_set",
            target_type="client",
            target_id=locked.pk,
            detail={"language": language},
        )
    return locked


def set_contact(*, user: Any, client: Client, practice_ref: str, phone: str) -> Client:
    """Store the practice's own id for the client (what imports match on) and their mobile
    number (E.164, for SMS on a consented channel); "" clears either. The audit row says
    what changed, never the values."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        taken = (
            Client.objects.filter(practice_id=locked.practice_id, practice_ref=practice_ref)
            .exclude(pk=locked.pk)
            .exists()
        )
        if practice_ref and taken:
            raise ValidationError({"practice_ref": "Another client in this practice has this id."})
        changed = [
            name
            for name, value in (("practice_ref", practice_ref), ("phone", phone))
            if getattr(locked, name) != value
        ]
        if not changed:
            return locked
        locked.practice_ref, locked.phone = practice_ref, phone
        locked.save(update_fields=changed)
        audit.record(
            practice=locked.practice,
            actor=user,
            action="client.contact_set",
            target_type="client",
            target_id=locked.pk,
            detail={"changed": changed},
        )
    return locked
