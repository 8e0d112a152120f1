"""Deliveries: the at-most-once ledger for email and SMS."""

from __future__ import annotations

import uuid

from django.db import models

from plusone.accounts.models import Practice


class Delivery(models.Model):
    """One message that was, or is being, sent.

    Claimed (inserted) before sending; the unique (kind, target, slot) makes a
    second claim fail, so a retried task never sends twice. A crash between
    claim and send loses the message rather than duplicating it.
    """

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)
    # What the message is about, e.g. a flag's UUID; never an address or a name.
    target = models.CharField(max_length=64)
    # Distinguishes legitimate repeats, e.g. "first" and "escalation".
    slot = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "target", "slot"], name="delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}:{self.slot} ({self.status})"
