"""What an export holds: the administrations of one client, one episode or one practice.

Callers check access first (:mod:`plusone.interop.actions`); these reads only gather rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from plusone.accounts.models import Practice
from plusone.clinical.models import Client, Episode
from plusone.measures.models import Administration


@dataclass(frozen=True)
class Scope:
    """One client, one episode or one practice; exactly one of the three is set."""

    practice: Practice
    client: Client | None = None
    episode: Episode | None = None

    @property
    def kind(self) -> str:
        return "episode" if self.episode else "client" if self.client else "practice"

    @property
    def target(self) -> Client | Episode | Practice:
        return self.episode or self.client or self.practice


FIELDS = (
    "id",
    "client_id",
    "episode_id",
    "session_id",
    "instrument_key",
    "instrument_version",
    "answers",
    "total",
    "valid",
    "completed_at",
    "client__practice_ref",
    "episode__primary_instrument",
    "episode__prior_therapy",
)


def administrations(scope: Scope) -> list[Administration]:
    """Every completed administration in ``scope``, oldest first, with client and episode."""
    rows = Administration.objects.filter(practice=scope.practice)
    if scope.episode is not None:
        rows = rows.filter(episode=scope.episode)
    elif scope.client is not None:
        rows = rows.filter(client=scope.client)
    # Only what the exports write: a practice export reads tens of thousands of rows,
    # and building whole clients and episodes (encrypted fields and all) was most of it.
    return list(
        rows.select_related("client", "episode")
        .only(*FIELDS)
        .order_by("client_id", "completed_at", "instrument_key", "id")
    )
