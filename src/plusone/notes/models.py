"""Session notes.

A note starts as a :class:`NoteDraft`, which the therapist may save many
times; its ``version`` counter turns a second, stale save into a conflict
instead of a silent overwrite. Signing writes a :class:`SessionNote` and
deletes the draft. A SessionNote is insert-only: nothing in PlusOne updates
or deletes it (its ``save()`` refuses an update, and a PostgreSQL deployment
may revoke UPDATE and DELETE on its table); later changes are
:class:`Addendum` rows. Every text field is an EncryptedTextField bound to
the row's UUID.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from plusone.accounts.models import Practice
from plusone.clinical.models import Episode, Session
from plusone.crypto.fields import EncryptedTextField

# The required sections, then the optional ones in the model's words (DESIGN.md).
REQUIRED_SECTIONS = ("risk_assessment", "interventions_and_plan", "consent_changes", "disclosures")
OPTIONAL_SECTIONS = ("meaning", "memory", "self_in_relationship", "symptom_message")
SECTIONS = REQUIRED_SECTIONS + OPTIONAL_SECTIONS

SECTION_LABELS = {
    "risk_assessment": "Risk assessment",
    "interventions_and_plan": "Interventions and plan",
    "consent_changes": "Consent changes",
    "disclosures": "Disclosures",
    "meaning": "Meaning",
    "memory": "Memory",
    "self_in_relationship": "Self-in-relationship",
    "symptom_message": "What the symptom may be saying",
}


class NoteSections(models.Model):
    """The eight sections every note and draft carries."""

    risk_assessment = EncryptedTextField(blank=True, default="")
    interventions_and_plan = EncryptedTextField(blank=True, default="")
    consent_changes = EncryptedTextField(blank=True, default="")
    disclosures = EncryptedTextField(blank=True, default="")
    meaning = EncryptedTextField(blank=True, default="")
    memory = EncryptedTextField(blank=True, default="")
    self_in_relationship = EncryptedTextField(blank=True, default="")
    symptom_message = EncryptedTextField(blank=True, default="")

    class Meta:
        abstract = True

    def sections(self) -> list[tuple[str, str, str]]:
        """(field name, label, text) for each section, in order."""
        return [(name, SECTION_LABELS[name], getattr(self, name)) for name in SECTIONS]


class NoteDraft(NoteSections):
    """A note being written. ``version`` rises by one on every save."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="note_draft")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="note_draft_version_positive")
        ]

    def __str__(self) -> str:
        return f"note draft v{self.version} for session {self.session_id}"


class SessionNote(NoteSections):
    """A signed note: immutable. Corrections and additions are addenda."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    # The draft version that was signed.
    signed_version = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # A signed note has every required section written.
            models.CheckConstraint(
                condition=~Q(risk_assessment="")
                & ~Q(interventions_and_plan="")
                & ~Q(consent_changes="")
                & ~Q(disclosures=""),
                name="session_note_required_sections",
            ),
        ]

    def __str__(self) -> str:
        return f"signed note for session {self.session_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Invariant, not business logic: a signed note is written once and never updated.
        if not self._state.adding:
            raise SignedNoteImmutable(f"signed note {self.pk} cannot be changed; add an addendum")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise SignedNoteImmutable(f"signed note {self.pk} cannot be deleted")


class SignedNoteImmutable(Exception):
    """Raised on any attempt to change or delete a signed note."""


class Addendum(models.Model):
    """A later addition to a signed note: who, when, why and what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    reason = EncryptedTextField()
    text = EncryptedTextField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason="") & ~Q(text=""), name="addendum_has_reason_and_text"
            ),
        ]

    def __str__(self) -> str:
        return f"addendum {self.pk} to note {self.note_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Addenda are part of the signed record: insert-only too.
        if not self._state.adding:
            raise SignedNoteImmutable(f"addendum {self.pk} cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)
