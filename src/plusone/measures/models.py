"""Sittings, administrations and check-in drafts.

A Sitting is one check-in (or kiosk or in-session) occasion, or one
end-of-session Session Reflection (kind "reflection"); it holds the
idempotency key, so a double submit or a retry stores once. An Administration
is one instrument answered in a sitting, with its scores from plusone.core.
Free-text answers live in an EncryptedTextField, never in the JSON answers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from plusone.crypto.fields import EncryptedTextField


class Context(models.TextChoices):
    CHECKIN = "checkin", "check-in link"
    KIOSK = "kiosk", "in session, on the therapist's device"
    IN_SESSION = "in_session", "in session"
    IMPORT = "import", "import"


class Respondent(models.TextChoices):
    CLIENT = "client", "client"
    THERAPIST = "therapist", "therapist"
    OBSERVER = "observer", "observer"


class SittingStatus(models.TextChoices):
    COMPLETED = "completed", "completed"
    # "Not completed", never "overdue" (DESIGN.md, Burden).
    SKIPPED = "skipped", "not completed (skipped)"


class SittingKind(models.TextChoices):
    INTAKE = "intake", "intake"
    ROUTINE = "routine", "routine"
    # Every 8th session and each phase decision (DESIGN.md, Burden: review_every).
    REVIEW = "review", "review"
    # The client's end-of-session Session Reflection: its own sitting, never the check-in.
    REFLECTION = "reflection", "session reflection"
    # A check-in at 3 or 6 months after an Ending: does it hold? (issue 14)
    FOLLOW_UP = "follow_up", "follow-up"


class Sitting(models.Model):
    """One check-in occasion: completed or skipped, stored exactly once per key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT)
    client = models.ForeignKey("clinical.Client", on_delete=models.PROTECT)
    episode = models.ForeignKey("clinical.Episode", on_delete=models.PROTECT)
    session = models.ForeignKey("clinical.Session", on_delete=models.PROTECT, null=True, blank=True)
    context = models.CharField(max_length=16, choices=Context.choices)
    status = models.CharField(max_length=16, choices=SittingStatus.choices)
    # Intake and review sittings may ask intake-and-review-only instruments, within 600 s.
    kind = models.CharField(max_length=10, choices=SittingKind.choices, default=SittingKind.ROUTINE)
    # The token's id for a link or kiosk sitting: one sitting per token.
    idempotency_key = models.CharField(max_length=64, unique=True)
    # Instruments not asked (skipped, or over the 180 s budget): offered next time.
    carried_over = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    risk_grade = models.PositiveSmallIntegerField(default=0)
    # Issue 13: when therapist and client looked at this sitting's results together, and who
    # marked it. A client who chose "after we look together" sees its scores only then.
    looked_at_together_at = models.DateTimeField(null=True, blank=True)
    looked_at_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["completed_at"]
        indexes = [models.Index(fields=["episode", "completed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SittingStatus.values), name="sitting_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(context__in=Context.values), name="sitting_context_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SittingKind.values), name="sitting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__gte=models.F("started_at")),
                name="sitting_completes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"sitting {self.pk} ({self.status})"


class Administration(models.Model):
    """One instrument answered once: its answers, scores and real completion time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT)
    client = models.ForeignKey("clinical.Client", on_delete=models.PROTECT)
    episode = models.ForeignKey("clinical.Episode", on_delete=models.PROTECT)
    session = models.ForeignKey("clinical.Session", on_delete=models.PROTECT, null=True, blank=True)
    sitting = models.ForeignKey(
        Sitting, on_delete=models.PROTECT, null=True, blank=True, related_name="administrations"
    )
    instrument_key = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=40)
    # The language the items were shown in. Both languages form one series: the
    # scoring is the same, only the words differ (plusone.core.translations).
    language = models.CharField(
        max_length=2, choices=[("en", "English"), ("fr", "French")], default="en"
    )
    context = models.CharField(max_length=16, choices=Context.choices)
    respondent = models.CharField(max_length=16, choices=Respondent.choices)
    # Item id -> chosen value. Free text never goes here: see free_text.
    answers = models.JSONField(default=dict)
    # JSON of item id -> text, encrypted at rest with the row's UUID bound in.
    free_text = EncryptedTextField(blank=True, default="")
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=80, blank=True, default="")
    valid = models.BooleanField(default=False)
    prorated = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True, default="")
    risk_grade = models.PositiveSmallIntegerField(default=0)
    # Only the instrument's risk item was asked (PHQ-9 item 9 in Deepening): never a total.
    risk_item_only = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    # "<sitting key>:<instrument>": a retried submit cannot store a second copy.
    idempotency_key = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["completed_at"]
        indexes = [
            models.Index(fields=["episode", "instrument_key", "completed_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "instrument_key"],
                name="administration_once_per_sitting",
                condition=Q(sitting__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(completed_at__gte=models.F("started_at")),
                name="administration_completes_after_start",
            ),
            models.CheckConstraint(
                condition=Q(context__in=Context.values), name="administration_context_valid"
            ),
            models.CheckConstraint(
                condition=Q(respondent__in=Respondent.values),
                name="administration_respondent_valid",
            ),
            # A lone risk item is never scored as the instrument's total.
            models.CheckConstraint(
                condition=Q(risk_item_only=False) | Q(total__isnull=True, valid=False),
                name="administration_risk_item_only_has_no_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} administration {self.pk}"


class CheckinDraft(models.Model):
    """Answers so far for one token, so a client can stop and resume."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.CASCADE)
    token_id = models.CharField(max_length=64, unique=True)
    # The instruments of this check-in, fixed when it is first opened.
    instruments = models.JSONField(default=list)
    kind = models.CharField(max_length=10, choices=SittingKind.choices, default=SittingKind.ROUTINE)
    # Carried over to the next session because they did not fit the budget.
    rolled_on = models.JSONField(default=list, blank=True)
    # Choice answers: {instrument: {item: value}}; free text is in free_text.
    answers = models.JSONField(default=dict, blank=True)
    free_text = EncryptedTextField(blank=True, default="")
    current_group = models.PositiveSmallIntegerField(default=0)
    # Seconds spent on each group, and when each was first shown (ISO).
    seconds = models.JSONField(default=dict, blank=True)
    shown_at = models.JSONField(default=dict, blank=True)
    # The language each group's items were last shown in ("en" or "fr"): what the client
    # read, even after a switch partway; the administration keeps it.
    languages = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"check-in draft {self.pk}"


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", "scheduled"
    INVITED = "invited", "invited"
    DONE = "done", "done"
    CANCELLED = "cancelled", "cancelled"


class FollowUp(models.Model):
    """One follow-up check-in after an Ending, at ``months`` (3 or 6) after the client
    confirmed it: scheduled, then invited on its due date (a check-in link), then done
    with its administration, or cancelled when the client withdraws the consent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(
        "clinical.Episode", on_delete=models.PROTECT, related_name="follow_ups"
    )
    # The Ending decision whose confirmation scheduled it.
    decision = models.ForeignKey("clinical.Decision", on_delete=models.PROTECT, related_name="+")
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    # The consented channel the invitation goes out on ("email").
    channel = models.CharField(max_length=15, blank=True, default="")
    link = models.ForeignKey(
        "tokens.AccessToken", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sitting = models.ForeignKey(
        Sitting, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The primary measure's administration: what "does it hold?" is judged on.
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.UniqueConstraint(fields=["episode", "months"], name="follow_up_once_per_month"),
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(sitting__isnull=False),
                name="follow_up_done_has_sitting",
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up at {self.months} months ({self.status})"
