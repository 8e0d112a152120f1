"""The observer's invitation email, sent by a task claimed through ``Delivery``.

The invitation action (``observers.actions``) creates the link's row and queues
:func:`send_observer_invitation` in its transaction; the task claims the delivery (kind
``observer_invite``, the link) and, in that same transaction, gives the link its secret,
then sends it. So the raw token never waits in the task queue (tokens are stored only as
SHA-256), a link revoked before the worker runs is never sent, and a duplicate or retried
task sends nothing. No health information: the client's first name, which they chose to
share with this person, and a link.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from plusone.clinical.models import Client
from plusone.notify.models import Delivery
from plusone.observers.models import Observer, ObserverLink
from plusone.tokens.models import AccessToken
from plusone.tokens.service import hash_token
from plusone.web.logging import withheld_failures

OBSERVER_INVITE = "observer_invite"


def language_of(client: Client) -> str:
    """The client's language as a Django language code (the email goes out in it)."""
    return "fr-ca" if str(getattr(client, "language", "") or "en").startswith("fr") else "en-ca"


def observer_url(raw: str) -> str:
    """The absolute observer URL for a raw token, from SITE_URL, never the Host header."""
    return settings.SITE_URL + reverse("observers:open_link", kwargs={"token": raw})


def send_invitation_email(observer: Observer, client: Client, raw: str) -> None:
    """The invitation: the client's first name and a link; no health information."""
    with translation.override(language_of(client)):
        name = client.preferred_name or client.given_name
        send_mail(
            subject=gettext("%(name)s asked you a few short questions") % {"name": name},
            message=gettext(
                "%(name)s asked you to answer six short questions about changes you may "
                "have noticed in them lately. It takes about three minutes.\n\n"
                "Open this link to read what happens to your answers before you decide: "
                "%(url)s\n\nThe link works for 14 days. You can ignore this message; "
                "nothing happens if you do."
            )
            % {"name": name, "url": observer_url(raw)},
            from_email=None,
            recipient_list=[observer.email],
        )


@task()
@withheld_failures
def send_observer_invitation(token_id: str) -> str:
    """Send the observer's link, at most once. Returns "sent", "already" or "gone" (the link
    or the observer revoked, used or expired, or observers turned off)."""
    link = (
        ObserverLink.objects.select_related("observer__client")
        .filter(token_id=token_id, observer__revoked_at=None)
        .first()
    )
    if link is None or not link.observer.client.observers_enabled:
        return "gone"
    observer = link.observer
    raw = secrets.token_urlsafe(32)
    try:
        # Claim before sending; the link gets its secret in the same transaction.
        with transaction.atomic():
            Delivery.objects.create(
                practice_id=observer.practice_id,
                kind=OBSERVER_INVITE,
                target=str(token_id),
                slot="first",
            )
            live = AccessToken.objects.filter(
                pk=token_id, used_at=None, revoked_at=None, expires_at__gt=timezone.now()
            ).update(token_hash=hash_token(raw))
            if not live:
                raise IntegrityError("the link is no longer live")
    except IntegrityError:
        return (
            "already"
            if Delivery.objects.filter(kind=OBSERVER_INVITE, target=str(token_id)).exists()
            else "gone"
        )
    try:
        send_invitation_email(observer, observer.client, raw)
    except Exception:
        # The claim stays (no retry sends it twice); the therapist's digest counts it.
        Delivery.objects.filter(kind=OBSERVER_INVITE, target=str(token_id)).update(
            status=Delivery.Status.FAILED
        )
        raise
    Delivery.objects.filter(kind=OBSERVER_INVITE, target=str(token_id)).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    return "sent"
