"""Portal sign-in pages: open the emailed link, enter (or choose) the PIN, ask for a link;
and the therapist's invitation and "reset PIN".

``/me/in/<token>`` moves the token's id into the session and redirects to ``/me/in/``;
only the PIN's POST consumes the link (mail scanners prefetch links).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from plusone.clinical import queries
from plusone.portal import session, signin
from plusone.tokens import TokenError
from plusone.tokens.models import AccessToken, Purpose
from plusone.web import language
from plusone.web.routes import Policy, route

# The session holds the sign-in token's id, never the raw token.
SIGNIN_KEY = "portal_signin_token"

PROBLEMS: dict[str, dict[str, Any]] = {
    "unknown": {
        "title": _("This link doesn't work"),
        "body": _("It may have been copied only in part."),
        "status": 404,
    },
    "expired": {
        "title": _("This link has expired"),
        "body": _("Sign-in links work for a limited time, to keep your page private."),
        "status": 410,
    },
    "used": {
        "title": _("This link has already been used"),
        "body": _("Each sign-in link works once."),
        "status": 410,
    },
    "revoked": {
        "title": _("This link no longer works"),
        "body": _("A newer link was sent, or this one was cancelled."),
        "status": 410,
    },
    "locked": {
        "title": _("This link no longer works"),
        "body": _("The PIN was entered wrongly too many times, so this link has been closed."),
        "status": 403,
    },
}


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("Your PIN"),
        max_length=signin.PIN_MAX,
        strip=True,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "current-password"}
        ),
    )


class NewPinForm(forms.Form):
    pin = forms.CharField(
        label=_("Choose a PIN"),
        help_text=_("6 to 12 digits. You will type it each time you sign in."),
        max_length=signin.PIN_MAX,
        strip=True,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=_("Type the same PIN again"),
        max_length=signin.PIN_MAX,
        strip=True,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


def _problem(request: HttpRequest, code: str) -> HttpResponse:
    problem = PROBLEMS.get(code, PROBLEMS["unknown"])
    return render(
        request,
        "portal/signin_problem.html",
        {"problem": problem, "form": LinkRequestForm()},
        status=problem["status"],
    )


@route(Policy.PUBLIC, examples={"token": "portal_token"})
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET /me/in/<token>: keep the live link in the session and redirect. Never consumes."""
    try:
        found = signin.open_link(token)
    except TokenError as exc:
        return _problem(request, exc.code)
    # A fresh session: whatever this browser held before (a portal session included) ends.
    session.end(request)
    request.session.cycle_key()
    request.session[SIGNIN_KEY] = str(found.pk)
    language.choose(request, found.client.language)
    return redirect("portal:signin_pin")


@route(Policy.PUBLIC, methods=("GET", "POST"))
def pin(request: HttpRequest) -> HttpResponse:
    """Enter the PIN; or choose one at the first sign-in (and after a reset)."""
    token_id = request.session.get(SIGNIN_KEY)
    token = signin.live_token(token_id) if token_id else None
    if token is None:
        return redirect("portal:signin")
    problem = _dead(token)
    if problem:
        request.session.pop(SIGNIN_KEY, None)
        return _problem(request, problem)
    choosing = signin.needs_new_pin(token.client)
    form_class = NewPinForm if choosing else PinForm
    form = form_class(request.POST or None)
    attempts_left = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            attempt = signin.sign_in(token, data["pin"], data.get("confirm") if choosing else None)
        except signin.PinRefused as exc:
            form.add_error("pin", exc.message)
        else:
            if attempt.client is not None:
                request.session.pop(SIGNIN_KEY, None)
                session.begin(request, attempt.client)
                return redirect("portal:home")
            if attempt.problem == "wrong":
                attempts_left = attempt.attempts_left
                form.add_error("pin", _("That PIN is not right."))
            else:
                request.session.pop(SIGNIN_KEY, None)
                return _problem(request, attempt.problem)
    return render(
        request,
        "portal/signin_pin.html",
        {"form": form, "choosing": choosing, "attempts_left": attempts_left},
        status=200,
    )


def _dead(token: AccessToken) -> str | None:
    problem = signin.link_problem(token)
    if problem == "revoked" and signin.attempts_left(token) == 0:
        return "locked"
    return problem


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@route(Policy.PUBLIC, methods=("GET", "POST"))
def signin_page(request: HttpRequest) -> HttpResponse:
    """The portal's front door: ask for a sign-in link by email address.

    The answer is the same whether or not the address is known."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sent = signin.request_link(form.cleaned_data["email"], _client_ip(request))
        return render(
            request,
            "portal/signin_sent.html",
            {"limited": not sent},
            status=200 if sent else 429,
        )
    return render(request, "portal/signin.html", {"form": form})


# The therapist's side --------------------------------------------------------------------


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def invite(request: HttpRequest, client_id: Any) -> HttpResponse:
    """The client's portal access: send the invitation, or reset the PIN (both email a link)."""
    found = queries.access_client(request.user, client_id, write=True)
    sent = None
    no_email = False
    if request.method == "POST":
        reset = request.POST.get("action") == "reset"
        try:
            signin.invite(acting_user=request.user, client=found, reset=reset)
        except signin.NoEmail:
            no_email = True
        else:
            sent = "reset" if reset else "invite"
    has_pin = found.portal_user is not None and found.portal_user.has_usable_password()
    invited = AccessToken.objects.filter(client=found, purpose=Purpose.PORTAL_SIGNIN).exists()
    return render(
        request,
        "portal_staff/portal_access.html",
        {
            "client": found,
            "sent": sent,
            "no_email": no_email,
            "has_pin": has_pin,
            "invited": invited,
        },
    )
