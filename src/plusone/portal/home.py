"""The portal's home page (the sign-in helper fills it in)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plusone.portal.auth import portal_route


@portal_route()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"person": request.portal_client})  # type: ignore[attr-defined]
