"""Who may export what. "Not yours" raises Http404, exactly like "not there".

- One client or one episode (FHIR or scores CSV): whoever may change the client's
  record, i.e. the treating therapist (``access_client(..., write=True)``). A
  supervisor reads but does not disclose; the admin and privacy officer never read
  a client's scores, so they do not export them one by one either.
- The practice's scores CSV (identifiable): the privacy officer, who keeps the
  disclosure log it enters.
- The de-identified research export: the practice admin, who runs the practice's
  reporting; it identifies no one, so it is not the disclosure log keeper's.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from plusone.accounts.models import Membership, Practice, Role
from plusone.clinical.models import Client, Episode
from plusone.clinical.queries import access_client, access_episode
from plusone.web.ids import uuid_or_404

# The roles that may take each practice-wide export.
PRACTICE_ROLES = {
    "csv": frozenset({Role.PRIVACY_OFFICER}),
    "research": frozenset({Role.ADMIN}),
}


def access_export_client(user: Any, client_id: Any) -> Client:
    return access_client(user, client_id, write=True)


def access_export_episode(user: Any, episode_id: Any) -> Episode:
    return access_episode(user, episode_id, write=True)


def practice_exports(user: Any) -> set[str]:
    """The practice-wide export kinds ``user`` may take in their practice."""
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return {kind for kind, roles in PRACTICE_ROLES.items() if held & roles}


def access_export_practice(user: Any, kind: str, practice_id: Any = None) -> Practice:
    """The practice (``practice_id``, or the user's own) if ``user`` holds a role that may
    take the ``kind`` export of it; else Http404."""
    roles = PRACTICE_ROLES.get(kind)
    if roles is None or not getattr(user, "is_authenticated", False):
        raise Http404
    memberships = Membership.objects.filter(user=user, role__in=roles).select_related("practice")
    if practice_id is not None:
        memberships = memberships.filter(practice=uuid_or_404(practice_id))
    found = memberships.order_by("created_at").first()
    if found is None:
        raise Http404
    return found.practice
