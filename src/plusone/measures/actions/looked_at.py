"""The therapist marks the results as looked at together with the client (issue 13).

A client who chose "after we look together" sees a sitting's scores in the portal
only once it is marked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from plusone import audit
from plusone.clinical.models import Episode
from plusone.measures.models import Sitting, SittingStatus


def mark_looked_at_together(*, user: Any, episode: Episode, now: dt.datetime) -> int:
    """Mark every completed sitting of ``episode`` not yet looked at (up to ``now``) as
    looked at together; audited. Returns how many were marked."""
    with transaction.atomic():
        marked = Sitting.objects.filter(
            episode=episode,
            status=SittingStatus.COMPLETED,
            looked_at_together_at__isnull=True,
            completed_at__lte=now,
        ).update(looked_at_together_at=now, looked_at_by=user)
        audit.record(
            practice=episode.practice,
            actor=user,
            action="measures.looked_at_together",
            target_type="clinical.episode",
            target_id=episode.pk,
            detail={"sittings": marked},
        )
    return marked
