"""Portal sign-in: an emailed link, then the client's PIN. Never the link alone.

The link proves the email address; the PIN, set at the first sign-in and asked at
every later one, proves the person. The PIN lives hashed (Django's hashers, Argon2
first) on the client's one-to-one portal user (``Client.portal_user``), a User with
no staff Membership, created at the first sign-in.

- Opening a link (GET) never consumes it; the PIN's POST does, in one transaction.
- Wrong PINs are counted per link in the audit trail (``portal.pin_wrong``, read under
  the link's row lock, so concurrent guesses cannot overrun the count); at
  ``PORTAL_PIN_ATTEMPTS`` the link is revoked and the client asks for a new one.
- "Send me a link" answers the same whether or not the address is known, and is rate
  limited per address and per IP address (the database cache).
- The therapist's invitation and "reset PIN" send a link; a reset clears the PIN first,
  so that link's sign-in sets a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plusone import audit
from plusone.accounts.labels import email_label
from plusone.accounts.models import User
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client
from plusone.measures import consent
from plusone.notify.models import Delivery
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose
from plusone.web import language

log = logging.getLogger(__name__)

PIN_MIN, PIN_MAX = 6, 12
SIGNIN_DELIVERY = "portal_signin_link"
# Neutral on purpose, like the check-in link's: no clinical word, no health information.
EMAIL_SUBJECT = _("Your sign-in link")
EMAIL_SUBJECT_LABELLED = _("%(label)s: your sign-in link")
# Translators: the portal sign-in email's body; %(expires)s is a date and time, %(url)s the link.
EMAIL_BODY = _(
    "Hello,\n\nHere is your link to sign in to your own page. It works once and until "
    "%(expires)s. After opening it you will be asked for your PIN (or to choose one, the "
    "first time).\n\n%(url)s\n\nIf you did not ask for this message, you can ignore it.\n"
)


class PinRefused(ValueError):
    """A PIN the client may not choose, or a confirmation that does not match."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class NoEmail(Exception):
    """The client has no email address, or withdrew the email channel."""


@dataclass(frozen=True)
class Attempt:
    """What a PIN entry came to: the client signed in, or not and why."""

    client: Client | None
    # "wrong" (attempts_left says how many remain), "locked" (the link is spent now),
    # or a token problem ("used", "revoked", "expired", "unknown").
    problem: str = ""
    attempts_left: int = 0


