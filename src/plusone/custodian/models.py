"""The custodian's registers: disclosures, privacy incidents, retention and destruction.

Free text about a client is an EncryptedTextField. Disclosures and destruction
certificates are append-only. A certificate names the destroyed client only by a
pseudonymous reference (UUID, initials, year of birth) and has no foreign key to
the client, so it survives the destruction it records.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from plusone.accounts.models import Practice
from plusone.clinical.models import Client
from plusone.crypto.fields import EncryptedTextField
from plusone.custodian.rules import College


class GoverningCollege(models.TextChoices):
    CRPO = College.CRPO.value, "CRPO (registered psychotherapists): 10 years, or 10 after 18"
    CPO = College.CPO.value, "CPO (psychologists): 10 years, or 10 after 18"
    OCSWSSW = College.OCSWSSW.value, "OCSWSSW (social workers): 7 years"


class RetentionSettings(models.Model):
    """The practice's governing College, which sets its retention rule."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.OneToOneField(Practice, on_delete=models.PROTECT, related_name="+")
    college = models.CharField(
        max_length=10, choices=GoverningCollege.choices, default=GoverningCollege.CRPO
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(college__in=GoverningCollege.values), name="retention_college_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"retention: {self.college}"


class LegalBasis(models.TextChoices):
    CHILD_PROTECTION = "child_protection", "Child-protection report (CYFSA s.125)"
    RISK = "risk", "Risk of serious bodily harm (PHIPA s.40(1))"
    COURT = "court", "Court order or summons (PHIPA s.41(1)(d))"
    REFERRAL = "referral", "Referral with consent (PHIPA s.18, s.20(2))"
    CLIENT_EXPORT = "client_export", "Export directed by the client"
    OTHER = "other", "Other disclosure required by law"


class Disclosure(models.Model):
    """One disclosure of a client's personal health information. Never edited:
    a mistaken entry is corrected by a new one whose ``corrects`` names it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    recipient_name = models.CharField(max_length=200)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    # The law relied on, when the basis is "other".
    legal_basis_other = models.CharField(max_length=300, blank=True)
    # What was disclosed: about the client, so encrypted.
    content = EncryptedTextField()
    disclosed_on = models.DateField()
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # The lockbox notice sent with the disclosure, as sent ("" when none was in force).
    lockbox_notice = models.CharField(max_length=300, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )

    class Meta:
        ordering = ["-disclosed_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(legal_basis__in=LegalBasis.values), name="disclosure_basis_valid"
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis="other") | ~Q(legal_basis_other=""),
                name="disclosure_other_basis_named",
            ),
            models.CheckConstraint(
                condition=~Q(recipient_name="") & ~Q(content=""),
                name="disclosure_recipient_and_content",
            ),
            models.CheckConstraint(
                condition=~Q(corrects=F("id")), name="disclosure_not_self_correcting"
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk} on {self.disclosed_on}"

    @property
    def basis_label(self) -> str:
        if self.legal_basis == LegalBasis.OTHER:
            return f"Other required by law: {self.legal_basis_other}"
        return str(LegalBasis(self.legal_basis).label)


class IncidentCategory(models.TextChoices):
    """The IPC annual statistics' categories of privacy breach."""

    STOLEN = "stolen", "Stolen"
    LOST = "lost", "Lost"
    USED = "used", "Used without authority"
    DISCLOSED = "disclosed", "Disclosed without authority"
    COLLECTED = "collected", "Collected without authority"


class ReportingTrigger(models.TextChoices):
    """O. Reg. 329/04 s.6.3(1): the circumstance that made an IPC report necessary."""

    USE_KNOWINGLY = (
        "p1",
        "1. Used or disclosed without authority by someone who knew or ought to have known",
    )
    STOLEN = "p2", "2. Stolen"
    FURTHER_USE = "p3", "3. Further use or disclosure expected after a loss or breach"
    PATTERN = "p4", "4. Part of a pattern of similar losses or breaches"
    COLLEGE_MEMBER = "p5", "5. Disciplinary action against a College member (notice to the College)"
    NON_MEMBER = "p6", "6. Disciplinary action against a non-member agent (as if a member)"
    SIGNIFICANT = "p7", "7. Significant breach (sensitivity, volume, number affected, custodians)"
    NONE = "none", "None: no IPC report required"


class NotificationMethod(models.TextChoices):
    NOT_YET = "", "Not yet notified"
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By telephone"
    LETTER = "letter", "By letter"
    EMAIL = "email", "By email"


class Incident(models.Model):
    """One privacy breach (PHIPA s.12(2)/(3)), its IPC trigger and the client notice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=12, choices=IncidentCategory.choices)
    discovered_on = models.DateField()
    description = EncryptedTextField()
    clients_affected = models.PositiveIntegerField()
    trigger = models.CharField(max_length=5, choices=ReportingTrigger.choices)
    ipc_notified_on = models.DateField(null=True, blank=True)
    clients_notified_on = models.DateField(null=True, blank=True)
    notification_method = models.CharField(
        max_length=10, choices=NotificationMethod.choices, blank=True, default=""
    )
    containment = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-discovered_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=IncidentCategory.values), name="incident_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=ReportingTrigger.values), name="incident_trigger_valid"
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="incident_description_required"
            ),
            # A notification has both its date and how it was given, or neither.
            models.CheckConstraint(
                condition=Q(clients_notified_on__isnull=True, notification_method="")
                | (Q(clients_notified_on__isnull=False) & ~Q(notification_method="")),
                name="incident_notification_date_and_method",
            ),
        ]

    def __str__(self) -> str:
        return f"incident {self.pk} ({self.category}, {self.discovered_on})"

    @property
    def clients_unnotified(self) -> bool:
        return self.clients_affected > 0 and self.clients_notified_on is None


class IncidentClient(models.Model):
    """A client of the practice known to be affected by an incident."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="links")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "client"], name="incident_client_once"),
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} client {self.client_id}"


class LegalHold(models.Model):
    """A hold on destroying one client's record (litigation, investigation, request)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="legal_holds")
    reason = EncryptedTextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="legal_hold_reason_required"),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, released_by__isnull=True)
                | (Q(released_at__isnull=False, released_by__isnull=False) & ~Q(release_reason="")),
                name="legal_hold_release_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class DestructionCertificate(models.Model):
    """The lasting record that one client's record was destroyed: no PHI, no FK to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    # The destroyed client's UUID: the same id the audit rows name.
    client_ref = models.UUIDField(unique=True)
    initials = models.CharField(max_length=4)
    birth_year = models.PositiveSmallIntegerField()
    # Model label -> rows deleted.
    destroyed = models.JSONField(default=dict)
    college = models.CharField(max_length=10, choices=GoverningCollege.choices)
    last_contact = models.DateField()
    retention_end = models.DateField()
    basis = models.TextField()
    method = models.TextField()
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    destroyed_at = models.DateTimeField()

    class Meta:
        ordering = ["-destroyed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__gte=1900, birth_year__lte=2100),
                name="certificate_birth_year_only",
            ),
        ]

    def __str__(self) -> str:
        return f"destruction certificate {self.pk}"
