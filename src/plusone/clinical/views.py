"""Therapist pages: caseload, intake, flag acknowledgement, decisions, the measurement
plan editor and the session relationship form. Parse, call, render."""

from __future__ import annotations

import contextlib
import dataclasses

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from plusone import audit
from plusone.accounts.queries import staff_practice
from plusone.clinical import actions, dashboard, device, queries
from plusone.clinical.forms import (
    AcknowledgeFlagForm,
    ConfirmDecisionForm,
    DecisionForm,
    IntakeForm,
    PlanForm,
    ReverseDecisionForm,
    ReviewScreensForm,
    RuptureEventForm,
    SafetyPlanForm,
    TherapistRatingForm,
    plan_rows,
)
from plusone.clinical.models import (
    CLIENT_PHASE_NAMES,
    Decision,
    DecisionOption,
    Phase,
    SafetyPlan,
)
from plusone.clinical.phase_now import decisions_of, phase_now
from plusone.clinical.plans import DEFAULT_MIN_INTERVAL_DAYS, check_plan, phase_default_schedule
from plusone.clinical.screens import pending_requests
from plusone.inputs import normalize
from plusone.lockbox.queries import WITHHELD_MARKER, withheld_from
from plusone.measures import licensed
from plusone.rights.queries import reminders_for_therapist
from plusone.web.routes import Policy, route


def _issue_link_url() -> str | None:
    """The check-in app's issue-link URL, or None until that view exists."""
    try:
        return reverse("measures:issue_link")
    except NoReverseMatch:
        return None


@route(Policy.THERAPIST, methods=("GET", "POST"))
def caseload(request: HttpRequest) -> HttpResponse:
    """The therapist's clients in tiers of attention, from summary rows; POST searches by name."""
    search = request.POST.get("q", "") if request.method == "POST" else ""
    try:
        search = normalize.text(search, field="q")
    except normalize.InputError as exc:
        # A NUL here reached PostgreSQL as a 500 ("cannot contain NUL"): refuse it kindly.
        messages.error(request, f"The search {exc.message}.")
        search = ""
    tiers = dashboard.dashboard(request.user, now=timezone.now(), search=search)
    audit.record_view(request, staff_practice(request.user), action="view.caseload")  # type: ignore[arg-type]
    context = {
        "tiers": tiers,
        "count": sum(len(t.rows) for t in tiers),
        "search": search.strip()[: dashboard.SEARCH_MAX_LENGTH],
        "issue_link_url": _issue_link_url(),
        # Open PHIPA access and correction requests about these clients, due within 7 days.
        "rights_due": reminders_for_therapist(request.user, timezone.localdate()),
    }
    return render(request, "clinical/caseload.html", context)


@route(Policy.THERAPIST, methods=("GET", "POST"))
def intake(request: HttpRequest) -> HttpResponse:
    """A new client and their first episode."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.intake_client(
                therapist=request.user,
                practice=staff_practice(request.user),  # type: ignore[arg-type]
                data=form.intake_data(),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Client added.")
            return redirect("clinical:caseload")
    return render(request, "clinical/intake.html", {"form": form})


@route(Policy.THERAPIST, examples={"flag_id": "flag"}, methods=("POST",))
def acknowledge_flag(request: HttpRequest, flag_id: str) -> HttpResponse:
    """Close a flag with an action note, from the caseload page."""
    flag = queries.access_flag(request.user, flag_id, write=True)
    # A cover acknowledges from the covered-flags page; a therapist from the caseload.
    own = flag.client.therapist_id == request.user.pk
    back = "clinical:caseload" if own else "clinical:covering"
    form = AcknowledgeFlagForm(request.POST)
    if form.is_valid():
        try:
            actions.acknowledge_flag(
                user=request.user, flag=flag, note=form.cleaned_data["action_note"]
            )
        except actions.FlagAlreadyAcknowledged:
            messages.info(request, "That flag was already acknowledged.")
        else:
            messages.success(request, "Flag acknowledged.")
        return redirect(back)
    messages.error(request, "Write an action note to acknowledge the flag.")
    return redirect(back)


# Decisions -------------------------------------------------------------------------------


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def decisions(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The episode's decisions, with reversal for the therapist (read-only for a supervisor)."""
    episode = queries.access_episode(request.user, episode_id)
    can_write = episode.client.therapist_id == request.user.pk
    # Under a whole-record consent directive others see its marker (plusone.lockbox).
    withheld = withheld_from(request.user, episode.client).record
    rows = [] if withheld else queries.decisions_for(episode)
    audit.record_view(request, episode, action="view.decisions")
    context = {"episode": episode, "decisions": rows, "can_write": can_write}
    context["withheld"] = (f"The whole record: {WITHHELD_MARKER}",) if withheld else ()
    context["latest_change"] = next(
        (d for d in reversed(rows) if d.kind == Decision.Kind.PHASE_CHANGE), None
    )
    return render(request, "clinical/decisions.html", context)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("GET", "POST"))
