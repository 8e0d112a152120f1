"""My goals (issue 13): the client writes and rewrites up to three goals in their own words.
Each rewrite is a new version; every version is kept, and a rating stays with the version it
was given under."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plusone.clinical.actions.record import MAX_GOALS
from plusone.portal import record
from plusone.portal.auth import portal_route
from plusone.portal.record_forms import GoalForm, apply


@portal_route(methods=("GET", "POST"))
def goals(request: HttpRequest) -> HttpResponse:
    """GET lists the goals with a form for each (and one for a new goal while there are
    fewer than three); POST saves one goal's words."""
    person = request.portal_client  # type: ignore[attr-defined]
    episode = record.current_episode(person)
    failed: GoalForm | None = None
    if request.method == "POST":
        form = GoalForm(request.POST)
        saved = apply(
            form,
            lambda text: record.write_goal(person, episode, form.cleaned_data["position"], text),
        )
        if saved is not None:
            return redirect("portal:goals")
        failed = form
    rows = record.goal_rows(episode)
    taken = {row.position for row in rows}
    forms = []
    for row in rows:
        form = (
            failed
            if failed is not None and failed.data.get("position") == str(row.position)
            else GoalForm(initial={"position": row.position, "text": row.text})
        )
        forms.append((row, form))
    free = next((n for n in range(1, MAX_GOALS + 1) if n not in taken), None)
    new_form = None
    if free is not None:
        new_form = (
            failed
            if failed is not None and failed.data.get("position") == str(free)
            else GoalForm(initial={"position": free})
        )
    return render(
        request,
        "portal/goals.html",
        {"goal_forms": forms, "new_form": new_form, "failed": failed},
    )
