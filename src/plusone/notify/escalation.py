"""Escalation of risk flags still open a lead time before the time the client was told.

Each flag stores its promise (``promised_read_by``, from
:func:`plusone.clinical.risk.promise_for`) and when it escalates
(``escalate_at``: the practice's lead time, 4 business hours by default,
before that promise), so someone can still act by the promised time. A run
escalates every open flag whose time has come, once, to the first person who
can act and was not told yet: the therapist's cover, then the designated
clinical contact. The claim on Delivery slot "escalation" makes it at most
once per flag, even with two runs at the same time. Runs come from the
worker every few minutes and from ``plusone escalate-flags`` (cron or a
systemd timer), at least every 15 minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from plusone import audit
from plusone.clinical import risk
from plusone.clinical.models import Flag
from plusone.core.business_hours import subtract_business_hours
from plusone.notify.models import Delivery
from plusone.notify.tasks import NEW_FLAG, send_attention_email

ESCALATION_SLOT = "escalation"


@dataclass
class EscalationRun:
    """What one run did: flags escalated, flags due with nobody left to escalate to."""

    escalated: list[str] = field(default_factory=list)
    no_recipient: list[str] = field(default_factory=list)
    checked: int = 0


def escalation_due(flag: Any) -> dt.datetime:
    """When ``flag`` escalates if still open: its stored time, or else (nobody to
    escalate to when it opened, or a flag from before promises were stored) the
    lead time before its promise, recomputed from the practice's settings."""
    if flag.escalate_at is not None:
        return flag.escalate_at  # type: ignore[no-any-return]
    settings = risk.settings_for(flag.practice)
    read_by = flag.promised_read_by
    if read_by is None:
        read_by = risk.promise_for(
            practice=flag.practice, therapist=flag.client.therapist, now=flag.opened_at
        ).read_by
    lead = dt.timedelta(hours=settings.escalation_lead_hours)
    return max(
        subtract_business_hours(read_by, lead, risk.business_hours(settings)), flag.opened_at
    )


def escalate_flags(*, now: dt.datetime) -> EscalationRun:
    """Escalate every open, not yet escalated flag whose escalation time has come."""
    run = EscalationRun()
    candidates = Flag.objects.select_related("client__therapist", "practice").filter(
        Q(escalate_at__lte=now) | Q(escalate_at__isnull=True),
        status=Flag.Status.OPEN,
        escalated_at__isnull=True,
        opened_at__lte=now,
        # An imported answer's flag is for review: no client waits on it (DESIGN.md, Risk).
        historical=False,
    )
    for flag in candidates:
        run.checked += 1
        if escalation_due(flag) > now:
            continue
        recipient = escalation_recipient(flag, now)
        if recipient is None:
            run.no_recipient.append(str(flag.pk))
            continue
        if _escalate(flag, recipient, now):
            run.escalated.append(str(flag.pk))
    return run


def escalation_recipient(flag: Flag, now: dt.datetime) -> Any | None:
    """Who an overdue flag escalates to: the first of today's readers not yet told
    (neither the first notified, nor anyone already escalated to or emailed about it)."""
    settings = risk.settings_for(flag.practice)
    told = {flag.first_told_id, flag.escalated_to_id}
    told |= set(Delivery.objects.filter(target=str(flag.pk)).values_list("recipient_id", flat=True))
    for person in risk.readers(
        flag.client.therapist, flag.practice, risk.practice_date(settings, now)
    ):
        if person.pk not in told:
            return person
    return None


def _escalate(flag: Any, recipient: Any, now: dt.datetime) -> bool:
    """Claim the escalation slot, mark the flag and audit it in one transaction; then send."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                practice_id=flag.practice_id,
                kind=NEW_FLAG,
                target=str(flag.pk),
                slot=ESCALATION_SLOT,
                recipient=recipient,
            )
            updated = Flag.objects.filter(
                pk=flag.pk,
                status=Flag.Status.OPEN,
                escalated_at__isnull=True,
            ).update(escalated_at=now, escalated_to=recipient)
            if not updated:
                # Acknowledged (or escalated) between the read and the claim: undo the claim.
                raise IntegrityError("flag no longer open")
            audit.record(
                practice=flag.practice,
                actor=None,
                action="flag.escalate",
                target_type="clinical.flag",
                target_id=flag.pk,
                detail={"to": recipient.pk},
            )
    except IntegrityError:
        return False
    send_attention_email(recipient.email)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    return True
