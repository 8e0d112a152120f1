"""The outcomes pages: a therapist's own caseload, and the practice's, pooled."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plusone import audit
from plusone.outcomes import queries
from plusone.web.routes import Policy, route


@route(Policy.THERAPIST)
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in therapist's own outcomes page (the nav's link)."""
    return redirect("outcomes:therapist", therapist_id=request.user.pk)


@route(Policy.THERAPIST, examples={"therapist_id": "user"})
def therapist(request: HttpRequest, therapist_id: str) -> HttpResponse:
    """One therapist's own caseload; anyone else's page is "not there"."""
    practice = queries.access_therapist_outcomes(request.user, therapist_id)  # type: ignore[arg-type]
    figures = queries.outcomes(practice, therapist=request.user)  # type: ignore[arg-type]
    audit.record_view(request, practice, action="view.outcomes_therapist")
    context = {"outcomes": figures, "scope": "your caseload", "source": queries.NHS_TT_SOURCE}
    return render(request, "outcomes/outcomes.html", context | _published())


@route(Policy.ADMIN)
def practice(request: HttpRequest) -> HttpResponse:
    """The practice owner's page: every therapist's clients together, never per therapist."""
    owned = queries.admin_practice(request.user)  # type: ignore[arg-type]
    figures = queries.outcomes(owned)
    audit.record_view(request, owned, action="view.outcomes_practice")
    context = {"outcomes": figures, "scope": "the whole practice", "source": queries.NHS_TT_SOURCE}
    return render(request, "outcomes/outcomes.html", context | _published())


def _published() -> dict[str, object]:
    return {"published": f"{queries.NHS_TT_RECOVERY * 100:.1f}%"}
