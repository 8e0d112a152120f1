"""The client's own choices about how PlusOne speaks to them."""

from __future__ import annotations

from typing import Any

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
