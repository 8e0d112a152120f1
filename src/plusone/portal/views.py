"""Leave quickly. STAND-IN for the integrator's shell."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from plusone.portal import session
from plusone.web.routes import Policy, route


@route(Policy.PUBLIC, methods=("GET", "POST"))
def leave(request: HttpRequest) -> HttpResponse:
    session.end(request)
    return redirect("https://weather.gc.ca/")
