"""Background tasks of the check-in app: the follow-up invitations after an Ending."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from plusone.measures.actions.followups import due_follow_ups, invite_follow_up
from plusone.web.logging import withheld_failures


@task()
@withheld_failures
def send_follow_up(follow_up_id: str) -> str:
    """Issue and send one follow-up's check-in link, at most once (see invite_follow_up)."""
    return invite_follow_up(follow_up_id)


def enqueue_due_follow_ups(now: dt.datetime) -> int:
    """Queue a send for every follow-up due at ``now`` (its day has come, in the daytime,
    not yet claimed); run by ``plusone remind`` and ``plusone daily``, and a second
    queueing sends nothing (the claim)."""
    due = due_follow_ups(now)
    for row in due:
        send_follow_up.enqueue(str(row.pk))
    return len(due)
