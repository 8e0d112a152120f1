"""Decisions: a phase change, or a decision not to change, agreed with the client.

Each write runs in one transaction and records its audit event (ids and action
names only) as its last statement. The agreed phase itself is read by
``plusone.clinical.phase_now``; these writes refresh the episode summary
(``plusone.measures.summary``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from plusone import audit
from plusone.clinical.models import Consent, Decision, DecisionOption, Episode, Phase, Present
from plusone.clinical.phase_now import agreed_phase, decisions_of, phase_now
from plusone.core.phases import PHASE_NAMES, offered
from plusone.measures.actions.followups import cancel_follow_ups, schedule_follow_ups
from plusone.measures.summary import refresh_summary

__all__ = [
    "DECISION_CONSENT_VERSION",
    "DEFAULT_REVIEW_WEEKS",
    "DecisionAlreadyConfirmed",
    "DecisionData",
    "agreed_phase",
    "confirm_decision",
    "record_decision",
    "reverse_decision",
]

DECISION_CONSENT_VERSION = "2026-1"
# DESIGN.md: a declined proposal is not repeated before its review date (default 6 weeks).
DEFAULT_REVIEW_WEEKS = 6


class DecisionAlreadyConfirmed(Exception):
    """The decision was confirmed already (perhaps a moment ago, on another device)."""


@dataclass(frozen=True)
class DecisionData:
    """What the decision form collects, already parsed.

    ``confirmation`` is "pending" (the client confirms next, on this device) or
    "spoken" (the therapist records the client's spoken confirmation made on
    ``confirmed_on``, with an optional ``confirmation_text``).
    """

    kind: str
    phase: str
    decided_on: dt.date
    options_discussed: Sequence[str]
    discomfort_acknowledged: bool
    symptom_rise_acknowledged: bool
    discomfort_note: str
    focus: str
    present: Sequence[str]
    confirmation: str
    review_date: dt.date | None = None
    proposal_kind: str = ""
    confirmed_on: dt.date | None = None
    confirmation_text: str = ""
    # Why, for a move the phase table does not offer (required then).
    reason: str = ""


def _validate_decision(episode: Episode, data: DecisionData, today: dt.date) -> list[str]:
    errors = []
    if data.kind not in Decision.Kind.values:
        errors.append("Choose whether this is a phase change or a decision not to change.")
    if data.kind == Decision.Kind.PHASE_CHANGE and data.phase not in Phase.values[1:]:
        errors.append("Choose the phase you agreed on.")
    if not data.options_discussed or set(data.options_discussed) - set(DecisionOption.values):
        errors.append("Record the options you discussed.")
    if not data.present or set(data.present) - set(Present.values):
        errors.append("Record who was present.")
    if data.decided_on > today:
        errors.append("The decision date cannot be in the future.")
    if data.review_date is not None and data.review_date <= data.decided_on:
        errors.append("The review date must come after the decision.")
    # The +1 decision (into Deepening) is a treatment-plan change with informed consent.
    if data.kind == Decision.Kind.PHASE_CHANGE and data.phase == Phase.DEEPENING:
        if not (data.discomfort_acknowledged and data.symptom_rise_acknowledged):
            errors.append(
                "Going deeper needs both acknowledgements: the expected discomfort "
                "and a possible rise in symptoms."
            )
        if not data.focus.strip():
            errors.append("Write the focus in the client's own words.")
    if data.kind == Decision.Kind.PHASE_CHANGE and data.phase in Phase.values[1:]:
        errors += _off_table(episode, data, today)
    if data.confirmation == Decision.Confirmation.SPOKEN:
        if data.confirmed_on is None or data.confirmed_on > today:
            errors.append("Give the date the client confirmed (today or earlier).")
    elif data.confirmation != Decision.Confirmation.PENDING:
        errors.append("Choose how the client confirms.")
    return errors


def _off_table(episode: Episode, data: DecisionData, today: dt.date) -> list[str]:
    """A move the phase table does not offer needs a written reason (DESIGN.md)."""
    now = phase_now(decisions_of(episode), today=today).phase
    if offered(now, data.phase) or data.reason.strip():  # type: ignore[arg-type]
        return []
    was = "no phase yet" if now is None else PHASE_NAMES[now]
    return [
        f"Moving from {was} to {PHASE_NAMES[data.phase]} is not a step the phase table "
        "offers: write why, in a sentence."
    ]


def _treatment_plan_consent(
    decision: Decision,
    user: Any,
    now: dt.datetime,
    *,
    channel: str = Consent.Channel.IN_SESSION,
) -> Consent:
    return Consent.objects.create(
        practice_id=decision.practice_id,
        client_id=decision.episode.client_id,
        kind=Consent.Kind.TREATMENT_PLAN,
        version=DECISION_CONSENT_VERSION,
        channel=channel,
        given_at=now,
        recorded_by=user,
        decision=decision,
    )


def record_decision(*, user: Any, episode: Episode, data: DecisionData, today: dt.date) -> Decision:
    """Record a phase change or a decision not to change; audit it.

    The review date defaults to 6 weeks after the decision. A declined
    proposal keeps the agreed phase. A phase change confirmed by the client's
    spoken word is stored as treatment-plan consent at once; one waiting for
    the client's confirmation in session gets its consent in
    :func:`confirm_decision`. Raises ValidationError listing every problem.
    """
    errors = _validate_decision(episode, data, today)
    if errors:
        raise ValidationError(errors)
    review = data.review_date or data.decided_on + dt.timedelta(weeks=DEFAULT_REVIEW_WEEKS)
    spoken = data.confirmation == Decision.Confirmation.SPOKEN
    now = timezone.now()
    with transaction.atomic():
        phase = data.phase if data.kind == Decision.Kind.PHASE_CHANGE else agreed_phase(episode)
        decision = Decision(
            practice_id=episode.practice_id,
            episode=episode,
            phase=phase,
            kind=data.kind,
            decided_on=data.decided_on,
            review_date=review,
            recorded_by=user,
            options_discussed=list(dict.fromkeys(data.options_discussed)),
            discomfort_acknowledged=data.discomfort_acknowledged,
            symptom_rise_acknowledged=data.symptom_rise_acknowledged,
            discomfort_note=data.discomfort_note.strip(),
            focus=data.focus.strip(),
            present=list(dict.fromkeys(data.present)),
            proposal_kind=data.proposal_kind,
            reason=data.reason.strip(),
            confirmation=data.confirmation,
            confirmation_text=data.confirmation_text.strip() if spoken else "",
            confirmed_on=data.confirmed_on if spoken else None,
        )
        decision.save(force_insert=True)
        consent = None
        if spoken and decision.kind == Decision.Kind.PHASE_CHANGE:
            consent = _treatment_plan_consent(decision, user, now)
            # An Ending confirmed by the client's spoken yes takes effect now: its follow-ups.
            schedule_follow_ups(decision=decision, actor=user)
        refresh_summary(episode, today=today)
        audit.record(
            practice=episode.practice,
            actor=user,
            action="decision.record",
            target_type="clinical.decision",
            target_id=decision.pk,
            detail={
                "episode": episode.pk,
                "kind": decision.kind,
                "phase": decision.phase,
                "options": list(decision.options_discussed),
                "confirmation": decision.confirmation,
                "consent": consent.pk if consent else None,
            },
        )
    return decision


def confirm_decision(
    *,
    user: Any,
    decision: Decision,
    text: str,
    today: dt.date,
    how: str = Decision.Confirmation.IN_SESSION,
    actor: Any = None,
) -> Decision:
    """The client confirms (initials) or annotates a pending decision in session, or
    confirms it in the portal (``how`` = "portal", where the text is optional).

    Stores the text, the date and, for a phase change, the treatment-plan
    consent (``user`` records it); audits it as ``actor`` (default ``user``).
    Raises ValidationError for empty text in session and DecisionAlreadyConfirmed
    when it was confirmed already.
    """
    text = text.strip()
    portal = how == Decision.Confirmation.PORTAL
    if not text and not portal:
        raise ValidationError(
            gettext("Type your initials, or a note in your own words."), code="required"
        )
    with transaction.atomic():
        locked = Decision.objects.select_for_update().select_related("episode").get(pk=decision.pk)
        if locked.confirmation != Decision.Confirmation.PENDING:
            raise DecisionAlreadyConfirmed
        locked.confirmation = (
            Decision.Confirmation.PORTAL if portal else Decision.Confirmation.IN_SESSION
        )
        locked.confirmation_text = text
        locked.confirmed_on = today
        locked.save(update_fields=["confirmation", "confirmation_text", "confirmed_on"])
        consent = None
        if locked.kind == Decision.Kind.PHASE_CHANGE:
            consent = _treatment_plan_consent(
                locked,
                user,
                timezone.now(),
                channel=Consent.Channel.PORTAL if portal else Consent.Channel.IN_SESSION,
            )
        # A move into Deepening, Consolidating or an Ending takes effect now (DESIGN.md),
        # and an Ending's follow-ups are scheduled with it (only with the client's consent).
        schedule_follow_ups(decision=locked, actor=user if actor is None else actor)
        refresh_summary(locked.episode, today=today)
        audit.record(
            practice=locked.practice,
            actor=user if actor is None else actor,
            action="decision.confirm",
            target_type="clinical.decision",
            target_id=locked.pk,
            detail={"episode": locked.episode_id, "consent": consent.pk if consent else None},
        )
    return locked


def reverse_decision(
    *,
    user: Any,
    decision: Decision,
    reason: str,
    today: dt.date,
    confirmed_on: dt.date | None = None,
) -> Decision:
    """Reverse the latest phase change with a new decision row (never an update).

    The new row returns to the phase before ``decision`` ("none" if there was
    none), names ``decision`` in ``reverses`` and withdraws its treatment-plan
    consent. With ``confirmed_on`` the client's spoken confirmation is
    recorded; otherwise the reversal waits for the client's confirmation.
    Raises ValidationError when ``decision`` is not the latest phase change or
    was reversed already.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Write why the decision is reversed.", code="required")
    if confirmed_on is not None and confirmed_on > today:
        raise ValidationError("The confirmation date cannot be in the future.")
    now = timezone.now()
    with transaction.atomic():
        changes = list(
            Decision.objects.select_for_update()
            .filter(episode_id=decision.episode_id, kind=Decision.Kind.PHASE_CHANGE)
            .order_by("decided_on", "created_at")
        )
        if not changes or changes[-1].pk != decision.pk:
            raise ValidationError("Only the latest phase change can be reversed.")
        target = changes[-1]
        if Decision.objects.filter(reverses=target).exists():
            raise ValidationError("This decision was reversed already.")
        before = changes[-2].phase if len(changes) > 1 else Phase.NONE
        reversal = Decision(
            practice_id=target.practice_id,
            episode_id=target.episode_id,
            phase=before,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=max(today, target.decided_on),
            review_date=None,
            recorded_by=user,
            present=[Present.THERAPIST],
            reverses=target,
            reversal_reason=reason,
            confirmation=(
                Decision.Confirmation.SPOKEN if confirmed_on else Decision.Confirmation.PENDING
            ),
            confirmed_on=confirmed_on,
        )
        reversal.save(force_insert=True)
        withdrawn = Consent.objects.filter(decision=target, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        )
        episode = Episode.objects.select_related("practice", "client").get(pk=target.episode_id)
        if target.phase == Phase.ENDING:
            # The Ending no longer stands: nothing to follow up.
            cancel_follow_ups(client=episode.client, now=now)
        refresh_summary(episode, today=today)
        audit.record(
            practice=episode.practice,
            actor=user,
            action="decision.reverse",
            target_type="clinical.decision",
            target_id=reversal.pk,
            detail={
                "episode": episode.pk,
                "reverses": target.pk,
                "phase": reversal.phase,
                "consents_withdrawn": withdrawn,
            },
        )
    return reversal
