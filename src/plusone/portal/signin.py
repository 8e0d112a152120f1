"""Portal sign-in (the sign-in helper builds the link and PIN flow here)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plusone.web.routes import Policy, route


@route(Policy.PUBLIC)
def signin(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/signin.html")
