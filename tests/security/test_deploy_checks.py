"""PlusOne's own deploy checks: each one fails on its own bad configuration."""

import time

import pytest
from django.core.checks import Tags, run_checks
from django.test import override_settings
from django.urls import reverse

from personas import login_as, make_personas
from plusone.web.sessions import SEEN_AT, SIGNED_IN_AT

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"

# The prod profile's cookie settings, over the test profile's.
PROD_LIKE = {
    "SESSION_COOKIE_NAME": "__Host-sessionid",
    "CSRF_COOKIE_NAME": "__Host-csrftoken",
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "PASSWORD_HASHERS": [ARGON2],
}


def _plusone_ids(**overrides):
    with override_settings(**{**PROD_LIKE, **overrides}):
        messages = run_checks(include_deployment_checks=True, tags=[Tags.security])
    return sorted({m.id for m in messages if m.id.startswith("plusone.")})


def _csp(**directives):
    from django.conf import settings

    merged = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], **directives}
    return {"DIRECTIVES": {k: v for k, v in merged.items() if v is not None}}


def _without(middleware):
    from django.conf import settings

    return [m for m in settings.MIDDLEWARE if m != middleware]


def test_it_passes_the_prod_like_configuration():
    assert _plusone_ids() == []


def test_it_flags_a_missing_csp():
    assert _plusone_ids(CONTENT_SECURITY_POLICY=None) == ["plusone.E001"]


def test_it_flags_a_csp_without_a_script_src():
    assert _plusone_ids(CONTENT_SECURITY_POLICY=_csp(**{"script-src": None})) == ["plusone.E001"]


@pytest.mark.parametrize("source", ["'unsafe-inline'", "'unsafe-eval'"])
def test_it_flags_unsafe_csp_sources(source):
    policy = _csp(**{"style-src": ["'self'", source]})
    assert _plusone_ids(CONTENT_SECURITY_POLICY=policy) == ["plusone.E002"]


def test_it_flags_a_session_cookie_without_the_host_prefix():
    assert _plusone_ids(SESSION_COOKIE_NAME="sessionid") == ["plusone.W003"]


def test_it_flags_a_host_cookie_bound_to_a_domain():
    assert _plusone_ids(CSRF_COOKIE_DOMAIN=".example.org") == ["plusone.W003"]


def test_it_flags_a_missing_idle_timeout():
    assert _plusone_ids(SESSION_IDLE_TIMEOUT=None) == ["plusone.W004"]


def test_it_flags_a_session_cookie_that_outlives_the_absolute_age():
    assert _plusone_ids(SESSION_COOKIE_AGE=60 * 60 * 24 * 14) == ["plusone.W004"]


def test_it_flags_sessions_whose_lifetime_is_not_enforced():
    middleware = _without("plusone.web.sessions.SessionLifetimeMiddleware")
    assert _plusone_ids(MIDDLEWARE=middleware) == ["plusone.W004"]


def test_it_flags_a_hasher_other_than_argon2_first():
    assert _plusone_ids(PASSWORD_HASHERS=[MD5, ARGON2]) == ["plusone.W005"]


def test_it_flags_staff_mfa_not_enforced():
    middleware = _without("plusone.accounts.middleware.StaffMFAMiddleware")
    assert _plusone_ids(MIDDLEWARE=middleware) == ["plusone.E006"]


def test_it_flags_an_audit_key_reused_as_a_field_key(settings):
    reused = settings.FIELD_KEY_RING[0]
    assert _plusone_ids(AUDIT_KEY_RING=[reused]) == ["plusone.E007"]


def test_it_flags_login_rate_limits_turned_off():
    assert _plusone_ids(ACCOUNT_RATE_LIMITS={}) == ["plusone.W008"]


def test_it_flags_rate_limits_on_a_per_process_cache():
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert _plusone_ids(CACHES=caches) == ["plusone.W008"]


CASELOAD = reverse("insights:caseload")


@pytest.mark.django_db
class TestSessionLifetimes:
    """The idle timeout and absolute lifetime, through the caseload page."""

    def _signed_in(self, client, *, signed_in_ago, seen_ago):
        p = make_personas()
        login_as(client, p.alice)
        session = client.session
        now = time.time()
        session[SIGNED_IN_AT] = now - signed_in_ago
        session[SEEN_AT] = now - seen_ago
        session.save()

    def test_it_keeps_an_active_session_signed_in(self, client):
        self._signed_in(client, signed_in_ago=9 * 3600, seen_ago=29 * 60)
        assert client.get(CASELOAD).status_code == 200
        assert time.time() - client.session[SEEN_AT] < 60

    def test_it_signs_out_a_session_idle_for_more_than_30_minutes(self, client):
        self._signed_in(client, signed_in_ago=3600, seen_ago=31 * 60)
        response = client.get(CASELOAD)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/")
        assert "_auth_user_id" not in client.session

    def test_it_signs_out_a_busy_session_after_10_hours(self, client):
        self._signed_in(client, signed_in_ago=10 * 3600 + 60, seen_ago=10)
        response = client.get(CASELOAD)
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_it_stamps_the_sign_in_time_when_a_person_signs_in(self, client):
        p = make_personas()
        login_as(client, p.alice)
        assert time.time() - client.session[SIGNED_IN_AT] < 60

    def test_it_signs_out_a_session_that_was_never_stamped(self, client):
        self._signed_in(client, signed_in_ago=0, seen_ago=0)
        session = client.session
        del session[SIGNED_IN_AT], session[SEEN_AT]
        session.save()
        assert client.get(CASELOAD).status_code == 302
        assert "_auth_user_id" not in client.session
