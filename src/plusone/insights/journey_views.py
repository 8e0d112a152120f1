"""The journey page, the review-together layout and the before-session card.

Parse, call, render. Each reads its episode through ``queries.access_episode``
(a supervisor reads their consenting clients; "not yours" is a 404) and records
a view event.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from plusone import audit
from plusone.charts import render_journey
from plusone.clinical import queries
from plusone.clinical.forms import CheckinChoicesForm
from plusone.clinical.models import Phase
from plusone.insights import journey
from plusone.lockbox.queries import can_manage, withheld_from
from plusone.observers.queries import s2_view
from plusone.rights.queries import statements_for
from plusone.web.routes import Policy, route


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def journey_page(request: HttpRequest, episode_id: str) -> HttpResponse:
    """One episode's journey for the therapist: lanes, table, gains, proposal and alerts."""
    episode = queries.access_episode(request.user, episode_id)
    withheld = withheld_from(request.user, episode.client)
    data = journey.build_journey(episode, today=timezone.localdate(), withheld=withheld)
    audit.record_view(request, episode, action="view.journey")
    context = {
        "episode": episode,
        "data": data,
        "chart": render_journey(data.journey, audience="therapist", width=960),
        "narrow": render_journey(
            data.journey, audience="therapist", width=360, id_prefix="journey-narrow"
        ),
        "checklist": journey.REVIEW_TOGETHER_CHECKLIST,
        "can_write": episode.client.therapist_id == request.user.pk,
        # Where a flag's acknowledge form comes back to.
        "back": request.path,
        # The client's statements of disagreement go with their record (PHIPA s.55(11)).
        "statements": [] if withheld.record else statements_for(episode.client),
        "choices_form": CheckinChoicesForm(initial=CheckinChoicesForm.initial_for(episode.client)),
    }
    # The S2 view in Deepening and Consolidating: felt change, goals and observers.
    s2_phases = (str(Phase.DEEPENING.label), str(Phase.CONSOLIDATING.label))
    if not withheld.record and data.phase in s2_phases:
        context["s2"] = s2_view(episode)
    if can_manage(request.user, episode.client):
        # The treating therapist's page, or the privacy officer's (under break-glass).
        mine = context["can_write"]
        context["directives_url"] = "lockbox:directives" if mine else "lockbox:officer_directives"
    return render(request, "clinical/journey.html", context)


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def review_together(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The journey in the client's words, large and calm, to look at side by side."""
    episode = queries.access_episode(request.user, episode_id)
    withheld = withheld_from(request.user, episode.client)
    data = journey.build_journey(episode, today=timezone.localdate(), withheld=withheld)
    audit.record_view(request, episode, action="view.review_together")
    context = {
        "episode": episode,
        "data": data,
        "chart": render_journey(data.journey, audience="client", width=960, id_prefix="together"),
        # A phone gets the phone layout, whose words stay readable (the wide one would shrink).
        "narrow": render_journey(
            data.journey, audience="client", width=360, id_prefix="together-narrow"
        ),
    }
    return render(request, "clinical/review_together.html", context)


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def session_card(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The before-session card: readable in ten seconds."""
    episode = queries.access_episode(request.user, episode_id)
    withheld = withheld_from(request.user, episode.client)
    card = journey.session_card(
        episode, today=timezone.localdate(), now=timezone.now(), withheld=withheld
    )
    audit.record_view(request, episode, action="view.session_card")
    context = {
        "episode": episode,
        "card": card,
        "can_write": episode.client.therapist_id == request.user.pk,
        "back": request.path,
    }
    return render(request, "clinical/session_card.html", context)
