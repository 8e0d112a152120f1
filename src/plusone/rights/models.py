"""Access requests (PHIPA ss.52-54) and correction requests (s.55), with their clocks.

Each request is answered within 30 days of receipt, or within one 30-day
extension (s.54(3), s.55(4)); the extension is one set of columns, so a second
cannot be recorded. A signed note is never overwritten: a correction is a
:class:`NoteCorrection` (a struck-through version that keeps the old text), and
a refusal leaves the client free to attach a statement of disagreement
(s.55(11)), stored encrypted on the request and shown with the note.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from plusone.accounts.models import Practice
from plusone.clinical.models import Client
from plusone.crypto.fields import EncryptedTextField
from plusone.notes.models import SECTIONS, SessionNote, SignedNoteImmutable


class HowReceived(models.TextChoices):
    IN_PERSON = "in_person", "In writing, handed in person"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    FAX = "fax", "Fax"
    ORAL = "oral", "Spoken, written down by staff"
    # issue 13 (record): a dispute the client sent from the portal.
    PORTAL = "portal", "Sent by the client from the portal"


class AccessException(models.TextChoices):
    """The narrow grounds on which access may be refused or a part severed (PHIPA s.52(1)).

    Translatable: the client reads them in the access-request copy, in their language."""

    LEGAL_PRIVILEGE = "s52_1_a", _("s.52(1)(a): subject to legal privilege")
    PROHIBITED = "s52_1_b", _("s.52(1)(b): another Act or a court order prohibits disclosure")
    PROCEEDING = "s52_1_c", _("s.52(1)(c): collected for a proceeding not yet concluded")
    INVESTIGATION = (
        "s52_1_d",
        _("s.52(1)(d): collected for an inspection or investigation not concluded"),
    )
    RISK_OF_HARM = (
        "s52_1_e_i",
        _(
            "s.52(1)(e)(i): risk of serious harm to treatment or recovery, or of serious bodily harm"  # noqa: E501
        ),
    )
    REQUIRED_SOURCE = (
        "s52_1_e_ii",
        _("s.52(1)(e)(ii): would identify a person required by law to provide it"),
    )
    CONFIDENTIAL_SOURCE = (
        "s52_1_e_iii",
        _("s.52(1)(e)(iii): would identify a person who provided it in confidence"),
    )
    # Only for refusing a whole request, never for severing a part.
    FRIVOLOUS = "s54_6", _("s.54(6): frivolous or vexatious, or made in bad faith")


SEVERANCE_EXCEPTIONS = [c for c in AccessException if c is not AccessException.FRIVOLOUS]


class CorrectionRefusal(models.TextChoices):
    """Why a custodian may refuse a correction (PHIPA s.55)."""

    NOT_DEMONSTRATED = (
        "s55_8",
        "s.55(8): not shown to be incomplete or inaccurate for the purposes the record is used",
    )
    NOT_OURS = (
        "s55_9_a",
        "s.55(9)(a): not created by the practice, which lacks the knowledge, expertise "
        "or authority to correct it",
    )
    PROFESSIONAL_OPINION = (
        "s55_9_b",
        "s.55(9)(b): a professional opinion or observation made in good faith",
    )
    FRIVOLOUS = "s55_6", "s.55(6): frivolous or vexatious, or made in bad faith"


class ClockedRequest(models.Model):
    """What both requests share: receipt, the one extension, and the close."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    how_received = models.CharField(max_length=12, choices=HowReceived.choices)
    # plusone.rights.clock.due_on(received_on, extended=...), set by the actions.
    due_on = models.DateField()
    extended_on = models.DateField(null=True, blank=True)
    extension_reason = EncryptedTextField(blank=True, default="")
    # The day the client was told of the extension and why (s.54(4), s.55(5)).
    client_told_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


def _clock_constraints(prefix: str, closed: list[str]) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(extended_on__isnull=True, client_told_on__isnull=True, extension_reason="")
            | (
                Q(extended_on__isnull=False, client_told_on__isnull=False) & ~Q(extension_reason="")
            ),
            name=f"{prefix}_extension_has_reason_and_notice",
        ),
        models.CheckConstraint(
            condition=~Q(status="extended") | Q(extended_on__isnull=False),
            name=f"{prefix}_extended_has_date",
        ),
        models.CheckConstraint(
            condition=Q(status__in=["open", "extended"], closed_on__isnull=True)
            | Q(status__in=closed, closed_on__isnull=False, closed_by__isnull=False),
            name=f"{prefix}_closed_has_date_and_who",
        ),
        models.CheckConstraint(
            condition=Q(due_on__gt=models.F("received_on")), name=f"{prefix}_due_after_receipt"
        ),
    ]


