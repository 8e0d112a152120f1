"""Check-in and reflection links, and kiosk mode: how a client reaches a check-in."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from plusone import audit
from plusone.accounts.labels import email_label
from plusone.clinical.models import Client, Episode, Session
from plusone.measures import checkin as plan_queries
from plusone.measures import consent
from plusone.measures.models import (
    CheckinDraft,
    SittingKind,
)
from plusone.notify.models import Delivery
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose

log = logging.getLogger(__name__)

CHECKIN_TTL = dt.timedelta(days=7)
KIOSK_TTL = dt.timedelta(hours=2)
# The reflection is about today's session: its fallback link works for 2 days.
REFLECTION_LINK_TTL = dt.timedelta(days=2)
REFLECTION_KEY = "session_reflection"
# Neutral on purpose: the practice's neutral label, no clinical word (DESIGN.md: no health
# information); a bare "Your link" read like phishing.
EMAIL_SUBJECT = gettext_lazy("Your check-in link")
EMAIL_SUBJECT_LABELLED = gettext_lazy("%(label)s: your check-in link")
# Neutral on purpose, like the subject: no practice name, no word for the kind of care.
# Translators: the link email's body; %(expires)s is a date, %(url)s the link.
EMAIL_BODY = gettext_lazy(
    "Hello,\n\nHere is your link. It works once and until %(expires)s.\n\n%(url)s\n\n"
    "If you did not expect this message, you can ignore it.\n"
)
LINK_DELIVERY = "checkin_link"


class NoOpenEpisode(Exception):
    """The client has no open episode, so there is nothing to check in to."""


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued check-in link. ``url`` carries the raw token: show it once."""

    url: str
    token: AccessToken
    emailed: bool
    # True when an email was asked for but the client withdrew the email channel.
    email_withdrawn: bool = False


def open_episode(client: Client) -> Episode:
    episode = Episode.objects.filter(client=client, status=Episode.Status.OPEN).first()
    if episode is None:
        raise NoOpenEpisode
    return episode


def link_url(raw: str) -> str:
    """The absolute check-in URL for a raw token, built from SITE_URL, never the Host header."""
    return settings.SITE_URL + reverse("measures:open_link", kwargs={"token": raw})


def issue_checkin_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    send_email: bool,
    replaces: AccessToken | None = None,
    ttl: dt.timedelta = CHECKIN_TTL,
) -> IssuedLink:
    """Issue a check-in link for the client's open episode; optionally email it.

    With ``replaces`` ("resend") the old link is revoked. The email carries only
    the link: neutral subject and sender, no health information. It is sent
    after commit, so a rolled-back issue never mails a dead link.
    """
    return _issue_link(
        acting_user=acting_user,
        client=client,
        session=session,
        send_email=send_email,
        replaces=replaces,
        ttl=ttl,
        reflection=False,
    )


def issue_reflection_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    send_email: bool,
    replaces: AccessToken | None = None,
    ttl: dt.timedelta = REFLECTION_LINK_TTL,
    now: dt.datetime | None = None,
) -> IssuedLink:
    """Issue a Session Reflection link (``/c/<token>``), the fallback when the reflection
    cannot be taken in session; optionally email it, exactly like a check-in link.

    The link asks one group: the Session Reflection. It belongs to ``session``,
    or else to today's session (:func:`plusone.measures.checkin.reflection_session`).
    """
    return _issue_link(
        acting_user=acting_user,
        client=client,
        session=session,
        send_email=send_email,
        replaces=replaces,
        ttl=ttl,
        reflection=True,
        now=now,
    )


