"""Consent directives: a client's instruction to withhold part or all of their record.

PHIPA ss. 37(1)(a), 38(1)(a) and 50(1)(e) let a client withhold or withdraw consent
to the use or disclosure of their information (the "lockbox"). A directive is never
deleted or changed: withdrawal sets ``withdrawn_at`` once, so the history stays.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from plusone.accounts.models import Practice
from plusone.clinical.models import Client
from plusone.crypto.fields import EncryptedTextField


class Scope(models.TextChoices):
    ITEM = "item", "One item of the record"
    RECORD = "record", "The whole record"
    CLINICIAN = "clinician", "Access by a named clinician"


class ItemKind(models.TextChoices):
    NOTE = "note", "Session note"
    ADMINISTRATION = "administration", "Measure administration"
    OBSERVER_ANSWER = "observer_answer", "Observer answer"
    GOAL = "goal", "Goal"


class DirectiveQuerySet(models.QuerySet["ConsentDirective"]):
    def in_force(self) -> QuerySet[ConsentDirective]:
        """Directives not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class ConsentDirective(models.Model):
    """One directive of one client: withhold an item, the record, or access by a clinician."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="directives")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    # For scope=item: which kind of row, and its primary key (a generic pair).
    item_kind = models.CharField(max_length=20, choices=ItemKind.choices, blank=True)
    item_id = models.UUIDField(null=True, blank=True)
    # For scope=clinician: the practice member the client withholds their record from.
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    instructed_on = models.DateField()
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DirectiveQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="directive_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(item_kind="") | Q(item_kind__in=ItemKind.values),
                name="directive_item_kind_valid",
            ),
            # Each scope carries exactly what it needs and nothing else.
            models.CheckConstraint(
                condition=(
                    Q(
                        scope=Scope.ITEM,
                        item_id__isnull=False,
                        clinician__isnull=True,
                        item_kind__in=ItemKind.values,
                    )
                    | Q(
                        scope=Scope.RECORD,
                        item_kind="",
                        item_id__isnull=True,
                        clinician__isnull=True,
                    )
                    | Q(
                        scope=Scope.CLINICIAN,
                        item_kind="",
                        item_id__isnull=True,
                        clinician__isnull=False,
                    )
                ),
                name="directive_scope_fields",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="directive_withdrawn_by_with_at",
            ),
        ]
        indexes = [models.Index(fields=["client", "withdrawn_at"], name="directive_client_idx")]

    def __str__(self) -> str:
        return f"consent directive ({self.scope})"
