"""Staff pages that read across the record: the home page, the caseload, and decisions
with the client's confirmation on the therapist's device. Parse, call, render."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from plusone import audit
from plusone.accounts.queries import has_role, staff_practice
from plusone.clinical import queries
from plusone.clinical.models import (
    CLIENT_PHASE_NAMES,
    Decision,
    DecisionOption,
    Phase,
    RecordAnnotation,
)
from plusone.clinical.phase_now import decisions_of, phase_now
from plusone.core.instruments import load_instrument
from plusone.inputs import normalize
from plusone.insights import dashboard, device
from plusone.insights.decisions import (
    DecisionAlreadyConfirmed,
    confirm_decision,
    record_decision,
    reverse_decision,
)
from plusone.insights.forms import ConfirmDecisionForm, DecisionForm, ReverseDecisionForm
from plusone.insights.reminders import office_reminders
from plusone.lockbox.queries import WITHHELD_MARKER, withheld_from
from plusone.measures.models import Administration
from plusone.rights.queries import reminders_for_therapist
from plusone.web.routes import Policy, route


@route(Policy.STAFF_ANY)
def home(request: HttpRequest) -> HttpResponse:
    """Send staff to their main page: therapists to the caseload."""
    if has_role(request.user, "therapist"):  # type: ignore[arg-type]
        return redirect("insights:caseload")
    return redirect("insights:signed_in")


@route(Policy.STAFF_ANY)
def signed_in(request: HttpRequest) -> HttpResponse:
    """The home of staff without a caseload: each role's tools, and what is due.

    The privacy officer's reminders (access and correction requests near or past
    their 30-day clock, clients still to be told of a breach, records whose
    retention has ended) lead the page, so nothing waits unseen.
    """
    user = request.user
    context = {
        "is_admin": has_role(user, "admin"),  # type: ignore[arg-type]
        "is_officer": has_role(user, "privacy_officer"),  # type: ignore[arg-type]
        "is_supervisor": has_role(user, "supervisor"),  # type: ignore[arg-type]
        "is_therapist": has_role(user, "therapist"),  # type: ignore[arg-type]
    }
    if context["is_officer"]:
        context["reminders"] = office_reminders(user, today=timezone.localdate())
    if context["is_supervisor"]:
        # Clients who consented to this supervisor, each with their latest episode.
        supervised = (
            queries.visible_clients(user)
            .exclude(therapist=user)
            .prefetch_related("episodes")
            .order_by("family_name", "given_name")
        )
        context["supervised"] = [
            (c, max(c.episodes.all(), key=lambda e: e.opened_on, default=None)) for c in supervised
        ]
    return render(request, "web/signed_in.html", context)


# Caseload --------------------------------------------------------------------------------


def _issue_link_url() -> str | None:
    """The check-in app's issue-link URL, or None until that view exists."""
    try:
        return reverse("measures:issue_link")
    except NoReverseMatch:
        return None


def _portal_access_url() -> str:
    """The portal's access page for a client (ZERO_ID in place of the id), or "" without it."""
    try:
        return reverse("portal:signin_invite", kwargs={"client_id": dashboard.ZERO_ID})
    except NoReverseMatch:
        return ""


