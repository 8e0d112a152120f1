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

    ``mac_version`` says how ``mac`` was made (plusone.audit.chain): 1 for
    events recorded before the id was signed (``mac`` over the content alone),
    2 for every later one (``content_mac`` over the content, ``mac`` over the
    id and ``content_mac``). record() writes only version 2.
    """

    class MacVersion(models.IntegerChoices):
        CONTENT_ONLY = 1, "content only (before the id was signed)"
        ID_AND_CONTENT = 2, "id and content"

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
    mac_version = models.PositiveSmallIntegerField(choices=MacVersion.choices)
    content_mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["practice", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "seq"], name="audit_seq_unique"),
            models.CheckConstraint(
                condition=models.Q(mac_version__in=[1, 2]), name="audit_mac_version_known"
            ),
            # A version-2 event always carries its content MAC; a version-1 event never does.
            models.CheckConstraint(
                condition=models.Q(mac_version=1, content_mac="")
                | (models.Q(mac_version=2) & ~models.Q(content_mac="")),
                name="audit_content_mac_with_version_2",
            ),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class ChainHead(models.Model):
    """The latest link of a practice's chain: locked and rewritten by every record().

    ``head_mac`` is the head's own MAC (HMAC over practice, seq and mac, with
    the key named by ``key_id``), so a head rewritten without the key to hide
    events cut from the end does not verify.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.OneToOneField(Practice, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, default="")
    key_id = models.CharField(max_length=40, default="")
    head_mac = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"chain head #{self.seq}"
