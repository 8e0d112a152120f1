"""Signed-in sessions end after an idle timeout and after an absolute lifetime.

``settings.SESSION_IDLE_TIMEOUT`` (seconds without a request) and
``settings.SESSION_ABSOLUTE_AGE`` (seconds since sign-in, however busy) apply
to every signed-in user. The sign-in time is stamped by the ``user_logged_in``
signal; the last-seen time is rewritten at most once a minute, so an active
session costs one session write a minute, not one per request. An expired
session is signed out before the view runs, so the view's own policy sends
the person to sign in again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "plusone_signed_in_at"
SEEN_AT = "plusone_seen_at"
# Rewrite the last-seen stamp at most this often (seconds).
SEEN_RESOLUTION = 60


def stamp_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: remember when this session signed in."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def session_expired(session: Any, now: float) -> bool:
    """True when the session has been idle too long or has outlived its absolute age."""
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT, signed_in)
    if signed_in is None or seen is None:
        # A session from before this middleware: treat it as signed in long ago.
        return True
    return (
        now - seen > settings.SESSION_IDLE_TIMEOUT
        or now - signed_in > settings.SESSION_ABSOLUTE_AGE
    )


class SessionLifetimeMiddleware:
    """Signs out a session past its idle timeout or absolute lifetime (after auth middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            if session_expired(request.session, now):
                logout(request)
            elif now - request.session.get(SEEN_AT, 0) > SEEN_RESOLUTION:
                request.session[SEEN_AT] = now
        return self.get_response(request)
