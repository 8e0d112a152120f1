"""The language of a client's or observer's pages: the session's choice, else English.

Staff pages stay English (DESIGN.md, Languages). A client's pages follow the language stored
on the client, which the portal's sign-in and a check-in link put in the session; the switch
on every client page changes it there (and on the client, when the session knows whose it
is). An observer has no record: their choice lives in the session alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

SESSION_KEY = "plusone_language"
# Client.language values -> Django language codes (settings.LANGUAGES).
DJANGO_CODES = {"en": "en-ca", "fr": "fr-ca"}


def choose(request: HttpRequest, language: str) -> None:
    """Use ``language`` ("en" or "fr") for this session's client-facing pages from now on."""
    if language not in DJANGO_CODES:
        raise ValueError(f"unknown language: {language!r}")
    request.session[SESSION_KEY] = language
    translation.activate(DJANGO_CODES[language])
    request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]


def chosen(request: HttpRequest) -> str:
    """The session's language, "en" or "fr"."""
    value = request.session.get(SESSION_KEY, "en") if hasattr(request, "session") else "en"
    return value if value in DJANGO_CODES else "en"


class SessionLanguageMiddleware:
    """Activates the session's language for a client's or observer's request (after the
    authentication middleware); a signed-in staff member's pages stay English."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated
        code = DJANGO_CODES["en" if staff else chosen(request)]
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)
        translation.deactivate()
        return response