@route(Policy.THERAPIST, methods=("GET", "POST"))
def caseload(request: HttpRequest) -> HttpResponse:
    """The therapist's clients in tiers of attention, from summary rows; POST searches by name
    and filters by tier (an unknown tier shows them all)."""
    search = request.POST.get("q", "") if request.method == "POST" else ""
    tier = dashboard.TIER_SLUGS.get(request.POST.get("tier", ""))
    try:
        search = normalize.text(search, field="q")
    except normalize.InputError as exc:
        # A NUL here reached PostgreSQL as a 500 ("cannot contain NUL"): refuse it kindly.
        messages.error(request, f"The search {exc.message}.")
        search = ""
    tiers = dashboard.dashboard(request.user, now=timezone.now(), search=search, tier=tier)
    audit.record_view(request, staff_practice(request.user), action="view.caseload")  # type: ignore[arg-type]
    context = {
        "tiers": tiers,
        "count": sum(len(t.rows) for t in tiers),
        "search": search.strip()[: dashboard.SEARCH_MAX_LENGTH],
        "tier": tier,
        "menu": dashboard.Menu(
            csrf=get_token(request),
            issue_link=_issue_link_url(),
            reflection_kiosk=reverse("measures:start_reflection_kiosk"),
            reflection_link=reverse("measures:issue_reflection_link"),
            portal_access=_portal_access_url(),
        ),
        # Open PHIPA access and correction requests about these clients, due within 7 days.
        "rights_due": reminders_for_therapist(request.user, timezone.localdate()),
    }
    return render(request, "clinical/caseload.html", context)


# Decisions -------------------------------------------------------------------------------


def _short_title(key: str) -> str:
    try:
        return load_instrument(key).short_title
    except Exception:  # an instrument no longer shipped still has its answers
        return key.replace("_", " ")


def _result_notes(notes: list[RecordAnnotation]) -> list[tuple[str, RecordAnnotation]]:
    """The client's notes on their results, each with the result it is about, in words."""
    on_results = [n for n in notes if n.target == RecordAnnotation.Target.ADMINISTRATION]
    about = {
        a.pk: a
        for a in Administration.objects.filter(pk__in=[n.target_id for n in on_results]).only(
            "pk", "instrument_key", "completed_at"
        )
    }
    out = []
    for n in on_results:
        a = about.get(n.target_id)
        label = (
            f"{_short_title(a.instrument_key)} of {timezone.localdate(a.completed_at):%B %-d, %Y}"
            if a
            else "a result"
        )
        out.append((label, n))
    return out


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def decisions(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The episode's decisions, with reversal for the therapist (read-only for a supervisor)."""
    episode = queries.access_episode(request.user, episode_id)
    can_write = episode.client.therapist_id == request.user.pk
    # Under a whole-record consent directive others see its marker (plusone.lockbox).
    withheld = withheld_from(request.user, episode.client).record
    rows = [] if withheld else queries.decisions_for(episode)
    # The client's notes and disputes (issue 13), beside each decision and on their results.
    notes = [] if withheld else list(RecordAnnotation.objects.filter(episode=episode))
    for d in rows:
        d.client_notes = [n for n in notes if n.target_id == d.pk]  # type: ignore[attr-defined]
    audit.record_view(request, episode, action="view.decisions")
    context = {"episode": episode, "decisions": rows, "can_write": can_write}
    context["result_notes"] = _result_notes(notes)
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
    # Arriving from a proposal's "record a decision" link; after a POST, the proposal chosen.
    proposal = request.GET.get("proposal") or request.POST.get("proposal_kind", "")
    form = DecisionForm(request.POST or None, initial={"decided_on": today}, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            decision = record_decision(
                user=request.user, episode=episode, data=form.decision_data(), today=today
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Decision recorded.")
            if decision.confirmation == Decision.Confirmation.PENDING:
                return redirect("insights:decision_confirm", episode_id=episode.pk)
            return redirect("insights:decisions", episode_id=episode.pk)
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
        return redirect("insights:confirm_on_device")
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
        with contextlib.suppress(DecisionAlreadyConfirmed):
            confirm_decision(
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
        return redirect("insights:decisions", episode_id=episode.pk)
    decision = queries.access_decision(request.user, episode, form.cleaned_data["decision_id"])
    try:
        reversal = reverse_decision(
            user=request.user,
            decision=decision,
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
            confirmed_on=form.cleaned_data["confirmed_on"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("insights:decisions", episode_id=episode.pk)
    messages.success(request, "Decision reversed.")
    if reversal.confirmation == Decision.Confirmation.PENDING:
        return redirect("insights:decision_confirm", episode_id=episode.pk)
    return redirect("insights:decisions", episode_id=episode.pk)
