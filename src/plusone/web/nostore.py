"""``Cache-Control: no-store`` on every response Django makes (docs/security.md).

Pages show health information, and check-in pages are reached by a link alone: a
browser's cache (the back button of a shared computer) or a clinic's proxy must
never keep them. Every response gets the header, not only the registry's pages,
so none can be forgotten: allauth's sign-in and recovery-code pages, error pages
and htmx fragments included. A page that shows nothing private loses nothing by
not being cached. Static files are served outside Django's middleware and stay
cacheable.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Replaces any other caching a view asked for: nothing of ours may be stored.
        response["Cache-Control"] = "no-store"
        return response
