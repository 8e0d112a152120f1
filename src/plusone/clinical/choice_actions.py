"""Writes for the check-in choices: what links may show, and AUDIT-C's cutoff. Each runs
in one transaction and records its audit event (booleans only, never a value of the
record) as its last statement.

Kept apart from ``clinical.actions``, which holds the risk and decision writes.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from plusone import audit
from plusone.clinical.models import AuditcSex, Client


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
