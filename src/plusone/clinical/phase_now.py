"""The agreed phase now, read from an episode's decision rows by ``plusone.core.phases``.

One definition (DESIGN.md's phase table): a move into Deepening, Consolidating
or an Ending takes effect when the client confirms it, and until then it is
"awaiting the client"; Stabilizing, the +1 threshold, a step back and a
decision to stay take effect at once. The check-in's plan, the decision form,
the card, the journey and the rule engine's history all ask here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from plusone.clinical.models import Decision, Episode, Phase
from plusone.core import history as h
from plusone.core.phases import PhaseNow, current_phase

# The decision form's proposal names -> plusone.core.propose kinds.
DECLINED_PROPOSAL_KINDS = {
    "plus_one": "plus_one",
    "good_enough": "good_enough_ending",
    "good_enough_ending": "good_enough_ending",
    "stalled": "stalled_review",
    "stalled_review": "stalled_review",
    "spike": "spike_exit",
    "spike_exit": "spike_exit",
    "consolidating": "consolidating",
    "ending": "ending",
    "deepening_or_ending": "deepening_or_ending",
    "stabilizing": "stabilizing",
    "step_back_to_stabilizing": "step_back_to_stabilizing",
    "step_back_to_deepening": "step_back_to_deepening",
    "check_in_together": "check_in_together",
}
# At the +1 threshold the one question is "Deepening or good-enough ending".
AT_THRESHOLD = {"plus_one": "deepening_or_ending", "good_enough_ending": "deepening_or_ending"}


def declined_proposal(decision: Any) -> str | None:
    """The plusone.core proposal kind a declined decision answers.

    None (every proposal) when it names none or one the rules do not know.
    """
    kind = DECLINED_PROPOSAL_KINDS.get(decision.proposal_kind or "")
    if kind is not None and decision.phase == "plus_one":
        kind = AT_THRESHOLD.get(kind, kind)
    return kind


def as_core(d: Decision) -> h.Decision:
    """One decision row as the rule engine reads it: awaiting while the client has not
    confirmed, with the written reason of a move the phase table does not offer (a
    reversal's reason counts)."""
    change = d.kind == Decision.Kind.PHASE_CHANGE
    return h.Decision(
        phase=d.phase if d.phase in h.PHASES else None,  # type: ignore[arg-type]
        date=d.decided_on,
        kind="change" if change else "no_change",
        review_date=d.review_date,
        proposal=None if change else declined_proposal(d),
        awaiting=d.confirmation == Decision.Confirmation.PENDING,
        confirmed_on=d.confirmed_on,
        reason=(d.reason or d.reversal_reason or "").strip(),
    )


def phase_now(decisions: Iterable[Decision], *, today: dt.date | None = None) -> PhaseNow:
    """The agreed phase now from decision rows in the order made."""
    return current_phase([as_core(d) for d in decisions], today or timezone.localdate())


def decisions_of(episode: Episode) -> list[Decision]:
    return list(Decision.objects.filter(episode=episode).order_by("decided_on", "created_at"))


def agreed_phase(episode: Episode, *, today: dt.date | None = None) -> str:
    """The agreed phase now, a Phase value ("none" before any is in effect)."""
    return phase_now(decisions_of(episode), today=today).phase or Phase.NONE


def awaiting_phase(decisions: Iterable[Decision], *, today: dt.date | None = None) -> str:
    """The phase agreed but awaiting the client's confirmation, or ""."""
    now = phase_now(decisions, today=today)
    return (now.awaiting.phase or "") if now.awaiting is not None else ""
