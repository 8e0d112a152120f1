"""The client's follow-ups after an Ending, in plain words (issue 14): when each comes,
whether it is done, the follow-up consent, and the offer of a session when one did not
hold. No score, no band, no alarm: an offer, never a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plusone.clinical.models import Client, Consent
from plusone.measures.actions.followups import (
    confirmed_ending,
    follow_up_consent,
    offers_check_in,
)
from plusone.measures.models import FollowUp, FollowUpStatus
from plusone.portal.journey import episode_of


@dataclass(frozen=True)
class MyFollowUps:
    # (months, due_on, done_on or None) of the ones not cancelled, oldest first.
    lines: list[tuple[int, Any, Any]]
    consent: Consent | None
    ended: bool
    offer: bool
    # Whether the client has a phone number: then the check-ins can come by text message.
    phone: bool = False


def my_follow_ups(client: Client) -> MyFollowUps | None:
    """The client's follow-ups, or None before any Ending and without consent or rows."""
    episode = episode_of(client)
    if episode is None:
        return None
    rows = FollowUp.objects.filter(episode=episode).exclude(status=FollowUpStatus.CANCELLED)
    lines = [
        (r.months, r.due_on, r.done_at.date() if r.done_at else None)
        for r in rows.order_by("months")
    ]
    ended = confirmed_ending(episode) is not None
    consent = follow_up_consent(client)
    if not (ended or lines or consent):
        return None
    offer = ended and offers_check_in(episode.pk)
    return MyFollowUps(lines, consent, ended, offer, bool(client.phone))
