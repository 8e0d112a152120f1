"""The therapist's device, handed to the client to confirm a decision in session.

Like kiosk mode for check-ins: the therapist is signed out first, and the
session then holds only the decision handed over (its id, who handed it over,
and until when), so nothing else of the practice is reachable until the
therapist signs in again (DESIGN.md: a move into Deepening, Consolidating or an
Ending takes effect on the client's confirmation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from plusone.accounts.models import User
from plusone.clinical.models import Decision

DECISION_KEY = "device_confirm_decision"
THERAPIST_KEY = "device_confirm_therapist"
UNTIL_KEY = "device_confirm_until"
# As long as a kiosk check-in: a session's end, then the device locks itself.
HAND_OVER_TTL = dt.timedelta(hours=2)


def start(request: HttpRequest, *, decision: Decision, therapist_id: str) -> None:
    """Put the (already signed-out) session in hand-over mode for ``decision``."""
    request.session[DECISION_KEY] = str(decision.pk)
    request.session[THERAPIST_KEY] = therapist_id
    request.session[UNTIL_KEY] = (timezone.now() + HAND_OVER_TTL).isoformat()


def held(request: HttpRequest) -> tuple[Decision, Any] | None:
    """The pending decision this device holds and the therapist who handed it over, or
    None (no hand-over, expired, or confirmed already)."""
    decision_id = request.session.get(DECISION_KEY)
    until = request.session.get(UNTIL_KEY)
    if not decision_id or not until or dt.datetime.fromisoformat(until) <= timezone.now():
        return None
    decision = (
        Decision.objects.select_related("episode", "practice")
        .filter(pk=decision_id, confirmation=Decision.Confirmation.PENDING)
        .first()
    )
    therapist = User.objects.filter(pk=request.session.get(THERAPIST_KEY)).first()
    if decision is None or therapist is None:
        return None
    return decision, therapist


def finish(request: HttpRequest) -> None:
    """End hand-over mode: the device shows only the way back to sign-in."""
    for key in (DECISION_KEY, UNTIL_KEY):
        request.session.pop(key, None)


def exit_context() -> dict[str, str]:
    """Where the therapist signs in again to leave (password and authenticator code)."""
    return {"sign_in_url": reverse("account_login") + "?next=" + reverse("insights:caseload")}