def decision_new(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Record a phase change (the +1 decision among them) or a decision not to change."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    today = timezone.localdate()
    form = DecisionForm(request.POST or None, initial={"decided_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            decision = actions.record_decision(
                user=request.user, episode=episode, data=form.decision_data(), today=today
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Decision recorded.")
            if decision.confirmation == Decision.Confirmation.PENDING:
                return redirect("clinical:decision_confirm", episode_id=episode.pk)
            return redirect("clinical:decisions", episode_id=episode.pk)
    audit.record_view(request, episode, action="view.decision_form")
    now = phase_now(decisions_of(episode))
    context = {
        "episode": episode,
        "form": form,
        "phase_label": Phase(now.phase or Phase.NONE).label,
        "awaiting_label": Phase(now.awaiting.phase).label if now.awaiting else "",
    }
    return render(request, "clinical/decision_form.html", context)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("GET", "POST"))
def decision_confirm(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Hand this device to the client to confirm a pending decision: the therapist is
    signed out of it first, exactly as in kiosk mode, so the client holds only the
    confirmation (leaving needs the therapist's sign-in)."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    pending = queries.pending_decisions(episode)
    decision = pending[-1] if pending else None
    if request.method == "POST" and decision is not None:
        therapist_id = str(request.user.pk)
        audit.record_view(request, episode, action="decision.hand_over")
        logout(request)
        device.start(request, decision=decision, therapist_id=therapist_id)
        return redirect("clinical:confirm_on_device")
    audit.record_view(request, episode, action="view.decision_hand_over")
    context = {"episode": episode, "decision": decision}
    return render(request, "clinical/decision_hand_over.html", context)


@route(Policy.CHECKIN_SESSION, methods=("GET", "POST"))
def confirm_on_device(request: HttpRequest) -> HttpResponse:
    """The client confirms or annotates the decision on the therapist's device; only the
    decision the therapist handed over, and only until it is confirmed or the hand-over
    expires."""
    held = device.held(request)
    if held is None:
        return render(request, "clinical/device_nothing.html", status=400)
    decision, therapist = held
    form = ConfirmDecisionForm(request.POST or None, initial={"decision_id": decision.pk})
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(actions.DecisionAlreadyConfirmed):
            actions.confirm_decision(
                user=therapist,
                decision=decision,
                text=form.cleaned_data["text"],
                today=timezone.localdate(),
            )
        device.finish(request)
        return render(request, "clinical/decision_confirmed.html", device.exit_context())
    context = {"decision": decision, "form": form, **device.exit_context()}
    context["client_phase"] = CLIENT_PHASE_NAMES.get(decision.phase)
    context["options"] = _option_labels(decision.options_discussed)
    return render(request, "clinical/decision_confirm.html", context)


def _option_labels(keys: list[str]) -> list[str]:
    labels = dict(DecisionOption.choices)
    return [labels.get(k, k) for k in keys]


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("POST",))
def decision_reverse(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Reverse the latest phase change with a new decision."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    form = ReverseDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write why the decision is reversed.")
        return redirect("clinical:decisions", episode_id=episode.pk)
    decision = queries.access_decision(request.user, episode, form.cleaned_data["decision_id"])
    try:
        reversal = actions.reverse_decision(
            user=request.user,
            decision=decision,
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
            confirmed_on=form.cleaned_data["confirmed_on"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("clinical:decisions", episode_id=episode.pk)
    messages.success(request, "Decision reversed.")
    if reversal.confirmation == Decision.Confirmation.PENDING:
        return redirect("clinical:decision_confirm", episode_id=episode.pk)
    return redirect("clinical:decisions", episode_id=episode.pk)


# Measurement plan ------------------------------------------------------------------------


def _loaded(request: HttpRequest) -> int:
    """The version the posted form was loaded at (0 when missing or not a number)."""
    form = PlanForm({"version": request.POST.get("version", "")})
    form.is_valid()
    return int(form.cleaned_data.get("version") or 0)


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("GET", "POST"))
def plan_editor(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Edit the measurement plan: minutes per check-in, refusals, warnings, phase defaults."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    plan = queries.plan_for(episode)
    action = request.POST.get("action", "")
    phase = actions.agreed_phase(episode)
    if action == "defaults":
        schedule = phase_default_schedule(
            episode.primary_instrument, episode.secondary_instrument, phase
        )
        # Keep the version the page was loaded at, so the defaults never save over a newer plan.
        form = PlanForm(
            initial=PlanForm.initial_for(schedule, DEFAULT_MIN_INTERVAL_DAYS, _loaded(request))
        )
        messages.info(request, "Defaults for the agreed phase filled in; check and save.")
    elif request.method == "POST":
        form = PlanForm(request.POST)
    else:
        current = plan.schedule if plan else {}
        form = PlanForm(
            initial=PlanForm.initial_for(
                current, plan.min_interval_days if plan else {}, plan.version if plan else 0
            )
        )
    check = None
    conflict = None
    if form.is_bound and form.is_valid():
        check = check_plan(
            form.schedule(),
            min_interval_days={**DEFAULT_MIN_INTERVAL_DAYS, **form.min_interval_days()},
            session_interval_days=form.cleaned_data["session_interval_days"],
            primary=episode.primary_instrument,
            secondary=episode.secondary_instrument,
        )
        # A licensed pack without the practice's text cannot be asked: refuse it by name.
        unlicensed = licensed.plan_problems(episode.practice_id, form.schedule())
        check = dataclasses.replace(check, problems=(*check.problems, *unlicensed))
        if action == "save" and check.ok:
            try:
                actions.update_plan(
                    user=request.user,
                    episode=episode,
                    schedule=form.schedule(),
                    min_interval_days=form.min_interval_days(),
                    session_interval_days=form.cleaned_data["session_interval_days"],
                    base_version=form.cleaned_data["version"],
                )
            except actions.EditConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Measurement plan saved.")
                return redirect("clinical:plan_editor", episode_id=episode.pk)
    elif not form.is_bound:
        check = check_plan(
            {k: list(v) for k, v in form.initial.items() if isinstance(v, list)},
            min_interval_days={
                **DEFAULT_MIN_INTERVAL_DAYS,
                "mhcsf": form.initial["mhcsf_min_days"],
            },
            primary=episode.primary_instrument,
            secondary=episode.secondary_instrument,
        )
    audit.record_view(request, episode, action="view.plan_editor")
    context = {"episode": episode, "form": form, "check": check, "phase": Phase(phase).label}
    context["screens_form"] = ReviewScreensForm(
        initial={"screens": sorted(pending_requests(episode))}
    )
    context.update(
        conflict=conflict, conflict_rows=plan_rows(conflict.schedule) if conflict else []
    )
    return render(request, "clinical/plan_editor.html", context)


# Safety plan -----------------------------------------------------------------------------


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def safety_plan(request: HttpRequest, client_id: str) -> HttpResponse:
    """Edit the client's safety plan; saving over a colleague's newer version is a conflict."""
    person = queries.access_client(request.user, client_id, write=True)
    stored = SafetyPlan.objects.filter(client=person).first()
    conflict = None
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            try:
                actions.update_safety_plan(
                    user=request.user,
                    client=person,
                    text=form.cleaned_data["text"].strip(),
                    base_version=form.cleaned_data["version"],
                )
            except actions.EditConflict as exc:
                conflict = exc.current
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Safety plan saved.")
                return redirect("clinical:safety_plan", client_id=person.pk)
    else:
        initial = {
            "text": stored.text if stored else "",
            "version": stored.version if stored else 0,
        }
        form = SafetyPlanForm(initial=initial)
    audit.record_view(request, stored or person, action="view.safety_plan")
    context = {"person": person, "form": form, "conflict": conflict}
    return render(request, "clinical/safety_plan.html", context)


# Therapist Rating and rupture/repair -----------------------------------------------------


@route(Policy.THERAPIST, examples={"session_id": "session"}, methods=("GET", "POST"))
def session_relationship(request: HttpRequest, session_id: str) -> HttpResponse:
    """The session form: the therapist's 3-item rating, and ruptures and repairs."""
    session = queries.access_session(request.user, session_id, write=True)
    episode = session.episode
    which = request.POST.get("form")
    rating_form = TherapistRatingForm(request.POST if which == "rating" else None)
    ruptures = queries.unrepaired_ruptures(episode)
    event_form = RuptureEventForm(request.POST if which == "event" else None, ruptures=ruptures)
    if which == "rating" and rating_form.is_valid():
        try:
            actions.rate_session(user=request.user, session=session, answers=rating_form.answers())
        except actions.SessionAlreadyRated:
            rating_form.add_error(None, "This session has a Therapist Rating already.")
        except ValidationError as exc:
            rating_form.add_error(None, exc)
        else:
            messages.success(request, "Therapist Rating saved.")
            return redirect("clinical:session_relationship", session_id=session.pk)
    if which == "event" and event_form.is_valid():
        try:
            actions.log_rupture_event(
                user=request.user,
                session=session,
                kind=event_form.cleaned_data["kind"],
                note=event_form.cleaned_data["note"],
                repairs=event_form.repaired(),
            )
        except ValidationError as exc:
            event_form.add_error(None, exc)
        else:
            messages.success(request, "Logged.")
            return redirect("clinical:session_relationship", session_id=session.pk)
    audit.record_view(request, session, action="view.session_relationship")
    context = {
        "session": session,
        "episode": episode,
        "rating": queries.therapist_rating_for(session),
        "rating_form": rating_form,
        "event_form": event_form,
        "events": [e for e in queries.rupture_events(episode) if e.session_id == session.pk],
        "notes_enabled": episode.practice.notes_enabled,
    }
    return render(request, "clinical/session_relationship.html", context)
