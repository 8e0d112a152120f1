"""PlusOne's own system checks, for what ``check --deploy`` does not cover.

All are deployment checks (``plusone check --deploy``): a strict CSP, ``__Host-``
cookies, session lifetimes, Argon2 first, the staff-MFA middleware, login rate
limits and three distinct secrets. Each message id is documented in
docs/security.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
MFA_MIDDLEWARE = "plusone.accounts.middleware.StaffMFAMiddleware"
LIFETIME_MIDDLEWARE = "plusone.web.sessions.SessionLifetimeMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")
# Thirty minutes idle and twelve hours in all are the most PlusOne accepts.
MAX_IDLE_SECONDS = 30 * 60
MAX_ABSOLUTE_SECONDS = 12 * 60 * 60


@register(Tags.security, deploy=True)
def check_csp(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.E001: a CSP is sent; plusone.E002: it allows no inline or eval'd code."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    directives = (policy or {}).get("DIRECTIVES") or {}
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not directives:
        return [
            Error(
                "No Content-Security-Policy is sent.",
                hint=f"Install {CSP_MIDDLEWARE} and set CONTENT_SECURITY_POLICY.",
                id="plusone.E001",
            )
        ]
    errors: list[CheckMessage] = []
    for name in ("default-src", "script-src", "style-src"):
        if name not in directives:
            errors.append(Error(f"The CSP has no {name}.", id="plusone.E001"))
    for name, sources in directives.items():
        bad = [s for s in (sources or []) if str(s) in UNSAFE_SOURCES]
        if bad:
            errors.append(
                Error(
                    f"The CSP's {name} allows {', '.join(map(str, bad))}.",
                    hint="PlusOne uses no inline script or style; keep the policy to 'self'.",
                    id="plusone.E002",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_cookie_prefixes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.W003: the session and CSRF cookies are ``__Host-`` cookies (Secure, /, no Domain)."""
    warnings: list[CheckMessage] = []
    for kind in ("SESSION", "CSRF"):
        name = getattr(settings, f"{kind}_COOKIE_NAME")
        secure = getattr(settings, f"{kind}_COOKIE_SECURE")
        path = getattr(settings, f"{kind}_COOKIE_PATH")
        domain = getattr(settings, f"{kind}_COOKIE_DOMAIN")
        if not name.startswith("__Host-") or not secure or path != "/" or domain:
            warnings.append(
                Warning(
                    f"The {kind.lower()} cookie is not a __Host- cookie.",
                    hint=f"Name it __Host-..., with {kind}_COOKIE_SECURE, path / and no domain.",
                    id="plusone.W003",
                )
            )
    return warnings


@register(Tags.security, deploy=True)
def check_session_lifetimes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.W004: an idle timeout and an absolute session lifetime are set and enforced."""
    idle = getattr(settings, "SESSION_IDLE_TIMEOUT", None)
    absolute = getattr(settings, "SESSION_ABSOLUTE_AGE", None)
    problems = []
    if not isinstance(idle, int) or not 0 < idle <= MAX_IDLE_SECONDS:
        problems.append(f"SESSION_IDLE_TIMEOUT must be 1..{MAX_IDLE_SECONDS} seconds")
    if not isinstance(absolute, int) or not 0 < absolute <= MAX_ABSOLUTE_SECONDS:
        problems.append(f"SESSION_ABSOLUTE_AGE must be 1..{MAX_ABSOLUTE_SECONDS} seconds")
    elif absolute < int(settings.SESSION_COOKIE_AGE):
        problems.append("SESSION_COOKIE_AGE must not outlive SESSION_ABSOLUTE_AGE")
    if not _after(LIFETIME_MIDDLEWARE, AUTH_MIDDLEWARE):
        problems.append(f"{LIFETIME_MIDDLEWARE} must be installed after {AUTH_MIDDLEWARE}")
    return [Warning(p, id="plusone.W004") for p in problems]


@register(Tags.security, deploy=True)
def check_password_hasher(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.W005: new passwords are hashed with Argon2."""
    if settings.PASSWORD_HASHERS[:1] != [ARGON2]:
        return [Warning("Argon2 is not the first password hasher.", id="plusone.W005")]
    return []


@register(Tags.security, deploy=True)
def check_mfa_enforced(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.E006: the staff-MFA middleware is installed and TOTP is offered."""
    if not _after(MFA_MIDDLEWARE, AUTH_MIDDLEWARE) or "totp" not in getattr(
        settings, "MFA_SUPPORTED_TYPES", []
    ):
        return [
            Error(
                "MFA is not enforced for staff.",
                hint=f"Install {MFA_MIDDLEWARE} after {AUTH_MIDDLEWARE}; offer totp.",
                id="plusone.E006",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_distinct_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.E007: SECRET_KEY, the field keys and the audit keys share no secret."""
    secret = settings.SECRET_KEY.encode()
    field = [key for _, key in settings.FIELD_KEY_RING]
    audit = [key for _, key in settings.AUDIT_KEY_RING]
    keys = [secret, *field, *audit]
    if len(set(keys)) != len(keys) or secret in (field + audit):
        return [
            Error(
                "PLUSONE_SECRET_KEY, PLUSONE_FIELD_KEYS and PLUSONE_AUDIT_KEY reuse a key.",
                hint="Generate each secret on its own; never derive one from another.",
                id="plusone.E007",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_login_rate_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """plusone.W008: allauth's rate limits on failed sign-ins are on, on a shared cache."""
    limits = getattr(settings, "ACCOUNT_RATE_LIMITS", None)
    cache = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not limits or not limits.get("login_failed") or "locmem" in cache or "dummy" in cache:
        return [
            Warning(
                "Failed sign-ins are not rate-limited across processes.",
                hint="Set ACCOUNT_RATE_LIMITS['login_failed'] and a database or Redis cache.",
                id="plusone.W008",
            )
        ]
    return []


def _after(name: str, before: str) -> bool:
    middleware = list(settings.MIDDLEWARE)
    return (
        name in middleware
        and before in middleware
        and (middleware.index(name) > middleware.index(before))
    )
