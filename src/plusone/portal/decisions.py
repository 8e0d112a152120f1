"""My decisions (issue 13): each phase decision recorded with the client, in plain words;
the client confirms it, annotates it, or disputes it, from their own device. A move into
Deepening, Consolidating or an Ending takes effect on that confirmation (DESIGN.md)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from plusone.clinical.models import Decision, RecordAnnotation
from plusone.insights.decisions import DecisionAlreadyConfirmed
from plusone.portal import record
from plusone.portal.auth import portal_route
from plusone.portal.record_forms import ConfirmForm, DisputeForm, NoteForm, apply


@portal_route()
def decisions(request: HttpRequest) -> HttpResponse:
    """Every decision recorded with the client, newest first."""
    person = request.portal_client  # type: ignore[attr-defined]
    rows = record.client_decisions(person)
    return render(
        request,
        "portal/decisions.html",
        {"rows": [_row(d) for d in rows]},
    )


def _row(decision: Decision) -> dict:
    return {
        "decision": decision,
        "phase": record.CLIENT_PHASES.get(decision.phase, ""),  # type: ignore[call-overload]
        "options": [
            record.CLIENT_OPTIONS[o]  # type: ignore[index]
            for o in decision.options_discussed
            if o in record.CLIENT_OPTIONS
        ],
        # A "not now" keeps the agreed phase: nothing waits for the client's confirmation.
        "declined": decision.kind == Decision.Kind.DECLINED,
        "pending": decision.kind == Decision.Kind.PHASE_CHANGE
        and decision.confirmation == Decision.Confirmation.PENDING,
    }


@portal_route(examples={"decision_id": "decision"}, methods=("GET", "POST"))
def decision(request: HttpRequest, decision_id: uuid.UUID) -> HttpResponse:
    """One decision: confirm it (POST action=confirm), add a note (note) or ask for a
    correction (dispute)."""
    person = request.portal_client  # type: ignore[attr-defined]
    found = record.decision_of(person, decision_id)
    chosen = request.POST.get("action", "") if request.method == "POST" else ""
    page = {
        "confirm": ConfirmForm(request.POST if chosen == "confirm" else None, prefix="confirm"),
        "note": NoteForm(request.POST if chosen == "note" else None, prefix="note"),
        "dispute": DisputeForm(request.POST if chosen == "dispute" else None, prefix="dispute"),
    }
    if request.method == "POST":
        form = page.get(chosen)
        if form is None:
            return redirect("portal:decision", decision_id=found.pk)
        if chosen == "confirm":
            if not _row(found)["pending"]:
                messages.info(request, _("This decision was confirmed already."))
                return redirect("portal:decision", decision_id=found.pk)
            try:
                done = apply(form, lambda text: record.confirm_in_portal(person, found, text))
            except DecisionAlreadyConfirmed:
                messages.info(request, _("This decision was confirmed already."))
                return redirect("portal:decision", decision_id=found.pk)
            if done is not None:
                messages.success(request, _("Thank you: the decision is confirmed."))
                return redirect("portal:decision", decision_id=found.pk)
        elif chosen == "note":
            if apply(
                form,
                lambda text: record.annotate(
                    person, found.episode, RecordAnnotation.Target.DECISION, found.pk, text
                ),
            ):
                messages.success(request, _("Your note is kept with the decision."))
                return redirect("portal:decision", decision_id=found.pk)
        elif apply(
            form,
            lambda text: record.dispute(
                person, found.episode, RecordAnnotation.Target.DECISION, found.pk, text
            ),
        ):
            messages.success(request, _("Your request for a correction is sent."))
            return redirect("portal:record")
    notes = record.annotations_on(person, RecordAnnotation.Target.DECISION, [found.pk])
    return render(
        request,
        "portal/decision.html",
        {
            **_row(found),
            "forms": page,
            "notes": notes.get(str(found.pk), []),
            "chosen": chosen,
        },
    )
