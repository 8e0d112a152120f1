"""An observer the client invited, and what each observer round stored.

The observer's consent is recorded on the observer row (they are not the client, and
no staff member records it): when it was given, in which wording, and when withdrawn.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plusone.crypto.fields import EncryptedTextField


class Relationship(models.TextChoices):
    PARTNER = "partner", _("Partner or spouse")
    FAMILY = "family", _("Family member")
    FRIEND = "friend", _("Friend")
    COWORKER = "coworker", _("Co-worker")
    OTHER = "other", _("Someone else")


class Observer(models.Model):
    """One person the client invited. Active until revoked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clinical.Client", on_delete=models.PROTECT, related_name="+")
    # What the client calls them, in the client's words.
    label = EncryptedTextField()
    email = models.EmailField()
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    created_at = models.DateTimeField()
    last_invited_at = models.DateTimeField(null=True, blank=True)
    # The observer's own consent, given on the form, in this wording version.
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The observer attested being 18 or older, on the form.
    adult_attested_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values),
                name="observer_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"observer {self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ObserverRound(models.Model):
    """One observer's answers: an Observed Change administration and one free-text answer.

    ``safety_held`` is set when the keyword screen found safety words in the text: the
    text then always reaches the therapist, with a flag, and is withheld from the client
    and from any access-request export (PHIPA s.52(1)(e)).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clinical.Client", on_delete=models.PROTECT, related_name="+")
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="rounds")
    administration = models.OneToOneField(
        "measures.Administration", on_delete=models.PROTECT, related_name="observer_round"
    )
    # The token that carried this round: one round per link.
    token_id = models.UUIDField(unique=True)
    text = EncryptedTextField(blank=True, default="")
    safety_held = models.BooleanField(default=False)
    language = models.CharField(max_length=5, default="en")
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["completed_at"]

    def __str__(self) -> str:
        return f"observer round {self.pk}"


class ObserverLink(models.Model):
    """Which observer an observer link (an AccessToken of purpose "observer") was for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_id = models.UUIDField(unique=True)
    observer = models.ForeignKey(Observer, on_delete=models.PROTECT, related_name="links")

    def __str__(self) -> str:
        return f"observer link {self.pk}"
