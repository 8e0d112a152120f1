"""The client's observers at /me/observers/: invite (after discussing it in session),
send again, revoke, choose what the therapist sees, and read what observers said.

Every write goes through ``plusone.observers.actions``; an observer id that is not this
client's is "not there" (404).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from plusone.clinical.models import Client, ObserverTextChoice
from plusone.observers import actions, policy, queries
from plusone.observers.forms import InviteForm
from plusone.observers.models import Observer
from plusone.portal.auth import portal_route


def _actor(person: Client) -> Any:
    return person.portal_user


def _own(person: Client, observer_id: Any) -> Observer:
    try:
        pk = uuid.UUID(str(observer_id))
    except ValueError:
        raise Http404 from None
    found = Observer.objects.filter(pk=pk, client=person).first()
    if found is None:
        raise Http404
    return found


def _page(request: HttpRequest, person: Client, form: InviteForm | None = None) -> HttpResponse:
    observers = [o for o in queries.observers_of(person) if o.active]
    now = timezone.now()
    rows = [
        {
            "observer": o,
            "can_send_again": o.last_invited_at is None
            or now - o.last_invited_at >= policy.INVITE_EVERY,
            "next_on": (o.last_invited_at + policy.INVITE_EVERY) if o.last_invited_at else None,
        }
        for o in observers
    ]
    return render(
        request,
        "portal/observers.html",
        {
            "person": person,
            "rows": rows,
            "form": form or InviteForm(),
            "can_invite": person.observers_enabled and len(observers) < policy.MAX_ACTIVE,
            "rounds": queries.for_client(person),
            "choices": ObserverTextChoice.choices,
        },
        status=400 if form is not None and form.errors else 200,
    )


@portal_route()
def observers(request: HttpRequest) -> HttpResponse:
    return _page(request, request.portal_client)  # type: ignore[attr-defined]


@portal_route(methods=("POST",))
def invite(request: HttpRequest) -> HttpResponse:
    person: Client = request.portal_client  # type: ignore[attr-defined]
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, person, form)
    try:
        actions.invite(
            actor=_actor(person),
            client=person,
            label=form.cleaned_data["label"],
            email=form.cleaned_data["email"],
            relationship=form.cleaned_data["relationship"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, person, form)
    messages.success(request, _("Invitation sent."))
    return redirect("portal:observers")


@portal_route(examples={"observer_id": "observer"}, methods=("POST",))
def send_again(request: HttpRequest, observer_id: str) -> HttpResponse:
    person: Client = request.portal_client  # type: ignore[attr-defined]
    observer = _own(person, observer_id)
    try:
        actions.send_again(actor=_actor(person), observer=observer)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Invitation sent."))
    return redirect("portal:observers")


@portal_route(examples={"observer_id": "observer"}, methods=("POST",))
def revoke(request: HttpRequest, observer_id: str) -> HttpResponse:
    person: Client = request.portal_client  # type: ignore[attr-defined]
    observer = _own(person, observer_id)
    actions.revoke(actor=_actor(person), observer=observer)
    messages.success(request, _("They can no longer answer. Their link no longer works."))
    return redirect("portal:observers")


@portal_route(methods=("POST",))
def text_choice(request: HttpRequest) -> HttpResponse:
    person: Client = request.portal_client  # type: ignore[attr-defined]
    try:
        actions.set_text_choice(
            actor=_actor(person), client=person, choice=request.POST.get("choice", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your choice is saved."))
    return redirect("portal:observers")
