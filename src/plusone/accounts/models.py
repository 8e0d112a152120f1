"""Users, practices and memberships.

Staff sign in with their email address. One person may hold several roles
in a practice (therapist, admin, privacy officer, supervisor); each is one
Membership row. A client's portal user is an ordinary User with no Membership.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by email."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        email = self.normalize_email(email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: staff, or a client using the portal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Practice(models.Model):
    """A practice (solo or clinic): the tenant every clinical row belongs to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    # Blank until the practice sets its own, in both languages, each with a {read_by}
    # slot (clinical.risk fills it); clinical.safety's default text applies meanwhile.
    crisis_text = models.TextField(blank=True)
    crisis_text_fr = models.TextField(blank=True)
    # Off for a practice that keeps its session notes elsewhere (note pages then 404).
    notes_enabled = models.BooleanField(default=True)
    # The neutral name link emails are sent under (accounts.labels); blank: the practice's
    # name, when that is neutral.
    email_label = models.CharField(max_length=60, blank=True)
    # A French-speaking client and an instrument with no validated French version
    # (DESIGN.md, Languages): given in English with a one-line note, or left out.
    untranslated_instruments = models.CharField(
        max_length=16,
        choices=[
            ("english_note", "Given in English, with a note"),
            ("leave_out", "Left out"),
        ],
        default="english_note",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    ADMIN = "admin", "Practice admin"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SUPERVISOR = "supervisor", "Supervisor"


class Membership(models.Model):
    """One role that one user holds in one practice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "user", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.practice}"