class AccessRequest(ClockedRequest):
    """A client's request for access to their record (PHIPA s.53)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXTENDED = "extended", "Extended once"
        FULFILLED = "fulfilled", "Fulfilled"
        REFUSED = "refused", "Refused"

    kind = "access"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_requests")
    # What the client asks for, in their words.
    asked_for = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    refusal_ground = models.CharField(
        max_length=12, choices=AccessException.choices, blank=True, default=""
    )
    refusal_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["due_on", "received_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "extended", "fulfilled", "refused"]),
                name="access_request_status_valid",
            ),
            models.CheckConstraint(condition=~Q(asked_for=""), name="access_request_asks"),
            # A refusal names its exception; nothing else carries one.
            models.CheckConstraint(
                condition=(Q(status="refused") & ~Q(refusal_ground=""))
                | (~Q(status="refused") & Q(refusal_ground="")),
                name="access_request_refusal_has_ground",
            ),
            *_clock_constraints("access_request", ["fulfilled", "refused"]),
        ]
        indexes = [models.Index(fields=["practice", "status", "due_on"])]

    def __str__(self) -> str:
        return f"access request {self.pk} ({self.status})"


class SeveredItem(models.Model):
    """One part of the record withheld from an access request, with its exception (s.52(2))."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="severed")
    # The withheld row: its model label ("notes.sessionnote") and primary key.
    item_label = models.CharField(max_length=60)
    item_id = models.CharField(max_length=64)
    exception = models.CharField(max_length=12, choices=AccessException.choices)
    # Why the exception applies to this item, for the client's review.
    explanation = EncryptedTextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "item_label", "item_id"], name="severed_item_once"
            ),
            models.CheckConstraint(
                condition=Q(exception__in=[c.value for c in SEVERANCE_EXCEPTIONS]),
                name="severed_item_narrow_exception",
            ),
            models.CheckConstraint(
                condition=~Q(explanation=""), name="severed_item_has_explanation"
            ),
        ]

    def __str__(self) -> str:
        return f"severed {self.item_label} {self.item_id}"


class CorrectionRequest(ClockedRequest):
    """A client's request to correct their record (PHIPA s.55)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXTENDED = "extended", "Extended once"
        CORRECTED = "corrected", "Corrected"
        REFUSED = "refused", "Refused"

    kind = "correction"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="correction_requests")
    # The signed note the request is about, if it is about one.
    note = models.ForeignKey(
        SessionNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the client asks to change, in their words.
    asked = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    refusal_ground = models.CharField(
        max_length=10, choices=CorrectionRefusal.choices, blank=True, default=""
    )
    refusal_reason = EncryptedTextField(blank=True, default="")
    # The client's statement of disagreement (s.55(11)), in their words.
    statement = EncryptedTextField(blank=True, default="")
    statement_received_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "received_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "extended", "corrected", "refused"]),
                name="correction_request_status_valid",
            ),
            models.CheckConstraint(condition=~Q(asked=""), name="correction_request_asks"),
            models.CheckConstraint(
                condition=(Q(status="refused") & ~Q(refusal_ground="") & ~Q(refusal_reason=""))
                | (~Q(status="refused") & Q(refusal_ground="")),
                name="correction_request_refusal_has_ground",
            ),
            # A statement of disagreement only follows a refusal.
            models.CheckConstraint(
                condition=Q(statement="", statement_received_on__isnull=True)
                | (Q(status="refused", statement_received_on__isnull=False) & ~Q(statement="")),
                name="correction_statement_only_on_refusal",
            ),
            *_clock_constraints("correction_request", ["corrected", "refused"]),
        ]
        indexes = [models.Index(fields=["practice", "status", "due_on"])]

    def __str__(self) -> str:
        return f"correction request {self.pk} ({self.status})"


class NoteCorrection(models.Model):
    """A struck-through version of one section of a signed note.

    The signed note stays as signed; this row keeps the text it strikes through
    (``old_text``), the corrected text, who, when and why. Insert-only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        CorrectionRequest, on_delete=models.PROTECT, related_name="note_corrections"
    )
    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="corrections")
    section = models.CharField(max_length=30)
    old_text = EncryptedTextField(blank=True, default="")
    new_text = EncryptedTextField()
    reason = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(section__in=SECTIONS), name="note_correction_section_valid"
            ),
            models.CheckConstraint(
                condition=~Q(new_text="") & ~Q(reason=""),
                name="note_correction_has_text_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"correction of {self.section} in note {self.note_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Part of the signed record, like an addendum: insert-only.
        if not self._state.adding:
            raise SignedNoteImmutable(f"note correction {self.pk} cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)