def _issue_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None,
    send_email: bool,
    replaces: AccessToken | None,
    ttl: dt.timedelta,
    reflection: bool,
    now: dt.datetime | None = None,
) -> IssuedLink:
    episode = open_episode(client)
    if reflection:
        session = _reflection_session(episode, session, now=now or timezone.now())
    # A withdrawn email channel is never used: the therapist copies the link instead.
    email_withdrawn = bool(send_email and consent.channel_withdrawn(client, "email"))
    emailed = bool(send_email and client.email and not email_withdrawn)
    with transaction.atomic():
        if replaces is not None and replaces.client_id == client.pk and replaces.used_at is None:
            tokens.revoke(replaces)
        raw, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            session=session,
            ttl=ttl,
            replaces=replaces if replaces is not None and replaces.client_id == client.pk else None,
        )
        if reflection:
            _reflection_draft(token, now=now)
        url = link_url(raw)
        if emailed:
            # In the client's language (DESIGN.md, Languages), whoever issues the link, with
            # the one date format of the pages.
            with translation.override("fr-ca" if client.language == "fr" else "en-ca"):
                expires = date_format(timezone.localtime(token.expires_at), "DATE_FORMAT")
                body = str(EMAIL_BODY) % {"expires": expires, "url": url}
                subject, sender = link_email_heading(client.practice)
            # At most once: the delivery is claimed with the token, and sent after commit.
            delivery = Delivery.objects.create(
                practice=client.practice, kind=LINK_DELIVERY, target=str(token.pk), slot="first"
            )
            transaction.on_commit(
                lambda: _send_link(delivery.pk, client.email, subject, sender, body)
            )
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="reflection.issue_link" if reflection else "checkin.issue_link",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={
                "client": client.pk,
                "emailed": emailed,
                "email_withdrawn": email_withdrawn,
                "session": session.pk if session else None,
            },
        )
    return IssuedLink(url=url, token=token, emailed=emailed, email_withdrawn=email_withdrawn)


def link_email_heading(practice: Any) -> tuple[str, str]:
    """The link email's subject and sender, under the practice's neutral label when it has
    one: ("Riverside: your check-in link", "Riverside <DEFAULT_FROM_EMAIL's address>")."""
    label = email_label(practice)
    if not label:
        return str(EMAIL_SUBJECT), settings.DEFAULT_FROM_EMAIL
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return str(EMAIL_SUBJECT_LABELLED) % {"label": label}, formataddr((label, address))


def _send_link(delivery_id: Any, address: str, subject: str, sender: str, body: str) -> None:
    try:
        send_mail(subject, body, sender, [address], fail_silently=False)
    except Exception:
        # Not retried (at most once); the therapist's digest counts it.
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED)
        raise
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )


def start_kiosk(*, acting_user: Any, client: Client) -> AccessToken:
    """Issue a short-lived, never-sent token for an in-session check-in on the therapist's
    own device."""
    episode = open_episode(client)
    with transaction.atomic():
        _, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            ttl=KIOSK_TTL,
        )
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="checkin.kiosk_start",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk},
        )
    return token


def start_reflection_kiosk(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> AccessToken:
    """Issue a short-lived, never-sent token for the client's Session Reflection, taken at the
    end of the session on the therapist's own device (kiosk mode).

    The reflection belongs to ``session``, or else to today's session.
    """
    episode = open_episode(client)
    session = _reflection_session(episode, session, now=now or timezone.now())
    with transaction.atomic():
        _, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            session=session,
            ttl=KIOSK_TTL,
        )
        _reflection_draft(token, now=now)
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="reflection.kiosk_start",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk, "session": session.pk if session else None},
        )
    return token


def _reflection_session(
    episode: Episode, session: Session | None, *, now: dt.datetime
) -> Session | None:
    """The given session when it is the episode's, else today's (see checkin.reflection_session)."""
    if session is not None and session.episode_id == episode.pk:
        return session
    return plan_queries.reflection_session(episode, now=now)


def _reflection_draft(token: AccessToken, *, now: dt.datetime | None = None) -> CheckinDraft:
    """Fix the token's sitting as a Session Reflection: one group, its own kind.

    The check-in pages then take it like any check-in (drafts, exactly-once
    submit, audit, summary refresh); the draft's kind is what makes it a
    reflection, never the plan.
    """
    now = now or timezone.now()
    return CheckinDraft.objects.create(
        practice_id=token.practice_id,
        token_id=str(token.pk),
        instruments=[REFLECTION_KEY],
        rolled_on=[],
        kind=SittingKind.REFLECTION,
        started_at=now,
        updated_at=now,
    )