def pin_problem(pin: str, client: Client | None = None) -> Any:
    """Why ``pin`` may not be chosen (a translatable message), or None if it may."""
    if not pin.isascii() or not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        return _("Choose a PIN of %(min)d to %(max)d digits, numbers only.") % {
            "min": PIN_MIN,
            "max": PIN_MAX,
        }
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    repeats_a_pair = len(pin) % 2 == 0 and pin == pin[:2] * (len(pin) // 2)
    repeats_a_triple = len(pin) % 3 == 0 and pin == pin[:3] * (len(pin) // 3)
    if steps in ({0}, {1}, {-1}) or repeats_a_pair or repeats_a_triple:
        return _(
            "That PIN is too easy to guess (like 000000, 123456 or 121212). "
            "Choose digits with no simple pattern."
        )
    if client is not None and pin in _birth_date_forms(client):
        return _("That PIN is your date of birth, which others may know. Choose another.")
    return None


def _birth_date_forms(client: Client) -> set[str]:
    born = client.date_of_birth
    return {
        born.strftime(fmt)
        for fmt in ("%Y%m%d", "%d%m%Y", "%m%d%Y", "%y%m%d", "%d%m%y", "%m%d%y", "%Y%d%m")
    }


def needs_new_pin(found: Client) -> bool:
    """True at the first sign-in, and after the therapist reset the PIN."""
    user = found.portal_user
    return user is None or not user.has_usable_password()


def signin_url(raw: str) -> str:
    """The absolute sign-in URL for a raw token, from SITE_URL, never the Host header."""
    return settings.SITE_URL + reverse("portal:signin_link", kwargs={"token": raw})


def open_link(raw: str) -> AccessToken:
    """GET of a sign-in link: the live token, unchanged (raises TokenError)."""
    return tokens.resolve(raw, Purpose.PORTAL_SIGNIN)


def link_problem(token: AccessToken) -> str | None:
    """Why a sign-in link can no longer be used ("revoked", "used", "expired"), or None."""
    if token.revoked_at is not None:
        return "revoked"
    if token.used_at is not None:
        return "used"
    if token.expires_at <= timezone.now():
        return "expired"
    return None


def live_token(token_id: Any) -> AccessToken | None:
    """The sign-in token a session holds, or None."""
    return (
        AccessToken.objects.select_related("practice", "client", "client__portal_user")
        .filter(pk=token_id, purpose=Purpose.PORTAL_SIGNIN)
        .first()
    )


def _wrong_count(token: AccessToken) -> int:
    return AuditEvent.objects.filter(
        practice_id=token.practice_id, action="portal.pin_wrong", target_id=str(token.pk)
    ).count()


def attempts_left(token: AccessToken) -> int:
    return max(0, settings.PORTAL_PIN_ATTEMPTS - _wrong_count(token))


def sign_in(token: AccessToken, pin: str, confirm: str | None = None) -> Attempt:
    """The PIN's POST: set the PIN (first sign-in or after a reset) or check it.

    Consumes the link when the client is signed in; a refused new PIN raises PinRefused
    and changes nothing. Wrong PINs are audited; the last allowed one spends the link.
    """
    with transaction.atomic():
        locked = AccessToken.objects.select_for_update().get(pk=token.pk)
        found = Client.objects.select_related("practice", "portal_user").get(pk=locked.client_id)
        if locked.revoked_at is not None:
            return Attempt(None, "revoked")
        if needs_new_pin(found):
            problem = pin_problem(pin, found)
            if problem is not None:
                raise PinRefused(problem)
            if confirm is not None and confirm != pin:
                raise PinRefused(_("The two PINs are not the same. Type the same PIN twice."))
            try:
                tokens.consume(locked)
            except TokenError as exc:
                return Attempt(None, exc.code)
            user = found.portal_user
            first = user is None
            if user is None:
                # A synthetic, unique address: the client's own may be shared or change, and
                # this account never signs in through staff sign-in.
                user = User(email=f"portal-{found.pk}@portal.invalid", is_active=True)
            user.set_password(pin)
            user.save()
            if first:
                found.portal_user = user
                found.save(update_fields=["portal_user"])
            audit.record(
                practice=found.practice,
                actor=user,
                action="portal.pin_set",
                target_type="clinical.client",
                target_id=found.pk,
                detail={"first": first, "token": locked.pk},
            )
        else:
            user = found.portal_user
            assert user is not None
            if locked.used_at is not None or locked.expires_at <= timezone.now():
                return Attempt(None, "used" if locked.used_at else "expired")
            if not user.check_password(pin):
                audit.record(
                    practice=found.practice,
                    actor=f"token:{locked.pk}",
                    action="portal.pin_wrong",
                    target_type="tokens.accesstoken",
                    target_id=locked.pk,
                    detail={"client": found.pk},
                )
                left = attempts_left(locked)
                if left > 0:
                    return Attempt(None, "wrong", left)
                tokens.revoke(locked)
                audit.record(
                    practice=found.practice,
                    actor=None,
                    action="portal.link_locked",
                    target_type="tokens.accesstoken",
                    target_id=locked.pk,
                    detail={"client": found.pk},
                )
                return Attempt(None, "locked")
            tokens.consume(locked)
        audit.record(
            practice=found.practice,
            actor=user,
            action="portal.sign_in",
            target_type="clinical.client",
            target_id=found.pk,
            detail={"token": locked.pk},
        )
    return Attempt(found)


def invite(*, acting_user: Any, client: Client, reset: bool = False) -> AccessToken:
    """The therapist's portal invitation (or "reset PIN"): email the client a sign-in link.

    Earlier live sign-in links are revoked. A reset clears the PIN, so the link's
    sign-in sets a new one. Raises NoEmail when there is no address to send to.
    """
    if not client.email or consent.channel_withdrawn(client, "email"):
        raise NoEmail
    with transaction.atomic():
        if reset and client.portal_user is not None:
            client.portal_user.set_unusable_password()
            client.portal_user.save(update_fields=["password"])
        token = _send_link(client)
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="portal.reset_pin" if reset else "portal.invite",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk},
        )
    return token


