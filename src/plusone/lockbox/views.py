"""Consent directives of one client: list, add, withdraw. Parse, call, render.

The treating therapist reaches them from the journey page; the privacy officer
from their own page (they read no clinical content, so they pick the client by
name). The two audiences have their own routes so each declares its policy.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Membership, Role
from plusone.clinical.models import Client
from plusone.lockbox import actions, queries
from plusone.lockbox.forms import DirectiveForm
from plusone.web.routes import Policy, route


def _page(request: HttpRequest, client_id: str, *, officer: bool) -> HttpResponse:
    client = queries.access_managed_client(request.user, client_id, officer=officer)
    form = DirectiveForm(request.POST if request.method == "POST" else None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_directive(
                user=request.user, client=client, now=timezone.now(), **form.directive_data()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Directive recorded. It is in force now.")
            return redirect(request.path)
    audit.record_view(request, client, action="view.directives")
    context = {
        "client": client,
        "directives": list(queries.directives_for(client)),
        "form": form,
        "withdraw_url": "lockbox:officer_withdraw" if officer else "lockbox:withdraw",
        "episode": client.episodes.order_by("-opened_on").first() if not officer else None,
    }
    return render(request, "lockbox/directives.html", context)


def _withdraw(request: HttpRequest, directive_id: str, *, officer: bool) -> HttpResponse:
    directive = queries.access_directive(request.user, directive_id, officer=officer)
    try:
        actions.withdraw_directive(user=request.user, directive=directive, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Directive withdrawn. The withheld parts are visible again.")
    name = "lockbox:officer_directives" if officer else "lockbox:directives"
    return redirect(name, client_id=directive.client_id)


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def directives(request: HttpRequest, client_id: str) -> HttpResponse:
    """The treating therapist's view of the client's directives: list, add, withdraw."""
    return _page(request, client_id, officer=False)


@route(Policy.THERAPIST, examples={"directive_id": "directive"}, methods=("POST",))
def withdraw(request: HttpRequest, directive_id: str) -> HttpResponse:
    """Withdraw one directive, on the client's instruction (the treating therapist)."""
    return _withdraw(request, directive_id, officer=False)


@route(Policy.PRIVACY_OFFICER, examples={"client_id": "client"}, methods=("GET", "POST"))
def officer_directives(request: HttpRequest, client_id: str) -> HttpResponse:
    """The privacy officer's view of one client's directives: list, add, withdraw."""
    return _page(request, client_id, officer=True)


@route(Policy.PRIVACY_OFFICER, examples={"directive_id": "directive"}, methods=("POST",))
def officer_withdraw(request: HttpRequest, directive_id: str) -> HttpResponse:
    """Withdraw one directive, on the client's instruction (the privacy officer)."""
    return _withdraw(request, directive_id, officer=True)


class _ClientChoice(django_forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class FindClientForm(django_forms.Form):
    client = _ClientChoice(
        queryset=Client.objects.none(),
        to_field_name="pk",
        error_messages={"invalid_choice": "Choose a client of your practice."},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        officer_in = Membership.objects.filter(user=user, role=Role.PRIVACY_OFFICER).values(
            "practice"
        )
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            practice__in=officer_in
        ).order_by("family_name", "given_name")


@route(Policy.PRIVACY_OFFICER, methods=("GET", "POST"))
def officer_index(request: HttpRequest) -> HttpResponse:
    """The privacy officer picks the client whose directives to record or withdraw."""
    form = FindClientForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        return redirect("lockbox:officer_directives", client_id=form.cleaned_data["client"].pk)
    return render(request, "lockbox/officer_index.html", {"form": form})
