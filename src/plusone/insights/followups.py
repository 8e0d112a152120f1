"""The follow-ups after an Ending as the therapist reads them on the journey (issue 14):
each one's due date and status, and its primary score once done; and the consent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plusone.clinical.models import Consent, Episode
from plusone.core.measure_info import measure_info
from plusone.measures.actions.followups import follow_up_consent
from plusone.measures.models import FollowUp, FollowUpStatus

STATUS_WORDS = {
    FollowUpStatus.SCHEDULED: "scheduled",
    FollowUpStatus.INVITED: "link sent, not answered yet",
    FollowUpStatus.DONE: "done",
    FollowUpStatus.CANCELLED: "cancelled (consent withdrawn or the Ending reversed)",
}


@dataclass(frozen=True)
class FollowUpLine:
    months: int
    due_on: Any
    status: str
    words: str
    score: str


@dataclass(frozen=True)
class FollowUps:
    lines: list[FollowUpLine]
    consent: Consent | None
    # The latest follow-up consent row, withdrawn or not (for "withdrawn on ...").
    latest: Consent | None


def follow_ups_of(episode: Episode) -> FollowUps:
    """The episode's follow-ups, oldest first, and the client's follow-up consent."""
    rows = FollowUp.objects.filter(episode=episode).select_related("administration")
    title = measure_info(episode.primary_instrument).title
    lines = []
    for row in rows.order_by("months"):
        score = ""
        a = row.administration
        if a is not None and a.total is not None:
            score = f"{title} {a.total:g}" + (f" ({a.band})" if a.band else "")
        lines.append(
            FollowUpLine(row.months, row.due_on, row.status, STATUS_WORDS[row.status], score)
        )
    latest = (
        Consent.objects.filter(client_id=episode.client_id, kind=Consent.Kind.FOLLOW_UP)
        .order_by("-given_at")
        .first()
    )
    return FollowUps(lines, follow_up_consent(episode.client), latest)
