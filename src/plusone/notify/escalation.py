"""Escalation of risk flags left unacknowledged for too long.

A flag still open after the practice's escalation delay (24 business hours by
default, counted with ``plusone.core.business_hours``) escalates once: to the
therapist's cover while they are away, else to the practice's designated
clinical contact. The claim on Delivery slot "escalation" makes it at most
once per flag, even with two runs at the same time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from plusone import audit
from plusone.core.business_hours import add_business_hours
from plusone.notify.models import Delivery
from plusone.notify.tasks import NEW_FLAG, send_attention_email

ESCALATION_SLOT = "escalation"


@dataclass
class EscalationRun:
    """What one run did: flags escalated, flags overdue with nobody to escalate to."""

    escalated: list[str] = field(default_factory=list)
    no_recipient: list[str] = field(default_factory=list)
    checked: int = 0


def escalation_due(flag: Any, now: dt.datetime) -> dt.datetime:
    """When ``flag`` escalates if still open: opened_at plus the practice's business hours."""
    from plusone.clinical.risk import business_hours, settings_for

    risk = settings_for(flag.practice)
    return add_business_hours(
        flag.opened_at,
        dt.timedelta(hours=risk.escalate_after_hours),
        business_hours(risk),
    )


def escalate_flags(*, now: dt.datetime) -> EscalationRun:
    """Escalate every open, not yet escalated flag whose delay has passed at ``now``."""
    from plusone.clinical.models import Flag
    from plusone.clinical.risk import escalation_recipient

    run = EscalationRun()
    candidates = Flag.objects.select_related("client", "practice").filter(
        status=Flag.Status.OPEN, escalated_at__isnull=True, opened_at__lte=now
    )
    for flag in candidates:
        run.checked += 1
        if escalation_due(flag, now) > now:
            continue
        recipient = escalation_recipient(flag, now)
        if recipient is None:
            run.no_recipient.append(str(flag.pk))
            continue
        if _escalate(flag, recipient, now):
            run.escalated.append(str(flag.pk))
    return run


def _escalate(flag: Any, recipient: Any, now: dt.datetime) -> bool:
    """Claim the escalation slot, mark the flag and audit it in one transaction; then send."""
    from plusone.clinical.models import Flag

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
