"""Break-glass grants: one row per emergency access by an admin to one client's record.

The row is also what the client portal (later work) shows the client: who opened
their record, when, until when, and why.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from plusone.accounts.models import Practice
from plusone.clinical.models import Client
from plusone.crypto.fields import EncryptedTextField


class BreakGlassPurpose(models.TextChoices):
    """Why the record is opened. Only the permitted purposes override a consent directive
    (plusone.lockbox); any other purpose leaves the withheld parts behind their marker."""

    CARE = "care", "Continuity of care (does not override a consent directive)"
    RISK = (
        "risk",
        "To eliminate or reduce a significant risk of serious bodily harm (PHIPA s.40(1))",
    )
    LAW = "law", "Required by law, such as a court order or summons"
    OTHER = "other", "Another reason (does not override a consent directive)"


# The purposes for which a client's consent directive may be overridden (docs/lockbox.md).
OVERRIDE_PURPOSES = (BreakGlassPurpose.RISK, BreakGlassPurpose.LAW)


class BreakGlass(models.Model):
    """An admin's time-limited, read-only access to one client's record, with a reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField()
    purpose = models.CharField(
        max_length=8, choices=BreakGlassPurpose.choices, default=BreakGlassPurpose.CARE
    )
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("opened_at")), name="break_glass_expires_after_open"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_reason_required"),
            models.CheckConstraint(
                condition=Q(purpose__in=BreakGlassPurpose.values), name="break_glass_purpose_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"], name="break_glass_user_idx")]

    def __str__(self) -> str:
        return f"break-glass {self.opened_at:%Y-%m-%d %H:%M}"
