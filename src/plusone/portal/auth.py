"""portal_route. STAND-IN for the integrator's shell (contract in the brief)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from plusone.portal import session
from plusone.web.routes import Policy, route


def portal_route(
    *, examples: Mapping[str, str] | None = None, methods: tuple[str, ...] = ("GET",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            found = session.current_client(request)
            if found is None:
                return redirect("portal:signin")
            request.portal_client = found  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return route(Policy.PORTAL, examples=examples, methods=methods)(wrapper)

    return decorate
