"""Follow-ups after an Ending: "does it hold?" (issue 14; DESIGN.md, Phases, Ending row).

When the client's confirmation makes an Ending take effect, and only with their
follow-up consent, a follow-up is scheduled at 3 and 6 months
(``policy.follow_up_months``). On its due date a task issues a check-in link that asks
the primary measure, the goals and Felt Change (a sitting of kind "follow_up", through
the ordinary check-in pages) and sends it on the consented channel (email or SMS), at
most once per slot (the ``Delivery`` claim). ``plusone remind`` and ``plusone daily``
both queue it, in the daytime only (:data:`FOLLOW_UP_HOURS`). Withdrawing the consent
cancels the pending ones. Core's Ending rule reads the administration like any other:
one after the Ending is a follow-up.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from plusone import audit
from plusone.clinical.models import Consent, Decision, Episode, EpisodeSummary, Phase
from plusone.core.policy import Policy
from plusone.measures import checkin as plan_queries
from plusone.measures.actions.links import EMAIL_BODY, link_email_heading, link_url
from plusone.measures.models import (
    Administration,
    CheckinDraft,
    FollowUp,
    FollowUpStatus,
    Sitting,
    SittingKind,
)
from plusone.notify.models import Delivery
from plusone.notify.sms import send_sms
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose

log = logging.getLogger(__name__)

# The Delivery claim of a follow-up's invitation: kind, target the episode, slot "3m"/"6m".
# One follow-up goes on one channel (the consented one), so the slot needs no channel:
# a claim stays one message whichever channel it went on (docs/reminders.md).
FOLLOW_UP_DELIVERY = "follow_up_invitation"
# A follow-up link stays open two weeks: a client months past the Ending is not rushed.
FOLLOW_UP_TTL = dt.timedelta(days=14)
# The wording the client agrees to (both languages, on the forms that ask it).
FOLLOW_UP_CONSENT_VERSION = "2026-12-1"
# The channels a follow-up invitation can go out on: the client chooses one.
FOLLOW_UP_CHANNELS = (Consent.Channel.EMAIL, Consent.Channel.SMS)
# Policy: a follow-up goes out on its due day (or later) between these local times, never
# at night: ``plusone daily`` runs at 02:00, so the 15-minute ``plusone remind`` sends it.
FOLLOW_UP_HOURS = (dt.time(9), dt.time(20))
# The text: a link and when it stops working; no name, no clinical word.
# Translators: a text message (SMS); %(expires)s is a date, %(url)s the link.
FOLLOW_UP_SMS = gettext_lazy("Here is your link. It works once and until %(expires)s: %(url)s")
PENDING = (FollowUpStatus.SCHEDULED, FollowUpStatus.INVITED)
# What a follow-up asks (DESIGN.md): the primary measure, then the goals and Felt Change,
# the client's own words first as in every check-in.
OWN_WORDS = ("personal_goals", "felt_change")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, on the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def follow_up_consent(client: Any) -> Consent | None:
    """The client's latest follow-up consent when it stands (not withdrawn), else None."""
    latest = (
        Consent.objects.filter(client=client, kind=Consent.Kind.FOLLOW_UP)
        .order_by("-given_at")
        .first()
    )
    return latest if latest is not None and latest.withdrawn_at is None else None


def confirmed_ending(episode: Episode) -> Decision | None:
    """The episode's Ending when it is the latest phase change and has taken effect."""
    latest = (
        Decision.objects.filter(episode=episode, kind=Decision.Kind.PHASE_CHANGE)
        .order_by("-decided_on", "-created_at")
        .first()
    )
    if latest is None or latest.phase != Phase.ENDING or latest.confirmed_on is None:
        return None
    return latest


def schedule_follow_ups(
    *, decision: Decision, actor: Any, months: Sequence[int] = Policy().follow_up_months
) -> list[FollowUp]:
    """Schedule the follow-ups of a confirmed Ending, when the client consented; audit it.

    Call inside the confirming transaction. Nothing without a standing follow-up consent
    or for a decision that is not a confirmed Ending. Re-confirming (after a reversal)
    moves the dates on from the new confirmation; a done follow-up stays done.
    """
    if decision.phase != Phase.ENDING or decision.kind != Decision.Kind.PHASE_CHANGE:
        return []
    if decision.confirmed_on is None:
        return []
    episode = Episode.objects.select_related("practice", "client").get(pk=decision.episode_id)
    consent = follow_up_consent(episode.client)
    if consent is None:
        return []
    rows = []
    for month in months:
        due = add_months(decision.confirmed_on, month)
        row = FollowUp.objects.select_for_update().filter(episode=episode, months=month).first()
        if row is None:
            row = FollowUp.objects.create(
                practice_id=episode.practice_id,
                episode=episode,
                decision=decision,
                months=month,
                due_on=due,
                channel=consent.channel,
            )
        elif row.status != FollowUpStatus.DONE:
            # A re-confirmed Ending (after a reversal or a withdrawal) starts the clock again.
            row.decision, row.due_on, row.channel = decision, due, consent.channel
            row.status, row.cancelled_at, row.link = FollowUpStatus.SCHEDULED, None, None
            row.save()
        rows.append(row)
    audit.record(
        practice=episode.practice,
        actor=actor,
        action="followup.schedule",
        target_type="clinical.episode",
        target_id=episode.pk,
        detail={"decision": decision.pk, "months": [r.months for r in rows]},
    )
    return rows


