"""The client's consent to check-ins, asked before their first check-in.

Each version's wording is its own template, ``measures/consent/<version>.html``,
and is never edited once published (DESIGN.md, "Consent is data, and
versioned"): a change of wording is a new file and a new ``CONSENT_VERSION``,
and every earlier version's text stays readable through :func:`wording`.
``CONSENT_WORDINGS`` pins each file's SHA-256, so an edit in place fails the
tests. A new version asks again. Every answer is a new ``Consent`` row (never
an update), written with its audit event in one transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from plusone import audit
from plusone.clinical.models import Consent

# Every consent wording clients may have agreed to, oldest first, with its file's SHA-256.
# 2026-11-1 told clients about "people you invite"; observers do not exist yet, so
# 2026-12-1 says who can see their answers today.
CONSENT_WORDINGS = {
    "2026-11-1": "ce32be49d256247c09a14078b1a78f56949255f82a15eb119580bef5c64abe3f",
    "2026-12-1": "a4087e417d148c932ca21675b2d25175d75e4627f13760e1815772f5d8505f8f",
}
# Each wording in French (DESIGN.md, Languages), its own file "<version>.fr.html" holding the
# text itself (never the catalogue's, which may change), pinned the same way.
CONSENT_WORDINGS_FR = {
    "2026-11-1": "0d78929071cc99789a4258b59a74e94b397033a42b5198ee0455d722b6c041fe",
    "2026-12-1": "3aecd0c864c2ee14951eb45022ff3e16fb42a628a4867267e2eaeb6d11cedb63",
}
# The wording shown now: the newest version.
CONSENT_VERSION = "2026-12-1"
LANGUAGES = ("en", "fr")


def _template_name(version: str, language: str = "en") -> str:
    if version not in CONSENT_WORDINGS or language not in LANGUAGES:
        raise LookupError(f"no consent wording {version!r} in {language!r}")
    if language == "fr":
        return f"measures/consent/{version}.fr.html"
    return f"measures/consent/{version}.html"


def wording_template(version: str, language: str) -> str:
    """The template that holds ``version``'s wording in ``language`` ("en" or "fr")."""
    return _template_name(version, language)


def wording(version: str, language: str = "en") -> str:
    """The consent wording of ``version`` in ``language`` as it was shown to clients (HTML);
    raises LookupError for a version or language that never existed. The English is English
    whatever the page's language."""
    with translation.override("fr-ca" if language == "fr" else "en-ca"):
        return render_to_string(_template_name(version, language))


def wording_digest(version: str, language: str = "en") -> str:
    """The SHA-256 of the template file that holds ``version``'s wording in ``language``."""
    try:
        origin = get_template(_template_name(version, language)).origin
    except TemplateDoesNotExist as exc:
        raise LookupError(f"the wording of consent version {version!r} is missing") from exc
    with open(origin.name, encoding="utf-8") as handle:
        # Line endings as committed, whatever the checkout did to them.
        text = handle.read().replace("\r\n", "\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Consent rows name an instrument; the check-in as a whole is recorded under this key.
CHECKIN_INSTRUMENT = "checkin"


def has_current_consent(client: Any) -> bool:
    """True when the client's latest check-in consent is for this version and not withdrawn."""
    latest = (
        Consent.objects.filter(
            client=client, kind=Consent.Kind.MEASUREMENT, instrument=CHECKIN_INSTRUMENT
        )
        .order_by("-given_at")
        .first()
    )
    return latest is not None and latest.version == CONSENT_VERSION and latest.withdrawn_at is None


def record_checkin_consent(*, token: Any, agreed: bool, language: str = "en") -> Consent:
    """Record the client's answer on the consent page, with its audit event.

    Declining is stored as a row withdrawn at the moment it was given, so the
    client is asked again next time. The client has no user account, so the row
    is recorded under their therapist and the audit actor is the token. ``language`` is
    the wording's language the client read ("en" or "fr"); the row keeps it.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language: {language!r}")
    client = token.client
    now = timezone.now()
    with transaction.atomic():
        row = Consent.objects.create(
            practice=client.practice,
            client=client,
            kind=Consent.Kind.MEASUREMENT,
            version=CONSENT_VERSION,
            instrument=CHECKIN_INSTRUMENT,
            channel=Consent.Channel.NONE,
            given_at=now,
            withdrawn_at=None if agreed else now,
            recorded_by=client.therapist,
            language=language,
        )
        audit.record(
            practice=client.practice,
            actor=f"token:{token.pk}",
            action="consent.checkin_agree" if agreed else "consent.checkin_decline",
            target_type="clinical.consent",
            target_id=row.pk,
            detail={"client": client.pk, "version": CONSENT_VERSION, "language": language},
        )
    return row


# Consent rows for a whole channel (not one instrument) name this key.
ALL_INSTRUMENTS = "all"
# The wording of the therapist's withdrawal page; a re-consent or withdrawal records it.
WITHDRAWAL_VERSION = "2026-11-1"
CONTACT_CHANNELS = (Consent.Channel.EMAIL, Consent.Channel.SMS)


def withdrawn_instruments(client: Any) -> set[str]:
    """Instrument keys whose latest measurement consent (any channel) is withdrawn."""
    latest: dict[str, Consent] = {}
    rows = Consent.objects.filter(client=client, kind=Consent.Kind.MEASUREMENT).exclude(
        instrument__in=(CHECKIN_INSTRUMENT, ALL_INSTRUMENTS)
    )
    for row in rows.order_by("given_at"):
        latest[row.instrument] = row
    return {key for key, row in latest.items() if row.withdrawn_at is not None}


def channel_withdrawn(client: Any, channel: str) -> bool:
    """True when the client's latest measurement consent on ``channel`` is withdrawn."""
    latest = (
        Consent.objects.filter(client=client, kind=Consent.Kind.MEASUREMENT, channel=channel)
        .order_by("-given_at")
        .first()
    )
    return latest is not None and latest.withdrawn_at is not None


def channel_consented(client: Any, channel: str) -> bool:
    """True when the client's latest measurement consent on ``channel`` (email or sms) is
    given and not withdrawn: what an unasked message (an invitation, a reminder) needs."""
    latest = (
        Consent.objects.filter(client=client, kind=Consent.Kind.MEASUREMENT, channel=channel)
        .order_by("-given_at")
        .first()
    )
    return latest is not None and latest.withdrawn_at is None


def record_withdrawal(
    *, acting_user: Any, client: Any, instrument: str = "", channel: str = "", withdraw: bool
) -> Consent:
    """Record a withdrawal (or a re-consent) of one instrument or one contact channel.

    Always a new row, never an update of an older one: the latest row decides.
    Exactly one of ``instrument`` and ``channel`` is given.
    """
    if bool(instrument) == bool(channel):
        raise ValueError("name one instrument or one channel")
    if channel and channel not in CONTACT_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    now = timezone.now()
    with transaction.atomic():
        row = Consent.objects.create(
            practice=client.practice,
            client=client,
            kind=Consent.Kind.MEASUREMENT,
            version=WITHDRAWAL_VERSION,
            instrument=instrument or ALL_INSTRUMENTS,
            channel=channel,
            given_at=now,
            withdrawn_at=now if withdraw else None,
            recorded_by=acting_user,
        )
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="consent.withdraw" if withdraw else "consent.reconsent",
            target_type="clinical.consent",
            target_id=row.pk,
            detail={"client": client.pk, "instrument": instrument, "channel": channel},
        )
    return row
