"""Issue, resolve, consume and reissue access tokens.

A GET never consumes: views call :func:`resolve` on GET and :func:`consume`
only in the final POST's transaction. These helpers write no audit event;
the action that calls them does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import connection, transaction
from django.utils import timezone

from plusone.accounts.models import Practice
from plusone.clinical.models import Client, Episode, Session
from plusone.inputs import normalize
from plusone.tokens import TokenError
from plusone.tokens.models import AccessToken, Purpose


def hash_token(raw: str) -> str:
    """The stored form of a raw token: hex SHA-256."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(
    purpose: Purpose | str,
    *,
    practice: Practice,
    client: Client,
    episode: Episode | None = None,
    session: Session | None = None,
    ttl: dt.timedelta,
    replaces: AccessToken | None = None,
) -> tuple[str, AccessToken]:
    """Create a token; return the raw value (shown or mailed once) and the row."""
    if ttl <= dt.timedelta(0):
        raise ValueError("ttl must be positive")
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    token = AccessToken.objects.create(
        practice=practice,
        purpose=Purpose(purpose),
        token_hash=hash_token(raw),
        client=client,
        episode=episode,
        session=session,
        created_at=now,
        expires_at=now + ttl,
        replaces=replaces,
    )
    return raw, token


def resolve(raw: str, purpose: Purpose | str) -> AccessToken:
    """Find a live token for ``purpose`` without changing it.

    Raises TokenError with code "unknown" (no such token, another purpose, or
    not a token at all: plusone.inputs.normalize.token), "revoked", "used" or "expired".
    """
    try:
        raw = normalize.token(raw)
    except normalize.InputError:
        raise TokenError("unknown") from None
    token = (
        AccessToken.objects.select_related("practice", "client", "episode", "session")
        .filter(token_hash=hash_token(raw), purpose=purpose)
        .first()
    )
    if token is None:
        raise TokenError("unknown")
    _check_live(token)
    return token


def _check_live(token: AccessToken) -> None:
    if token.revoked_at is not None:
        raise TokenError("revoked")
    if token.used_at is not None:
        raise TokenError("used")
    if token.expires_at <= timezone.now():
        raise TokenError("expired")


def consume(token: AccessToken) -> AccessToken:
    """Mark ``token`` used, exactly once, inside the caller's transaction.

    Locks the row (SELECT ... FOR UPDATE) and re-checks it, so of two
    concurrent final POSTs one succeeds and the other raises TokenError("used").
    """
    if not connection.in_atomic_block:
        raise AssertionError("consume() must run inside the final POST's transaction")
    locked = AccessToken.objects.select_for_update().get(pk=token.pk)
    _check_live(locked)
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    return locked


def revoke(token: AccessToken) -> None:
    """Revoke a token that has not been used (no-op if already revoked or used)."""
    AccessToken.objects.filter(pk=token.pk, revoked_at=None, used_at=None).update(
        revoked_at=timezone.now()
    )


def reissue(token: AccessToken) -> tuple[str, AccessToken]:
    """ "Resend": revoke ``token`` and issue a new one for the same subjects and lifetime."""
    with transaction.atomic():
        old = AccessToken.objects.select_for_update().get(pk=token.pk)
        if old.used_at is not None:
            raise TokenError("used")
        revoke(old)
        return issue(
            old.purpose,
            practice=old.practice,
            client=old.client,
            episode=old.episode,
            session=old.session,
            ttl=old.expires_at - old.created_at,
            replaces=old,
        )
