"""Messages that could not be sent, shown to the therapist: never silently lost.

Every message PlusOne sends on its own claims a ``Delivery`` row before sending and marks
it ``failed`` when the send raises; nothing retries it (at most once, docs/reminders.md).
This module reads those rows back for the therapist: the notes on the week's upcoming
sessions whose check-in invitation or reminder failed, and the digest's count of failed
messages about their clients. Counts and ids only: no name, no clinical content.

How each kind's ``target`` leads to the client (and so to the therapist):

- ``checkin_invite``, ``checkin_reminder``: the session;
- ``follow_up_invitation``: the episode;
- ``observer_invite``, ``checkin_link``: the access token (its client).

Not counted: ``portal_signin_link`` (the client asked for it and saw the failure; portal
is a floor above), and the staff messages (``new_flag``, the digests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Model

from plusone.clinical.models import Episode, Session
from plusone.measures.actions.followups import FOLLOW_UP_DELIVERY
from plusone.measures.actions.links import LINK_DELIVERY
from plusone.measures.invitations import INVITE, REMIND
from plusone.notify.models import Delivery
from plusone.observers.invitations import OBSERVER_INVITE
from plusone.tokens.models import AccessToken

# Kind -> (the model its target names, the path from that model to the client's therapist).
TARGETS: dict[str, tuple[type[Model], str]] = {
    INVITE: (Session, "episode__client__therapist"),
    REMIND: (Session, "episode__client__therapist"),
    FOLLOW_UP_DELIVERY: (Episode, "client__therapist"),
    OBSERVER_INVITE: (AccessToken, "client__therapist"),
    LINK_DELIVERY: (AccessToken, "client__therapist"),
}
CHANNELS = {"email": "email", "sms": "SMS"}
WHAT = {INVITE: "Check-in invitation", REMIND: "Check-in reminder"}


def failed_count(user: Any, *, since: dt.datetime) -> int:
    """How many messages about ``user``'s clients failed since ``since``. One query for the
    failed rows, then one per kind that has any (a handful at most)."""
    rows = list(
        Delivery.objects.filter(
            status=Delivery.Status.FAILED, kind__in=list(TARGETS), claimed_at__gte=since
        ).values_list("kind", "target")
    )
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, target in rows:
        by_kind[kind].append(target)
    total = 0
    for kind, targets in by_kind.items():
        model, therapist = TARGETS[kind]
        theirs = {
            str(pk)
            for pk in model._default_manager.filter(
                pk__in=set(targets), **{therapist: user}
            ).values_list("pk", flat=True)
        }
        total += sum(1 for t in targets if t in theirs)
    return total


def _channels(slots: Iterable[str]) -> str:
    return " and ".join(CHANNELS.get(s, s) for s in sorted(slots))


def session_notes(sessions: Iterable[Session]) -> dict[Any, str]:
    """Session pk -> the note for each of ``sessions`` whose latest check-in message (the
    invitation, or the reminder once one was tried) failed on a channel. One query."""
    by_id = {str(s.pk): s.pk for s in sessions}
    if not by_id:
        return {}
    latest: dict[str, dict[str, tuple[dt.datetime, str, str]]] = defaultdict(dict)
    for target, kind, slot, status, at in Delivery.objects.filter(
        kind__in=(INVITE, REMIND), target__in=list(by_id)
    ).values_list("target", "kind", "slot", "status", "claimed_at"):
        # A reminder replaces the invitation: what the client holds is the latest message.
        rank = (kind == REMIND, at)
        held = latest[target].get(slot)
        if held is None or rank > (held[1] == REMIND, held[0]):
            latest[target][slot] = (at, kind, status)
    notes = {}
    for target, slots in latest.items():
        newest = max(slots.values(), key=lambda v: (v[1] == REMIND, v[0]))[1]
        mine = {slot: status for slot, (_, kind, status) in slots.items() if kind == newest}
        failed = [s for s, status in mine.items() if status == Delivery.Status.FAILED]
        if not failed:
            continue
        sent = [s for s, status in mine.items() if status == Delivery.Status.SENT]
        what, failed_on = WHAT[newest], _channels(failed)
        if sent:
            notes[by_id[target]] = (
                f"{what} sent by {_channels(sent)}, not by {failed_on} ({failed_on} failed)"
            )
        else:
            notes[by_id[target]] = f"{what} not sent ({failed_on} failed): send the link by hand"
    return notes
