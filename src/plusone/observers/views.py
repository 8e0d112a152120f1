"""The observer's pages: ``/o/<token>`` moves the token into the session and redirects to
``/observer/``; the form's POST consumes it. A revoked, expired or used link, or one
whose observer was revoked, says only "no longer active". Nothing of the client's
record is ever shown here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation

from plusone.clinical import risk
from plusone.measures.checkin import in_language
from plusone.observers import actions, policy
from plusone.observers.forms import ObserverForm
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose
from plusone.web.routes import Policy, route

TOKEN_KEY = "observer_token"  # noqa: S105 - a session key's name, not a secret
DONE_KEY = "observer_done"
LANGUAGE_KEY = "plusone_language"


def _inactive(request: HttpRequest) -> HttpResponse:
    return render(request, "observers/inactive.html", status=410)


def _session_token(request: HttpRequest) -> AccessToken | None:
    token_id = request.session.get(TOKEN_KEY)
    if not token_id:
        return None
    return (
        AccessToken.objects.select_related("practice", "client__therapist", "episode")
        .filter(pk=token_id, purpose=Purpose.OBSERVER)
        .first()
    )


def _live(token: AccessToken | None) -> bool:
    if token is None or token.revoked_at or token.used_at or token.expires_at <= timezone.now():
        return False
    observer = actions.observer_for(token)
    return bool(observer and observer.active and token.client.observers_enabled)


@route(Policy.PUBLIC, examples={"token": "observer_token"})
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET /o/<token>: move a live observer token into the session. Never consumes."""
    try:
        found = tokens.resolve(token, Purpose.OBSERVER)
    except TokenError:
        return _inactive(request)
    if not _live(found):
        return _inactive(request)
    language = request.session.get(LANGUAGE_KEY)
    request.session.cycle_key()
    request.session[TOKEN_KEY] = str(found.pk)
    request.session.pop(DONE_KEY, None)
    if LANGUAGE_KEY not in request.session:
        # The page opens in the client's language; the observer can switch it.
        request.session[LANGUAGE_KEY] = language or getattr(found.client, "language", "en")
    return redirect("observers:form")


def _language(request: HttpRequest) -> str:
    """The session's language as stored ("en" or "fr")."""
    value = str(request.session.get(LANGUAGE_KEY) or "en")
    return "fr" if value.startswith("fr") else "en"


def _locale(language: str) -> str:
    """The Django language code of settings.LANGUAGES for "en" or "fr"."""
    return "fr-ca" if language == "fr" else "en-ca"


@route(Policy.CHECKIN_SESSION, methods=("GET", "POST"))
def form(request: HttpRequest) -> HttpResponse:
    """What happens to the answers, then Observed Change, one free-text answer, and 18+."""
    token = _session_token(request)
    if not _live(token):
        if token is None and request.session.get(DONE_KEY):
            return redirect("observers:done")
        return _inactive(request)
    assert token is not None
    language = _language(request)
    # The items in the observer's language where PlusOne ships them (Observed Change is
    # ours: translated, marked not validated); otherwise in English, marked so.
    instrument, words = in_language(policy.INSTRUMENT, token.practice_id, language)
    with translation.override(_locale(language)):
        bound = ObserverForm(
            request.POST if request.method == "POST" else None, instrument=instrument
        )
        if request.method == "POST" and bound.is_valid():
            try:
                actions.submit_round(
                    token=token,
                    answers=bound.answers(),
                    text=bound.cleaned_data.get("text") or "",
                    language=words,
                )
            except TokenError:
                return _inactive(request)
            request.session.pop(TOKEN_KEY, None)
            request.session[DONE_KEY] = True
            return redirect("observers:done")
        promise = risk.promise_for(
            practice=token.practice, therapist=token.client.therapist, now=timezone.now()
        )
        return render(
            request,
            "observers/form.html",
            {
                "form": bound,
                "instrument": instrument,
                "words_language": words,
                "items": [bound[name] for name in bound.item_fields],
                "read_by": promise.read_by,
                "status": 400 if request.method == "POST" else 200,
            },
            status=400 if request.method == "POST" else 200,
        )


@route(Policy.PUBLIC)
def done(request: HttpRequest) -> HttpResponse:
    with translation.override(_locale(_language(request))):
        return render(request, "observers/done.html")
