"""Writes for the check-in choices: what links may show, AUDIT-C's cutoff, and the screens
asked at the next review. Each runs in one transaction and records its audit event
(booleans and instrument keys only, never a value of the record) as its last statement.

Kept apart from ``clinical.actions``, which holds the risk and decision writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import AuditcSex, Client, Episode
from plusone.clinical.plans import SCREENS
from plusone.measures.screens import pending_requests


def set_checkin_choices(
    *, user: Any, client: Client, goal_words_on_links: bool, auditc_sex: str
) -> Client:
    """Record the client's choices, agreed with the therapist: whether check-in links show
    the goals in their own words, and their sex for AUDIT-C scoring ("" = not recorded)."""
    if auditc_sex not in AuditcSex.values:
        raise ValidationError("Choose female, male or not recorded for AUDIT-C scoring.")
    with transaction.atomic():
        Client.objects.filter(pk=client.pk).update(
            goal_words_on_links=goal_words_on_links, auditc_sex=auditc_sex
        )
        client.goal_words_on_links, client.auditc_sex = goal_words_on_links, auditc_sex
        audit.record(
            practice=client.practice,
            actor=user,
            action="client.checkin_choices",
            target_type="clinical.client",
            target_id=client.pk,
            detail={
                "goal_words_on_links": goal_words_on_links,
                "auditc_sex_recorded": bool(auditc_sex),
            },
        )
    return client


def request_review_screens(
    *, user: Any, episode: Episode, keys: Iterable[str], now: dt.datetime | None = None
) -> Episode:
    """Ask for these screens at the next review, whatever they scored at intake.

    A screen still waiting from an earlier request keeps its time; one left out is no
    longer asked for. A request stands until the screen is given after it
    (``measures.screens.pending_requests``).
    """

    wanted = list(dict.fromkeys(keys))
    unknown = [k for k in wanted if k not in SCREENS]
    if unknown:
        raise ValidationError(f"Only PCL-5, AUDIT-C and K10 can be asked for: not {unknown}.")
    stamp = (now or timezone.now()).isoformat()
    with transaction.atomic():
        current = Episode.objects.select_for_update().get(pk=episode.pk)
        before = dict(current.review_screen_requests or {})
        waiting = pending_requests(current)
        requests = {k: before[k] if k in waiting else stamp for k in wanted}
        Episode.objects.filter(pk=episode.pk).update(review_screen_requests=requests)
        episode.review_screen_requests = requests
        audit.record(
            practice=episode.practice,
            actor=user,
            action="episode.review_screens",
            target_type="clinical.episode",
            target_id=episode.pk,
            detail={"client": episode.client_id, "screens": sorted(requests)},
        )
    return episode