def follow_up_channel(asked: str | None, client: Any) -> str:
    """The channel a consent form asked for: SMS only when asked and the client has a phone
    number, else email (the default, as the forms offer it)."""
    if asked == Consent.Channel.SMS and client.phone:
        return Consent.Channel.SMS
    return Consent.Channel.EMAIL


def record_follow_up_consent(
    *,
    acting_user: Any,
    client: Any,
    agree: bool,
    channel: str = Consent.Channel.EMAIL,
    language: str = "en",
    actor: Any = None,
) -> Consent:
    """Record the client's follow-up consent (or its withdrawal) as a new row; audit it.

    Agreeing after the Ending took effect schedules its follow-ups; withdrawing cancels
    the pending ones and revokes their links. ``acting_user`` records the row (the
    therapist, also for the portal); ``actor`` is who the audit names (default the user).
    """
    if agree and channel not in FOLLOW_UP_CHANNELS:
        raise ValueError(f"unknown follow-up channel {channel!r}")
    now = timezone.now()
    with transaction.atomic():
        row = Consent.objects.create(
            practice=client.practice,
            client=client,
            kind=Consent.Kind.FOLLOW_UP,
            version=FOLLOW_UP_CONSENT_VERSION,
            channel=channel if agree else Consent.Channel.NONE,
            language=language,
            given_at=now,
            withdrawn_at=None if agree else now,
            recorded_by=acting_user,
        )
        cancelled = 0
        episode = Episode.objects.filter(client=client).order_by("-opened_on").first()
        if not agree:
            cancelled = cancel_follow_ups(client=client, now=now)
        elif episode is not None and (ending := confirmed_ending(episode)) is not None:
            schedule_follow_ups(decision=ending, actor=actor or acting_user)
        audit.record(
            practice=client.practice,
            actor=actor or acting_user,
            action="consent.follow_up_agree" if agree else "consent.follow_up_withdraw",
            target_type="clinical.consent",
            target_id=row.pk,
            detail={"client": client.pk, "channel": row.channel, "cancelled": cancelled},
        )
    return row


def cancel_follow_ups(*, client: Any, now: dt.datetime) -> int:
    """Cancel the client's pending follow-ups and revoke their unused links; return how many."""
    pending = list(
        # Lock the follow-up rows only: PostgreSQL refuses FOR UPDATE on a nullable join.
        FollowUp.objects.select_for_update(of=("self",))
        .filter(episode__client=client, status__in=PENDING)
        .select_related("link")
    )
    for row in pending:
        if row.link is not None and row.link.used_at is None and row.link.revoked_at is None:
            tokens.revoke(row.link)
    FollowUp.objects.filter(pk__in=[r.pk for r in pending]).update(
        status=FollowUpStatus.CANCELLED, cancelled_at=now
    )
    return len(pending)


def due_follow_ups(now: dt.datetime) -> list[FollowUp]:
    """The scheduled follow-ups whose day has come, in the daytime (:data:`FOLLOW_UP_HOURS`;
    none at night), and not already claimed (a claim whose send was lost stays lost)."""
    local = timezone.localtime(now)
    start, end = FOLLOW_UP_HOURS
    if not start <= local.time() < end:
        return []
    rows = list(FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED, due_on__lte=local.date()))
    claimed = set(
        Delivery.objects.filter(
            kind=FOLLOW_UP_DELIVERY, target__in={str(r.episode_id) for r in rows}
        ).values_list("target", "slot")
    )
    return [r for r in rows if (str(r.episode_id), f"{r.months}m") not in claimed]


def follow_up_groups(episode: Episode) -> list[str]:
    """What the follow-up asks: the goals and Felt Change, then the primary measure (each
    only when the client can answer it)."""
    keys = [*OWN_WORDS, episode.primary_instrument]
    return [k for k in keys if plan_queries.administrable(k, episode)]