def handed_link(*, acting_user: Any, client: Client) -> str:
    """A sign-in link handed over without email (the demo prints one): the client's live
    links are revoked and a new one issued and audited. The PIN is still required.

    Returns the link's path; the caller puts its own site address in front.
    """
    with transaction.atomic():
        _revoke_live_links(client)
        raw, token = tokens.issue(
            Purpose.PORTAL_SIGNIN,
            practice=client.practice,
            client=client,
            ttl=dt.timedelta(seconds=settings.PORTAL_SIGNIN_LINK_TTL),
        )
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="portal.invite",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk, "handed": True},
        )
    return reverse("portal:signin_link", kwargs={"token": raw})


def _revoke_live_links(client: Client) -> None:
    for old in AccessToken.objects.filter(
        client=client, purpose=Purpose.PORTAL_SIGNIN, used_at=None, revoked_at=None
    ):
        tokens.revoke(old)


def _send_link(client: Client) -> AccessToken:
    """Revoke the client's live sign-in links, issue a new one and email it after commit,
    in the client's language. Call inside a transaction."""
    _revoke_live_links(client)
    raw, token = tokens.issue(
        Purpose.PORTAL_SIGNIN,
        practice=client.practice,
        client=client,
        ttl=dt.timedelta(seconds=settings.PORTAL_SIGNIN_LINK_TTL),
    )
    with translation.override(language.DJANGO_CODES.get(client.language, "en-ca")):
        expires = date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
        body = gettext(EMAIL_BODY) % {"expires": expires, "url": signin_url(raw)}
        label = email_label(client.practice)
        subject = (
            gettext(EMAIL_SUBJECT_LABELLED) % {"label": label} if label else gettext(EMAIL_SUBJECT)
        )
    # The sender under the practice's neutral label, as the check-in link's email.
    sender = (
        formataddr((label, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
        if label
        else settings.DEFAULT_FROM_EMAIL
    )
    delivery = Delivery.objects.create(
        practice=client.practice, kind=SIGNIN_DELIVERY, target=str(token.pk), slot="first"
    )
    address = client.email
    transaction.on_commit(lambda: _deliver(delivery.pk, address, subject, sender, body))
    return token


def _deliver(delivery_id: Any, address: str, subject: str, sender: str, body: str) -> None:
    send_mail(subject, body, sender, [address], fail_silently=False)
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )


def _over_limit(kind: str, value: str) -> bool:
    """Count one request against ``kind``/``value`` for the hour; True when over the limit."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    key = f"portal-link-request:{kind}:{digest}"
    cache.add(key, 0, timeout=60 * 60)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=60 * 60)
        count = 1
    return int(count) > settings.PORTAL_LINK_REQUESTS_PER_HOUR


def request_link(email: str, ip: str) -> bool:
    """ "Send me a link": email a fresh sign-in link to each invited client with this address.

    Returns False when rate limited (the caller says so whatever the address); True
    otherwise, whether or not any client has this address (no enumeration).
    """
    address = email.strip()
    limited_ip = _over_limit("ip", ip or "unknown")
    limited_address = _over_limit("address", address.casefold())
    if limited_ip or limited_address:
        return False
    invited = AccessToken.objects.filter(purpose=Purpose.PORTAL_SIGNIN).values("client_id")
    for found in Client.objects.select_related("practice", "portal_user").filter(
        email__iexact=address, pk__in=invited
    ):
        if consent.channel_withdrawn(found, "email"):
            continue
        with transaction.atomic():
            token = _send_link(found)
            audit.record(
                practice=found.practice,
                actor=None,
                action="portal.link_requested",
                target_type="tokens.accesstoken",
                target_id=token.pk,
                detail={"client": found.pk},
            )
    return True
