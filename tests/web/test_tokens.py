"""Access tokens: hashed at rest, a purpose, expiry, exactly-once use, resend."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import transaction

from personas import make_personas
from plusone import tokens
from plusone.tokens import TokenError
from plusone.tokens.models import AccessToken

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def p():
    return make_personas()


def _issue(p, ttl=DAY):
    return tokens.issue("checkin", practice=p.riverside, client=p.bob, ttl=ttl)


def test_it_stores_only_the_sha256_of_the_token(p):
    raw, token = _issue(p)
    assert len(raw) >= 43
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = AccessToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in str(stored)


def test_it_resolves_a_live_token_without_consuming_it(p):
    raw, token = _issue(p)
    assert tokens.resolve(raw, "checkin") == token
    assert tokens.resolve(raw, "checkin").used_at is None


@pytest.mark.parametrize("raw", ["nope", ""])
def test_it_calls_an_unknown_token_unknown(p, raw):
    with pytest.raises(TokenError) as caught:
        tokens.resolve(raw, "checkin")
    assert caught.value.code == "unknown"


def test_it_calls_a_token_of_another_purpose_unknown(p):
    with pytest.raises(TokenError) as caught:
        tokens.resolve(p.olive_token, "checkin")
    assert caught.value.code == "unknown"


def test_it_calls_a_token_past_its_expiry_expired(p):
    raw, _ = _issue(p)
    with (
        time_machine.travel(dt.datetime.now(dt.UTC) + 2 * DAY),
        pytest.raises(TokenError) as caught,
    ):
        tokens.resolve(raw, "checkin")
    assert caught.value.code == "expired"


def test_it_consumes_a_token_exactly_once(p):
    raw, token = _issue(p)
    with transaction.atomic():
        tokens.consume(token)
    with pytest.raises(TokenError) as caught, transaction.atomic():
        tokens.consume(token)
    assert caught.value.code == "used"
    with pytest.raises(TokenError) as caught:
        tokens.resolve(raw, "checkin")
    assert caught.value.code == "used"


@pytest.mark.django_db(transaction=True)
def test_it_consumes_only_inside_the_final_posts_transaction(p):
    _, token = _issue(p)
    with pytest.raises(AssertionError):
        tokens.consume(token)


def test_it_revokes_the_old_link_on_resend(p):
    raw, token = _issue(p)
    new_raw, new = tokens.reissue(token)
    assert new_raw != raw and new.replaces == token
    with pytest.raises(TokenError) as caught:
        tokens.resolve(raw, "checkin")
    assert caught.value.code == "revoked"
    assert tokens.resolve(new_raw, "checkin") == new
    assert new.expires_at - new.created_at == DAY


def test_it_refuses_to_resend_a_used_link(p):
    _, token = _issue(p)
    with transaction.atomic():
        tokens.consume(token)
    with pytest.raises(TokenError):
        tokens.reissue(token)
