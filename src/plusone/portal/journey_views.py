"""The client's journey pages in the portal (issue 13): parse, call, render.

Every page reads only ``request.portal_client``'s own record: a moment is looked up
among their own, so another client's looks exactly like one that is not there.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from plusone.clinical.actions.journey_notes import (
    add_moment,
    remove_moment,
    set_bring_note,
    set_release_timing,
)
from plusone.clinical.journey_forms import (
    BringForm,
    MomentForm,
    ReleaseTimingForm,
    RemoveMomentForm,
)
from plusone.clinical.models import Moment
from plusone.measures.actions.followups import follow_up_channel, record_follow_up_consent
from plusone.portal import journey
from plusone.portal.auth import portal_route
from plusone.portal.followups import my_follow_ups
from plusone.portal.record import _recorder, portal_actor


@portal_route()
def journey_page(request: HttpRequest) -> HttpResponse:
    """My journey: my own words first, then growth, our work together, the symptom floor."""
    person = request.portal_client  # type: ignore[attr-defined]
    today = timezone.localdate()
    mine = journey.client_journey(person, today=today)
    # The client reading their own record is not an access by someone else: no view event.
    context = {
        "mine": mine,
        "moment_form": MomentForm(initial={"happened_on": today}),
        "release_form": ReleaseTimingForm(initial={"release_timing": person.release_timing}),
        # The check-ins at 3 and 6 months after an Ending, in plain words.
        "follow_ups": my_follow_ups(person),
    }
    return render(request, "portal/journey.html", context)


@portal_route(methods=("POST",))
def follow_up_consent(request: HttpRequest) -> HttpResponse:
    """The client agrees to the check-ins after finishing (by email, or by text message when
    we have their phone number), or withdraws."""
    person = request.portal_client  # type: ignore[attr-defined]
    agree = request.POST.get("choice") == "agree"
    channel = follow_up_channel(request.POST.get("channel"), person)
    record_follow_up_consent(
        acting_user=_recorder(person),
        client=person,
        agree=agree,
        channel=channel,
        language=person.language if person.language in ("en", "fr") else "en",
        actor=portal_actor(person),
    )
    if not agree:
        thanks = gettext("Thank you: there will be no check-ins after finishing.")
    elif channel == "sms":
        thanks = gettext("Thank you: we will send these check-ins by text message.")
    else:
        thanks = gettext("Thank you: we will send these check-ins by email.")
    messages.success(request, thanks)
    return redirect("portal:journey")


@portal_route(methods=("POST",))
def release_timing(request: HttpRequest) -> HttpResponse:
    """The client chooses when their results show here."""
    person = request.portal_client  # type: ignore[attr-defined]
    form = ReleaseTimingForm(request.POST)
    if form.is_valid():
        set_release_timing(client=person, timing=form.cleaned_data["release_timing"])
        messages.success(request, gettext("Your choice is saved."))
    else:
        messages.error(request, gettext("Choose when you want to see your results."))
    return redirect("portal:journey")


@portal_route(methods=("POST",))
def moment_add(request: HttpRequest) -> HttpResponse:
    """The client marks a moment that matters, in their own words."""
    person = request.portal_client  # type: ignore[attr-defined]
    episode = journey.episode_of(person)
    form = MomentForm(request.POST)
    if episode is None:
        raise Http404
    if form.is_valid():
        try:
            add_moment(
                episode=episode,
                text=form.cleaned_data["text"],
                happened_on=form.cleaned_data["happened_on"],
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, gettext("Your moment is on your journey."))
    else:
        messages.error(request, gettext("Write the moment in your own words, with its date."))
    return redirect("portal:journey")


@portal_route(methods=("POST",))
def moment_remove(request: HttpRequest) -> HttpResponse:
    """The client removes one of their own moments."""
    person = request.portal_client  # type: ignore[attr-defined]
    form = RemoveMomentForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose the moment to remove."))
        return redirect("portal:journey")
    moment = (
        Moment.objects.select_related("episode")
        .filter(pk=form.cleaned_data["moment_id"], episode__client=person, removed_at__isnull=True)
        .first()
    )
    if moment is None:
        raise Http404
    remove_moment(client=person, moment=moment)
    messages.success(request, gettext("The moment is removed."))
    return redirect("portal:journey")


@portal_route(methods=("GET", "POST"))
def bring(request: HttpRequest) -> HttpResponse:
    """What I want to bring today: an optional note for the next session. Never prompted."""
    person = request.portal_client  # type: ignore[attr-defined]
    episode = journey.episode_of(person)
    session = journey.next_session(episode) if episode is not None else None
    note = journey.bring_note_for(session)
    form = BringForm(request.POST or None, initial={"text": note.text if note else ""})
    if request.method == "POST" and session is not None and form.is_valid():
        try:
            saved = set_bring_note(client=person, session=session, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            messages.success(
                request,
                gettext("Your therapist will see it before the session.")
                if saved
                else gettext("Your note is cleared."),
            )
            return redirect("portal:bring")
    return render(request, "portal/bring.html", {"session": session, "form": form, "note": note})
