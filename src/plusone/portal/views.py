"""The shell's own views: leave quickly, the neutral page, and the language switch."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from plusone.clinical import actions as clinical
from plusone.clinical.models import Client
from plusone.measures.views import TOKEN_KEY
from plusone.portal import session
from plusone.tokens.models import AccessToken
from plusone.web import language
from plusone.web.routes import Policy, route


@route(Policy.PUBLIC)
def leave(request: HttpRequest) -> HttpResponse:
    """Leave quickly: clear the session at once and show a page that says nothing.

    A GET, so that one tap on a link works without a form or script; ending a session
    is all it can do.
    """
    session.end(request)
    return HttpResponseRedirect(reverse("neutral"))


@route(Policy.PUBLIC)
def neutral(request: HttpRequest) -> HttpResponse:
    """A page with nothing of PlusOne on it, for whoever looks at the screen next."""
    return render(request, "portal/neutral.html")


@route(Policy.PUBLIC, methods=("POST",))
def switch_language(request: HttpRequest) -> HttpResponse:
    """Change the language of this session's pages, and the client's when it is known."""
    chosen = request.POST.get("language", "")
    if chosen in language.DJANGO_CODES:
        person, actor = _whose(request)
        language.choose(request, chosen)
        if person is not None:
            clinical.set_language(client=person, language=chosen, actor=actor)
    return HttpResponseRedirect(_local_next(request))


def _whose(request: HttpRequest) -> tuple[Client | None, object]:
    """The client this session speaks for (portal, then check-in link), and the actor."""
    person = session.current_client(request)
    if person is not None:
        return person, person.portal_user
    token_id = request.session.get(TOKEN_KEY)
    token = AccessToken.objects.select_related("client").filter(pk=token_id).first()
    if token_id and token is not None and token.revoked_at is None:
        return token.client, f"token:{token.pk}"
    return None, None


def _local_next(request: HttpRequest) -> str:
    """The form's "next" when it is a path on this site; else the portal's home."""
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else reverse("portal:home")
