"""The audit trail: append-only events in a keyed HMAC chain, one chain per practice."""

from __future__ import annotations

import uuid

from django.db import models

from plusone.accounts.models import Practice


class AuditEvent(models.Model):
    """One audited action. Written only by :func:`plusone.audit.record`; never updated.

    ``detail`` holds ids and action names only, never health information.
    ``actor_id`` is a plain UUID (not a foreign key) so that deleting a user
    can never cascade an UPDATE into the trail.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10)
    actor_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    detail = models.JSONField(default=dict)
    key_id = models.CharField(max_length=40)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["practice", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "seq"], name="audit_seq_unique"),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class ChainHead(models.Model):
    """The latest link of a practice's chain: locked and rewritten by every record()."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.OneToOneField(Practice, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, default="")
    key_id = models.CharField(max_length=40, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"chain head #{self.seq}"
