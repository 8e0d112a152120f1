"""``portal_route``: declare a portal page in the route registry and require its client."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from plusone.portal import session
from plusone.web.routes import Policy, route


def portal_route(
    *, examples: Mapping[str, str] | None = None, methods: tuple[str, ...] = ("GET",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare ``Policy.PORTAL`` and set ``request.portal_client``; without a live portal
    session, send the visitor to sign in."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def signed_in(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            person = session.current_client(request)
            if person is None:
                return HttpResponseRedirect(reverse("portal:signin"))
            request.portal_client = person  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return route(Policy.PORTAL, examples=examples, methods=methods)(signed_in)

    return decorate
