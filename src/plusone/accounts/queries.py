"""Reads about who a user is within a practice."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from plusone.accounts.models import Membership, Practice, Role, User


def roles(user: User, practice: Practice) -> set[str]:
    """The roles ``user`` holds in ``practice``."""
    return set(
        Membership.objects.filter(user=user, practice=practice).values_list("role", flat=True)
    )


def staff_practice(user: User) -> Practice:
    """The practice where ``user`` holds a staff role (v1: one practice per person).

    Raises Http404 for a user with no membership, e.g. a client's portal user.
    """
    membership = (
        Membership.objects.filter(user=user)
        .select_related("practice")
        .order_by("created_at")
        .first()
    )
    if membership is None:
        raise Http404
    return membership.practice


def is_staff_member(user: User) -> bool:
    """True when the user holds any role in any practice."""
    return Membership.objects.filter(user=user).exists()


def has_role(user: User, role: Role | str) -> bool:
    """True when the user holds ``role`` in their practice."""
    return Membership.objects.filter(user=user, role=role).exists()


def privacy_practices(user: Any) -> QuerySet[Practice]:
    """Practices whose log ``user`` may read as privacy officer."""
    return Practice.objects.filter(
        pk__in=Membership.objects.filter(user=user, role=Role.PRIVACY_OFFICER).values("practice")
    )
