"""The journey page, the review-together layout and the before-session card.

Parse, call, render. Each reads its episode through ``queries.access_episode``
(a supervisor reads their consenting clients; "not yours" is a 404) and records
a view event.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from plusone import audit
from plusone.charts import render_journey
from plusone.clinical import queries
from plusone.clinical.actions.journey_notes import add_moment
from plusone.clinical.forms import CheckinChoicesForm, ContactForm
from plusone.clinical.journey_forms import MomentForm
from plusone.clinical.models import BringNote, Phase
from plusone.core.policy import Policy as RulePolicy
from plusone.insights import journey
from plusone.insights.followups import follow_ups_of
from plusone.insights.relationship import relationship_lane
from plusone.lockbox.queries import can_manage, withheld_from
from plusone.measures.actions.followups import follow_up_channel, record_follow_up_consent
from plusone.measures.actions.looked_at import mark_looked_at_together
from plusone.measures.models import Sitting, SittingStatus
from plusone.observers.queries import s2_view
from plusone.rights.queries import statements_for
from plusone.web.routes import Policy, route


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def journey_page(request: HttpRequest, episode_id: str) -> HttpResponse:
    """One episode's journey for the therapist: lanes, table, gains, proposal and alerts."""
    episode = queries.access_episode(request.user, episode_id)
    withheld = withheld_from(request.user, episode.client)
    # Moments that matter are the client's own words: withheld with the whole record only.
    moments = [] if withheld.record else journey.moments_of(episode)
    data = journey.build_journey(
        episode, today=timezone.localdate(), withheld=withheld, moments=moments
    )
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
        "contact_form": ContactForm(
            initial={"practice_ref": episode.client.practice_ref, "phone": episode.client.phone}
        ),
        # Client against therapist, item by item (the congruence gap), with the rupture trace.
        "relationship": None
        if data.withheld_record
        else relationship_lane(
            episode,
            trace=data.rupture_trace,
            open_="possible_rupture" in data.alerts,
            withheld=withheld,
        ),
        "congruence_gap": RulePolicy().congruence_gap,
        "moments": moments,
        "moment_form": MomentForm(initial={"happened_on": timezone.localdate()}),
        "not_looked_at": _not_looked_at(episode),
        "release_label": episode.client.get_release_timing_display(),
        # The follow-ups at 3 and 6 months after an Ending, and the client's consent to them.
        "follow_ups": None if withheld.record else follow_ups_of(episode),
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
        "bring": _bring_note(card.next_session, withheld.record),
        "can_write": episode.client.therapist_id == request.user.pk,
        "back": request.path,
    }
    return render(request, "clinical/session_card.html", context)


def _not_looked_at(episode: object) -> int:
    """Completed sittings not yet looked at together with the client."""
    return Sitting.objects.filter(
        episode=episode, status=SittingStatus.COMPLETED, looked_at_together_at__isnull=True
    ).count()


def _bring_note(session: object, withheld_record: bool) -> BringNote | None:
    """The client's "what I want to bring today" for the next session, if they wrote one."""
    if session is None or withheld_record:
        return None
    return BringNote.objects.filter(session=session).first()


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("POST",))
def moment_with_client(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The therapist marks a moment that matters with the client, in the client's words."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    form = MomentForm(request.POST)
    if form.is_valid():
        try:
            add_moment(
                episode=episode,
                text=form.cleaned_data["text"],
                happened_on=form.cleaned_data["happened_on"],
                today=timezone.localdate(),
                therapist=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Moment added, with the client.")
    else:
        messages.error(request, "Write the moment in the client's words, with its date.")
    return redirect("insights:journey", episode_id=episode.pk)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("POST",))
def looked_at_together(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Mark the results so far as looked at together: a client who chose "after we look
    together" then sees them in the portal."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    marked = mark_looked_at_together(user=request.user, episode=episode, now=timezone.now())
    messages.success(request, f"{marked} check-in(s) marked as looked at together.")
    return redirect("insights:journey", episode_id=episode.pk)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("POST",))
def follow_up_consent(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Record the client's consent to the follow-ups after an Ending (by email, or by SMS
    for a client with a phone number), or its withdrawal, which cancels the pending ones."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    agree = request.POST.get("choice") == "agree"
    channel = follow_up_channel(request.POST.get("channel"), episode.client)
    record_follow_up_consent(
        acting_user=request.user, client=episode.client, agree=agree, channel=channel
    )
    messages.success(
        request,
        f"Follow-up consent recorded ({'by text message' if channel == 'sms' else 'by email'})."
        if agree
        else "Follow-up consent withdrawn; pending follow-ups cancelled.",
    )
    return redirect("insights:journey", episode_id=episode.pk)
