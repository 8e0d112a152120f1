"""Access tokens for check-in links, observer links and portal sign-in links."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from plusone.accounts.models import Practice
from plusone.clinical.models import Client, Episode, Session


class Purpose(models.TextChoices):
    CHECKIN = "checkin", "Check-in"
    OBSERVER = "observer", "Observer"
    PORTAL_SIGNIN = "portal_signin", "Portal sign-in"


class AccessToken(models.Model):
    """A bearer token. Only the SHA-256 of the raw token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The token this one replaced on "Resend".
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="token_purpose_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} token {self.pk}"
