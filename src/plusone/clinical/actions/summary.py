"""The episode summary row's clinical fields, written by the record's own actions."""

from __future__ import annotations

from typing import Any

from plusone.clinical.models import (
    Episode,
    EpisodeSummary,
    Flag,
)

# The fields the record's actions may write on the summary row.
SUMMARY_FIELDS = frozenset(
    {
        "latest_total",
        "band_label",
        "slope_per_week",
        "proposal_kind",
        "alerts",
        "last_session_at",
        "next_session_at",
        "not_completed_count",
        "phase",
        "primary_trend",
        "goal_ratings",
        "spike_review",
        "judged_on",
        "awaiting",
        "held",
        "repair_first",
        "consult",
    }
)


def update_summary(episode: Episode, **fields: Any) -> EpisodeSummary:
    """Rewrite the episode's summary row inside the caller's transaction (no audit
    event of its own: the caller's action records one). The open-flag count is
    recomputed from the flags, never passed in."""
    unknown = set(fields) - SUMMARY_FIELDS
    if unknown:
        raise TypeError(f"not summary fields: {sorted(unknown)}")
    open_count = Flag.objects.filter(episode=episode, status=Flag.Status.OPEN).count()
    summary, _ = EpisodeSummary.objects.select_for_update().get_or_create(
        episode=episode,
        defaults={
            "practice_id": episode.practice_id,
            "client_id": episode.client_id,
            "therapist_id": episode.client.therapist_id,
            "primary_instrument": episode.primary_instrument,
        },
    )
    for name, value in fields.items():
        setattr(summary, name, value)
    summary.open_flag_count = open_count
    summary.save()
    return summary
