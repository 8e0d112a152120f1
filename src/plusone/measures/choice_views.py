"""The check-in choices, changed by the therapist with the client (a small form on the
client's journey), and the screens asked for at the next review (on the plan editor).
Parse, call, redirect back to the page the form sits on."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from plusone.clinical import queries
from plusone.clinical.forms import CheckinChoicesForm, ReviewScreensForm
from plusone.measures import choice_actions
from plusone.web.routes import Policy, route


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("POST",))
def checkin_choices(request: HttpRequest, client_id: str) -> HttpResponse:
    """Record the client's check-in choices: goal words on links, sex for AUDIT-C scoring."""
    person = queries.access_client(request.user, client_id, write=True)
    episode = person.episodes.filter(status="open").first()
    back = (
        redirect("insights:journey", episode_id=episode.pk)
        if episode is not None
        else redirect("insights:caseload")
    )
    form = CheckinChoicesForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    goal_words, auditc_sex = form.choices()
    choice_actions.set_checkin_choices(
        user=request.user, client=person, goal_words_on_links=goal_words, auditc_sex=auditc_sex
    )
    messages.success(request, "Check-in choices saved.")
    return back


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("POST",))
def review_screens(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Ask for PCL-5, AUDIT-C or K10 at the next review, whatever they scored at intake."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    form = ReviewScreensForm(request.POST)
    if form.is_valid():
        choice_actions.request_review_screens(
            user=request.user, episode=episode, keys=form.cleaned_data["screens"]
        )
        messages.success(request, "Screens for the next review saved.")
    else:
        messages.error(request, "Choose among PCL-5, AUDIT-C and K10.")
    return redirect("measures:plan_editor", episode_id=episode.pk)