def invite_follow_up(follow_up_id: Any, *, now: dt.datetime | None = None) -> str:
    """Issue the follow-up's check-in link and send it on the consented channel (email or
    SMS), once.

    Claims the ``Delivery`` (kind "follow_up_invitation", the episode, slot "3m") before
    anything else, so a retried or duplicated task sends nothing. Returns "sent",
    "issued" (no address on that channel: the link waits on the therapist's journey),
    "already", "not due", "no consent" (cancelled) or "gone".
    """
    now = now or timezone.now()
    row = (
        FollowUp.objects.select_related("episode__client", "practice")
        .filter(pk=follow_up_id)
        .first()
    )
    if row is None:
        return "gone"
    if row.status != FollowUpStatus.SCHEDULED:
        return "already"
    if row.due_on > timezone.localdate(now):
        return "not due"
    client = row.episode.client
    if follow_up_consent(client) is None:
        with transaction.atomic():
            cancel_follow_ups(client=client, now=now)
        return "no consent"
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                practice_id=row.practice_id,
                kind=FOLLOW_UP_DELIVERY,
                target=str(row.episode_id),
                slot=f"{row.months}m",
            )
    except IntegrityError:
        return "already"
    address = {Consent.Channel.EMAIL: client.email, Consent.Channel.SMS: client.phone}
    sending = bool(row.channel in FOLLOW_UP_CHANNELS and address.get(row.channel))
    with transaction.atomic():
        raw, token = tokens.issue(
            Purpose.CHECKIN,
            practice=row.practice,
            client=client,
            episode=row.episode,
            ttl=FOLLOW_UP_TTL,
        )
        CheckinDraft.objects.create(
            practice_id=row.practice_id,
            token_id=str(token.pk),
            instruments=follow_up_groups(row.episode),
            rolled_on=[],
            kind=SittingKind.FOLLOW_UP,
            started_at=now,
            updated_at=now,
        )
        FollowUp.objects.filter(pk=row.pk).update(
            status=FollowUpStatus.INVITED, link=token, invited_at=now
        )
        if not sending:
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)
        audit.record(
            practice=row.practice,
            actor=None,
            action="followup.invite",
            target_type="measures.followup",
            target_id=row.pk,
            detail={
                "token": token.pk,
                "months": row.months,
                "channel": row.channel if sending else "",
                "emailed": sending and row.channel == Consent.Channel.EMAIL,
            },
        )
    # Sent after the commit: the claim and the link stand before anything leaves.
    if not sending:
        return "issued"
    if row.channel == Consent.Channel.SMS:
        _text(delivery.pk, client.phone, _sms(client, token, link_url(raw)))
    else:
        _send(delivery.pk, client.email, *_email(client, token, link_url(raw)))
    return "sent"


def _email(client: Any, token: AccessToken, url: str) -> tuple[str, str, str]:
    """(subject, sender, body): the ordinary neutral link email, in the client's language."""
    with translation.override("fr-ca" if client.language == "fr" else "en-ca"):
        expires = date_format(timezone.localtime(token.expires_at), "DATE_FORMAT")
        subject, sender = link_email_heading(client.practice)
        return subject, sender, str(EMAIL_BODY) % {"expires": expires, "url": url}


def _sms(client: Any, token: AccessToken, url: str) -> str:
    """The text: the link and the day it stops working, in the client's language."""
    with translation.override("fr-ca" if client.language == "fr" else "en-ca"):
        expires = date_format(timezone.localtime(token.expires_at), "DATE_FORMAT")
        return str(FOLLOW_UP_SMS) % {"expires": expires, "url": url}


def _send(delivery_id: Any, address: str, subject: str, sender: str, body: str) -> None:
    _deliver(
        delivery_id,
        lambda: send_mail(subject, body, sender or settings.DEFAULT_FROM_EMAIL, [address]),
    )


def _text(delivery_id: Any, phone: str, body: str) -> None:
    _deliver(delivery_id, lambda: send_sms(phone, body))


def _deliver(delivery_id: Any, send: Any) -> None:
    try:
        send()
    except Exception:
        # Not retried (at most once); the therapist's week and digest show it.
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED)
        raise
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )


def mark_follow_up_done(
    *, token: AccessToken, sitting: Sitting, stored: Sequence[Administration], now: dt.datetime
) -> FollowUp | None:
    """Inside the submit's transaction: the follow-up this link belongs to is done, with its
    sitting and the primary measure's administration."""
    row = FollowUp.objects.select_for_update().filter(link=token).first()
    if row is None:
        return None
    primary = row.episode.primary_instrument
    administration = next((a for a in stored if a.instrument_key == primary), None)
    row.status = FollowUpStatus.DONE
    row.sitting = sitting
    row.administration = administration
    row.done_at = now
    row.save(update_fields=["status", "sitting", "administration", "done_at"])
    return row


def offers_check_in(episode_id: Any) -> bool:
    """True when core's Ending rule proposes "check in together" for the episode now: the
    client is offered a session (DESIGN.md: an offer, never an alarm)."""
    return EpisodeSummary.objects.filter(
        episode_id=episode_id, proposal_kind="check_in_together"
    ).exists()
