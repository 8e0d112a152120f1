"""Check-in invitations and their one reminder, sent before each scheduled session.

``plusone remind`` (and the worker, every 5 minutes) finds the scheduled sessions of open
episodes that start within :data:`INVITATION_WINDOW` and enqueues one
:func:`send_checkin_invitation` per session; within :data:`REMINDER_WINDOW` of the session,
a check-in still open (its link neither used nor replaced) gets one
:func:`send_checkin_reminder`, with a new link that replaces the old one. Only on the
channels the client consented to (a measurement consent on email or sms, latest not
withdrawn) and has an address for, and only for a session at which the client's
measurement plan asks something (:func:`asks_something`): a plan with nothing due that
session gets no invitation and no reminder. Each message carries a link and nothing else: no
client name, no score, no instrument, in the client's language.

The same run queues the follow-ups after an Ending whose day has come
(:func:`plusone.measures.tasks.enqueue_due_follow_ups`; docs/follow-ups.md).

At most once: each task claims its ``Delivery`` rows (kind, the session, the channel) in
the transaction that issues the link, before sending; a duplicate or retried task finds
the claim and sends nothing. A crash between claim and send loses that message rather
than sending it twice (docs/reminders.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django_tasks import task

from plusone import audit
from plusone.accounts.labels import email_label
from plusone.clinical.models import Client, Episode, Session
from plusone.measures import checkin as plan_queries
from plusone.measures import consent
from plusone.measures.actions.links import link_url
from plusone.measures.models import CheckinDraft, Sitting, SittingKind
from plusone.measures.tasks import enqueue_due_follow_ups
from plusone.notify.models import Delivery
from plusone.notify.sms import send_sms
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose
from plusone.web.logging import withheld_failures

log = logging.getLogger(__name__)

# Policy: the invitation goes out this long before the session starts.
INVITATION_WINDOW = dt.timedelta(hours=48)
# Policy: the one reminder, for a check-in still open this long before the session...
REMINDER_WINDOW = dt.timedelta(hours=24)
# ...and never sooner than this after the invitation (a session booked late gets one message).
REMINDER_GAP = dt.timedelta(hours=12)
# ...and not while the client is answering on the old link: revoking it would end the
# check-in open on their screen. A draft saved this recently means they are still there.
ANSWERING = dt.timedelta(minutes=30)

INVITE = "checkin_invite"
REMIND = "checkin_reminder"
EMAIL = "email"
SMS = "sms"


def contact_channels(client: Client) -> list[str]:
    """The channels an unasked message may use: consented (latest not withdrawn) and with an
    address. Email first, the default."""
    found = []
    if client.email and consent.channel_consented(client, EMAIL):
        found.append(EMAIL)
    if client.phone and consent.channel_consented(client, SMS):
        found.append(SMS)
    return found


def upcoming(now: dt.datetime, window: dt.timedelta) -> list[Session]:
    """Scheduled sessions of open episodes that start after ``now`` and within ``window``."""
    return list(
        Session.objects.select_related("episode__client")
        .filter(
            status=Session.Status.SCHEDULED,
            episode__status=Episode.Status.OPEN,
            starts_at__gt=now,
            starts_at__lte=now + window,
        )
        .order_by("starts_at")
    )


def asks_something(session: Session) -> bool:
    """Whether the check-in for ``session`` would ask anything, as the link would on the
    session's day in the client's language (the plan's slots for that session, a risk item
    kept on its own, what the last sitting carried over; less what the client cannot or
    need not answer). Read-only: no token is issued to find out."""
    episode = session.episode
    language = "fr" if episode.client.language == "fr" else "en"
    today = plan_queries.due_at(episode, session=session, now=session.starts_at, language=language)
    return bool(today.asked)


def _claimed(kind: str, sessions: list[Session]) -> dict[str, dt.datetime]:
    """Session id -> when its first ``kind`` delivery was claimed."""
    rows = Delivery.objects.filter(kind=kind, target__in=[str(s.pk) for s in sessions])
    found: dict[str, dt.datetime] = {}
    for target, at in rows.values_list("target", "claimed_at"):
        found[target] = min(at, found.get(target, at))
    return found


def open_link(session: Session) -> AccessToken | None:
    """The session's latest check-in link, when it is still open: not used, not revoked,
    not expired, and no check-in of the session done (through a link or in the room)."""
    links = AccessToken.objects.filter(session=session, purpose=Purpose.CHECKIN)
    if links.filter(used_at__isnull=False).exists():
        return None
    sittings = Sitting.objects.filter(session=session).exclude(kind=SittingKind.REFLECTION)
    if sittings.exists():
        return None
    latest = links.order_by("-created_at").first()
    if latest is None or latest.revoked_at is not None or latest.expires_at <= timezone.now():
        return None
    return latest


def answering(link: AccessToken, *, now: dt.datetime) -> bool:
    """Whether the client saved an answer on ``link`` within :data:`ANSWERING`."""
    return CheckinDraft.objects.filter(
        token_id=str(link.pk), updated_at__gt=now - ANSWERING
    ).exists()


@dataclass
class RemindRun:
    """What one ``plusone remind`` run enqueued."""

    invitations: int = 0
    reminders: int = 0
    sessions: int = 0
    follow_ups: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sessions": self.sessions,
            "invitations": self.invitations,
            "reminders": self.reminders,
            "follow_ups": self.follow_ups,
        }


def enqueue_due(*, now: dt.datetime) -> RemindRun:
    """Enqueue an invitation for each session in the window not yet invited and with a
    consented channel, a reminder for each still-open check-in in the reminder window, and
    a send for each follow-up after an Ending that is due (``plusone daily`` queues those
    too; the claim sends each once).

    A session whose task is queued but not yet run may be enqueued again by the next run:
    harmless, the claim makes the second one send nothing."""
    run = RemindRun()
    sessions = upcoming(now, INVITATION_WINDOW)
    run.sessions = len(sessions)
    invited = _claimed(INVITE, sessions)
    reminded = _claimed(REMIND, sessions)
    with transaction.atomic():
        for session in sessions:
            key = str(session.pk)
            if not contact_channels(session.episode.client):
                continue
            if key not in invited:
                # Last, being the dearest: a session the plan asks nothing at is left alone.
                if asks_something(session):
                    send_checkin_invitation.enqueue(key)
                    run.invitations += 1
            elif (
                key not in reminded
                and session.starts_at - now <= REMINDER_WINDOW
                and now - invited[key] >= REMINDER_GAP
                and (link := open_link(session)) is not None
                and not answering(link, now=now)
            ):
                send_checkin_reminder.enqueue(key)
                run.reminders += 1
        run.follow_ups = enqueue_due_follow_ups(now)
    return run


def _session(session_id: str, now: dt.datetime) -> Session | None:
    """The session when it is still scheduled, ahead, and its episode open."""
    return (
        Session.objects.select_related("episode__client__practice")
        .filter(
            pk=session_id,
            status=Session.Status.SCHEDULED,
            starts_at__gt=now,
            episode__status=Episode.Status.OPEN,
        )
        .first()
    )


def _language(client: Client) -> str:
    return "fr-ca" if client.language == "fr" else "en-ca"


def _link_ttl(session: Session, now: dt.datetime) -> dt.timedelta:
    # The link works until the session ends: the waiting room still counts.
    return session.starts_at + dt.timedelta(minutes=session.duration_minutes) - now


@task()
@withheld_failures
def send_checkin_invitation(session_id: str) -> str:
    """Issue the session's check-in link and send it on every consented channel, at most
    once per (session, channel). Returns "sent", "already", "no_channel", "nothing_due"
    (the plan asks nothing at this session; nothing claimed) or "gone" (cancelled,
    started, or its episode closed)."""
    now = timezone.now()
    session = _session(session_id, now)
    if session is None:
        return "gone"
    return _claim_and_send(session, INVITE, now=now, replaces=None)


@task()
@withheld_failures
def send_checkin_reminder(session_id: str) -> str:
    """The one reminder for a check-in still open before its session: a new link (the old one
    is revoked, a started check-in carries over), at most once per (session, channel).
    A client answering on the old link right now is left alone: nothing is claimed, so a
    later run sends the reminder if the check-in is still open once they have gone quiet.
    Returns "sent", "already", "no_channel", "closed" (done, or no open link),
    "in_progress" or "gone". The open link is why it is sent: the plan is not asked again."""
    now = timezone.now()
    session = _session(session_id, now)
    if session is None:
        return "gone"
    old = open_link(session)
    if old is None:
        return "closed"
    if answering(old, now=now):
        return "in_progress"
    return _claim_and_send(session, REMIND, now=now, replaces=old)


def _claim_and_send(
    session: Session, kind: str, *, now: dt.datetime, replaces: AccessToken | None
) -> str:
    client = session.episode.client
    channels = contact_channels(client)
    if not channels:
        return "no_channel"
    # The invitation asks the plan; a reminder follows the link the invitation sent.
    if replaces is None and not asks_something(session):
        return "nothing_due"
    try:
        # Claim before sending, in the transaction that issues the link.
        with transaction.atomic():
            claims = {
                channel: Delivery.objects.create(
                    practice_id=client.practice_id, kind=kind, target=str(session.pk), slot=channel
                )
                for channel in channels
            }
            if replaces is not None:
                tokens.revoke(replaces)
            raw, token = tokens.issue(
                Purpose.CHECKIN,
                practice=client.practice,
                client=client,
                episode=session.episode,
                session=session,
                ttl=_link_ttl(session, now),
                replaces=replaces,
            )
            if replaces is not None:
                # A check-in already started goes on under the new link.
                CheckinDraft.objects.filter(token_id=str(replaces.pk)).update(
                    token_id=str(token.pk)
                )
            audit.record(
                practice=client.practice,
                actor=None,
                action="checkin.remind" if kind == REMIND else "checkin.invite",
                target_type="tokens.accesstoken",
                target_id=token.pk,
                detail={"client": client.pk, "session": session.pk, "channels": channels},
            )
    except IntegrityError:
        return "already"
    failed = []
    for channel, claim in claims.items():
        try:
            _send(channel, client, url=link_url(raw), token=token, reminder=kind == REMIND)
        except Exception:
            # Ids only in the log; the claim stays, so no retry sends it twice.
            log.exception("%s %s on %s failed", kind, claim.pk, channel)
            Delivery.objects.filter(pk=claim.pk).update(status=Delivery.Status.FAILED)
            failed.append(channel)
            continue
        Delivery.objects.filter(pk=claim.pk).update(
            status=Delivery.Status.SENT, sent_at=timezone.now()
        )
    if failed:
        raise RuntimeError(f"{kind} not sent on {', '.join(failed)}")
    return "sent"


def message(client: Client, *, url: str, expires: dt.datetime, reminder: bool) -> dict[str, str]:
    """The invitation's (or reminder's) subject, email body and SMS text, in the client's
    language: a link and when it stops working; no name, no score, no instrument."""
    with translation.override(_language(client)):
        until = date_format(timezone.localtime(expires), "DATETIME_FORMAT")
        if reminder:
            subject = gettext("Reminder: your check-in before your session")
            body = gettext(
                "Hello,\n\nYour check-in before your session is still open. Here is a new "
                "link; the earlier one no longer works. It works until %(expires)s.\n\n"
                "%(url)s\n\nIf you did not expect this message, you can ignore it.\n"
            )
            sms = gettext("Reminder: your check-in before your session: %(url)s")
        else:
            subject = gettext("Your check-in before your session")
            body = gettext(
                "Hello,\n\nHere is your check-in before your session. It takes a few minutes "
                "and works until %(expires)s.\n\n%(url)s\n\n"
                "If you did not expect this message, you can ignore it.\n"
            )
            sms = gettext("Your check-in before your session: %(url)s")
        label = email_label(client.practice)
        if label:
            subject = f"{label}: {subject}"
    return {
        "subject": subject,
        "body": body % {"expires": until, "url": url},
        "sms": sms % {"url": url},
        "sender": _sender(label),
    }


def _sender(label: str) -> str:
    if not label:
        return str(settings.DEFAULT_FROM_EMAIL)
    return formataddr((label, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _send(channel: str, client: Client, *, url: str, token: Any, reminder: bool) -> None:
    text = message(client, url=url, expires=token.expires_at, reminder=reminder)
    if channel == SMS:
        send_sms(client.phone, text["sms"])
    else:
        send_mail(text["subject"], text["body"], text["sender"], [client.email])
