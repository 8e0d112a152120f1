"""The therapist's observers page for one client: the switch, and the rounds as the
therapist may see them (staff pages stay English)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plusone import audit
from plusone.clinical import queries as clinical_queries
from plusone.observers import actions, queries
from plusone.web.routes import Policy, route


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def client_observers(request: HttpRequest, client_id: str) -> HttpResponse:
    """GET: the client's observers and their rounds. POST: turn observers on or off,
    after discussing it in session (the treating therapist only)."""
    if request.method == "POST":
        person = clinical_queries.access_client(request.user, client_id, write=True)
        enabled = request.POST.get("enabled") == "on"
        actions.set_observers_enabled(user=request.user, client=person, enabled=enabled)
        messages.success(
            request,
            "Observers turned on."
            if enabled
            else "Observers turned off; open links no longer work.",
        )
        return redirect("observers:client_observers", client_id=person.pk)
    person = clinical_queries.access_client(request.user, client_id)
    audit.record_view(request, person, action="view.observers")
    return render(
        request,
        "observers/client_observers.html",
        {
            "person": person,
            "observers": queries.observers_of(person),
            "rounds": queries.for_therapist(person),
            "can_write": person.therapist_id == request.user.pk,
        },
    )
