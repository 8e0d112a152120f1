"""Writes for check-ins: issue a link, save a draft, submit, skip, and kiosk mode.

Each write runs in one ``transaction.atomic`` and records its audit events in
it. ``submit_checkin`` is the one door for a client's answers: it consumes the
token, stores the administrations with their scores, opens a flag on a risk
answer, refreshes the episode summary, audits, and enqueues the therapist's
notification, all before commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import Client, Episode, Flag, Goal, Session
from plusone.measures import checkin as plan_queries
from plusone.measures.models import (
    Administration,
    CheckinDraft,
    Context,
    Respondent,
    Sitting,
    SittingStatus,
)
from plusone.notify.models import Delivery
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose

log = logging.getLogger(__name__)

CHECKIN_TTL = dt.timedelta(days=7)
KIOSK_TTL = dt.timedelta(hours=2)
# Neutral on purpose: no practice name, no clinical word (DESIGN.md: no health information).
EMAIL_SUBJECT = "Your link"
LINK_DELIVERY = "checkin_link"


class NoOpenEpisode(Exception):
    """The client has no open episode, so there is nothing to check in to."""


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued check-in link. ``url`` carries the raw token: show it once."""

    url: str
    token: AccessToken
    emailed: bool


def open_episode(client: Client) -> Episode:
    episode = Episode.objects.filter(client=client, status=Episode.Status.OPEN).first()
    if episode is None:
        raise NoOpenEpisode
    return episode


def link_url(raw: str) -> str:
    """The absolute check-in URL for a raw token, built from SITE_URL, never the Host header."""
    return settings.SITE_URL + reverse("measures:open_link", kwargs={"token": raw})


def issue_checkin_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    send_email: bool,
    replaces: AccessToken | None = None,
    ttl: dt.timedelta = CHECKIN_TTL,
) -> IssuedLink:
    """Issue a check-in link for the client's open episode; optionally email it.

    With ``replaces`` ("resend") the old link is revoked. The email carries only
    the link: neutral subject and sender, no health information. It is sent
    after commit, so a rolled-back issue never mails a dead link.
    """
    episode = open_episode(client)
    emailed = bool(send_email and client.email)
    with transaction.atomic():
        if replaces is not None and replaces.client_id == client.pk and replaces.used_at is None:
            tokens.revoke(replaces)
        raw, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            session=session,
            ttl=ttl,
            replaces=replaces if replaces is not None and replaces.client_id == client.pk else None,
        )
        url = link_url(raw)
        if emailed:
            expires = timezone.localtime(token.expires_at).strftime("%B %-d, %Y")
            body = (
                "Hello,\n\nHere is your link. It works once and until "
                f"{expires}.\n\n{url}\n\nIf you did not expect this message, you can ignore it.\n"
            )
            # At most once: the delivery is claimed with the token, and sent after commit.
            delivery = Delivery.objects.create(
                practice=client.practice, kind=LINK_DELIVERY, target=str(token.pk), slot="first"
            )
            transaction.on_commit(lambda: _send_link(delivery.pk, client.email, body))
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="checkin.issue_link",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={
                "client": client.pk,
                "emailed": emailed,
                "session": session.pk if session else None,
            },
        )
    return IssuedLink(url=url, token=token, emailed=emailed)


def _send_link(delivery_id: Any, address: str, body: str) -> None:
    send_mail(EMAIL_SUBJECT, body, None, [address], fail_silently=False)
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )


def start_kiosk(*, acting_user: Any, client: Client) -> AccessToken:
    """Issue a short-lived, never-sent token for an in-session check-in on the therapist's
    own device."""
    episode = open_episode(client)
    with transaction.atomic():
        _, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            ttl=KIOSK_TTL,
        )
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="checkin.kiosk_start",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk},
        )
    return token


# Drafts -------------------------------------------------------------------------------


def open_draft(token: AccessToken, *, now: dt.datetime | None = None) -> CheckinDraft:
    """The token's draft, created on first open with today's instruments fixed in it."""
    now = now or timezone.now()
    draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
    if draft is not None:
        return draft
    asked, rolled = plan_queries.instruments_for(token)
    with transaction.atomic():
        draft, _ = CheckinDraft.objects.get_or_create(
            token_id=str(token.pk),
            defaults={
                "practice_id": token.practice_id,
                "instruments": asked,
                "rolled_on": rolled,
                "started_at": now,
                "updated_at": now,
            },
        )
    return draft


def mark_shown(draft: CheckinDraft, key: str, *, now: dt.datetime | None = None) -> None:
    """Remember when a group was first shown, for its duration."""
    if key in draft.shown_at:
        return
    now = now or timezone.now()
    draft.shown_at = {**draft.shown_at, key: now.isoformat()}
    draft.updated_at = now
    draft.save(update_fields=["shown_at", "updated_at"])


def seconds_on(draft: CheckinDraft, key: str, *, now: dt.datetime | None = None) -> int:
    """Whole seconds since group ``key`` was last shown (0 if it was not)."""
    shown = draft.shown_at.get(key)
    if not shown:
        return 0
    now = now or timezone.now()
    return max(0, int((now - dt.datetime.fromisoformat(shown)).total_seconds()))


def save_group(
    draft: CheckinDraft,
    key: str,
    answers: Mapping[str, int | str | None],
    *,
    move_to: int,
    now: dt.datetime | None = None,
) -> None:
    """Save one group's answers into the draft and move to group ``move_to``.

    Choice answers go to JSON; free text is kept encrypted. Seconds on the group
    accumulate from when it was shown.
    """
    now = now or timezone.now()
    choices = {k: v for k, v in answers.items() if not isinstance(v, str)}
    texts = {k: v for k, v in answers.items() if isinstance(v, str)}
    all_text = json.loads(draft.free_text or "{}")
    all_text[key] = texts
    spent = seconds_on(draft, key, now=now)
    with transaction.atomic():
        draft.answers = {**draft.answers, key: choices}
        draft.free_text = json.dumps(all_text)
        draft.seconds = {**draft.seconds, key: int(draft.seconds.get(key, 0)) + spent}
        # The clock restarts if the client comes back to this group.
        draft.shown_at = {k: v for k, v in draft.shown_at.items() if k != key}
        draft.current_group = max(0, min(move_to, len(draft.instruments)))
        draft.updated_at = now
        draft.save()


def draft_answers(draft: CheckinDraft) -> dict[str, dict[str, int | str | None]]:
    """Every group's answers so far, free text included."""
    texts = json.loads(draft.free_text or "{}")
    merged: dict[str, dict[str, int | str | None]] = {}
    for key in draft.instruments:
        merged[key] = {**draft.answers.get(key, {}), **texts.get(key, {})}
    return merged


# Submit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinResult:
    """What a submit or skip stored. ``created`` is False when it had been stored already."""

    sitting: Sitting
    created: bool
    risk_grade: int
    flag: Flag | None


def _actor(link: AccessToken, acting_user: Any) -> Any:
    return acting_user if acting_user is not None else f"token:{link.pk}"


def _already_stored(link: AccessToken) -> CheckinResult | None:
    sitting = Sitting.objects.filter(idempotency_key=str(link.pk)).first()
    if sitting is None:
        return None
    flag = Flag.objects.filter(
        source_kind="administration",
        source_id__in=sitting.administrations.values("pk"),
    ).first()
    return CheckinResult(sitting=sitting, created=False, risk_grade=sitting.risk_grade, flag=flag)


def submit_checkin(
    *,
    link: AccessToken,
    answers: Mapping[str, Mapping[str, int | str | None]],
    acting_user: Any = None,
    context: str = Context.CHECKIN,
    durations: Mapping[str, int] | None = None,
    started_at: dt.datetime | None = None,
    carried_over: list[str] | None = None,
    now: dt.datetime | None = None,
) -> CheckinResult:
    """Store a completed check-in exactly once and return what was stored.

    One transaction: consume the token (row locked), store a Sitting and one
    Administration per instrument with its duration and scores from
    ``plusone.core.scoring``, open a Flag for any risk answer, refresh the
    episode summary, record audit events and enqueue the notification. A second
    submit with the same token (double tap, retry after a lost response)
    returns the stored result with ``created=False``. Raises TokenError when
    the token is expired or revoked, or used with nothing stored.
    """
    try:
        with transaction.atomic():
            return _submit(
                link=link,
                answers=answers,
                acting_user=acting_user,
                context=context,
                durations=durations or {},
                started_at=started_at,
                carried_over=carried_over or [],
                now=now or timezone.now(),
            )
    except TokenError as exc:
        if exc.code == "used":
            stored = _already_stored(link)
            if stored is not None:
                return stored
        raise


def _submit(
    *,
    link: AccessToken,
    answers: Mapping[str, Mapping[str, int | str | None]],
    acting_user: Any,
    context: str,
    durations: Mapping[str, int],
    started_at: dt.datetime | None,
    carried_over: list[str],
    now: dt.datetime,
) -> CheckinResult:
    from plusone.clinical.actions import open_flag
    from plusone.core.instruments import load_instrument
    from plusone.core.scoring import score

    token = tokens.consume(link)
    episode = Episode.objects.select_related("practice", "client").get(pk=token.episode_id)
    actor = _actor(token, acting_user)
    sitting = Sitting.objects.create(
        practice_id=token.practice_id,
        client_id=token.client_id,
        episode=episode,
        session_id=token.session_id,
        context=context,
        status=SittingStatus.COMPLETED,
        idempotency_key=str(token.pk),
        carried_over=carried_over,
        started_at=started_at or now,
        completed_at=now,
        duration_seconds=sum(int(s) for s in durations.values()),
    )
    stored: list[Administration] = []
    worst: tuple[int, Administration | None] = (0, None)
    for key, given in answers.items():
        instrument = load_instrument(key)
        result = score(instrument, given)
        grade = max((hit.grade for hit in result.risk), default=0)
        choices = {k: v for k, v in given.items() if not isinstance(v, str)}
        texts = {k: v for k, v in given.items() if isinstance(v, str) and v.strip()}
        seconds = int(durations.get(key, 0))
        administration = Administration(
            practice_id=token.practice_id,
            client_id=token.client_id,
            episode=episode,
            session_id=token.session_id,
            sitting=sitting,
            instrument_key=key,
            instrument_version=instrument.version,
            context=context,
            respondent=Respondent.CLIENT,
            answers=choices,
            total=result.total,
            subscales=dict(result.subscales),
            band=result.band.label if result.band else "",
            valid=result.valid,
            prorated=result.prorated,
            reason=(result.reason or "")[:200],
            risk_grade=grade,
            started_at=min(now - dt.timedelta(seconds=seconds), now),
            completed_at=now,
            duration_seconds=seconds,
            idempotency_key=f"{token.pk}:{key}",
        )
        administration.free_text = json.dumps(texts) if texts else ""
        administration.save(force_insert=True)
        stored.append(administration)
        if grade > worst[0]:
            worst = (grade, administration)
    flag = None
    grade, source = worst
    if source is not None:
        sitting.risk_grade = grade
        sitting.save(update_fields=["risk_grade"])
        # Same transaction as the answers (DESIGN.md, Risk); open_flag enqueues the notification.
        flag = open_flag(
            episode=episode,
            grade=min(grade, 3),
            source_kind="administration",
            source_id=source.pk,
            actor=actor,
            now=now,
        )
    refresh_summary(episode, today=timezone.localdate(now))
    CheckinDraft.objects.filter(token_id=str(token.pk)).delete()
    for administration in stored:
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="administration.create",
            target_type="measures.administration",
            target_id=administration.pk,
            detail={"instrument": administration.instrument_key, "sitting": sitting.pk},
        )
    audit.record(
        practice=episode.practice,
        actor=actor,
        action="checkin.submit",
        target_type="measures.sitting",
        target_id=sitting.pk,
        detail={"token": token.pk, "instruments": len(stored), "context": context},
    )
    return CheckinResult(sitting=sitting, created=True, risk_grade=grade, flag=flag)


def skip_checkin(
    *,
    link: AccessToken,
    acting_user: Any = None,
    context: str = Context.CHECKIN,
    carried_over: list[str] | None = None,
    now: dt.datetime | None = None,
) -> CheckinResult:
    """Record "skip today" in one step: a not-completed sitting, never "overdue".

    The instruments not asked are carried over to the next check-in. Idempotent
    like :func:`submit_checkin`.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            token = tokens.consume(link)
            episode = Episode.objects.select_related("practice", "client").get(pk=token.episode_id)
            draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
            if draft is not None:
                asked, rolled = list(draft.instruments), list(draft.rolled_on)
            else:
                asked, rolled = plan_queries.instruments_for(token)
            carry = [*asked, *rolled, *(carried_over or [])]
            sitting = Sitting.objects.create(
                practice_id=token.practice_id,
                client_id=token.client_id,
                episode=episode,
                session_id=token.session_id,
                context=context,
                status=SittingStatus.SKIPPED,
                idempotency_key=str(token.pk),
                carried_over=list(dict.fromkeys(carry)),
                started_at=draft.started_at if draft else now,
                completed_at=now,
            )
            if draft is not None:
                draft.delete()
            refresh_summary(episode, today=timezone.localdate(now))
            audit.record(
                practice=episode.practice,
                actor=_actor(token, acting_user),
                action="checkin.skip",
                target_type="measures.sitting",
                target_id=sitting.pk,
                detail={"token": token.pk, "context": context},
            )
            return CheckinResult(sitting=sitting, created=True, risk_grade=0, flag=None)
    except TokenError as exc:
        if exc.code == "used":
            stored = _already_stored(link)
            if stored is not None:
                return stored
        raise


# The episode summary ---------------------------------------------------------------------


# How many recent primary totals the summary keeps for the caseload's sparkline.
SUMMARY_TREND_LENGTH = 8


def refresh_summary(episode: Episode, *, today: dt.date) -> None:
    """Rewrite the episode's summary row from its administrations, inside the caller's transaction.

    Latest primary score and band, not-completed count and, when the rule
    engine can run, the proposal kind, phase and alerts.
    """
    from plusone.clinical.actions import update_summary

    recent = list(
        Administration.objects.filter(
            episode=episode, instrument_key=episode.primary_instrument
        ).order_by("-completed_at")[:SUMMARY_TREND_LENGTH]
    )
    primary = recent[0] if recent else None
    goals = (
        Administration.objects.filter(episode=episode, instrument_key="personal_goals")
        .order_by("-completed_at")
        .first()
    )
    fields: dict[str, Any] = {
        "not_completed_count": Sitting.objects.filter(
            episode=episode, status=SittingStatus.SKIPPED
        ).count(),
        # The caseload's sparkline: recent primary totals, oldest first (None = invalid).
        "primary_trend": [a.total if a.valid else None for a in reversed(recent)],
        # The latest rating of each goal, by position (goal_1..goal_3).
        "goal_ratings": (
            [
                _num(v)
                for _, v in sorted(goals.answers.items(), key=lambda kv: _goal_position(kv[0]))
            ]
            if goals is not None
            else []
        ),
    }
    if primary is not None:
        fields["latest_total"] = primary.total
        fields["band_label"] = primary.band
    fields.update(_proposal_fields(episode, today=today))
    update_summary(episode, **fields)


def _proposal_fields(episode: Episode, *, today: dt.date) -> dict[str, Any]:
    """Proposal kind, agreed phase and alerts from plusone.core.propose, or {} if it cannot run."""
    from plusone.core.propose import propose

    # Database errors propagate (and roll the submit back); only the pure rule engine is guarded.
    history = history_for(episode)
    # The summary must never block a client's submit; a rule-engine failure is logged in full.
    try:
        proposal = propose(history, today=today)
    except Exception:
        log.exception("propose failed for an episode; summary keeps its last proposal")
        return {}
    return {
        "proposal_kind": proposal.kind if proposal.kind != "none" else "",
        "phase": proposal.phase or "none",
        "alerts": list(proposal.alerts),
    }


def history_for(episode: Episode) -> Any:
    """Build plusone.core.history.ClientHistory for one episode from its rows."""
    from plusone.core import history as h

    local = timezone.localdate
    administrations = list(Administration.objects.filter(episode=episode).order_by("completed_at"))
    goals_by_position = {
        g.position: g
        for g in Goal.objects.filter(episode=episode, active=True).order_by("position", "version")
    }
    admins: list[Any] = []
    goal_ratings: list[Any] = []
    felt: list[Any] = []
    for a in administrations:
        day = local(a.completed_at)
        if a.instrument_key == "personal_goals":
            for item_id, value in a.answers.items():
                goal = goals_by_position.get(_goal_position(item_id))
                if goal is not None and value is not None:
                    goal_ratings.append(
                        h.GoalRating(
                            goal_id=str(goal.goal_id),
                            version=goal.version,
                            completed=day,
                            rating=float(value),
                        )
                    )
            continue
        if a.instrument_key == "felt_change":
            felt.append(
                h.FeltChange(
                    completed=day,
                    holds=_num(a.answers.get("felt_holds")),
                    understands=_num(a.answers.get("felt_understand_stuck")),
                    stuck=_num(a.answers.get("felt_stuck")),
                )
            )
            continue
        admins.append(
            h.Administration(
                instrument=a.instrument_key,
                completed=day,
                total=a.total,
                valid=a.valid,
                prorated=a.prorated,
                band=a.band or None,
                risk_grade=a.risk_grade,
                answers=dict(a.answers),
            )
        )
    decisions = [
        h.Decision(
            phase=d.phase if d.phase in h.PHASES else None,
            date=d.decided_on,
            kind="change" if d.kind == "phase_change" else "no_change",
            review_date=d.review_date,
        )
        for d in episode.decisions.all()
    ]
    sessions = tuple(
        local(s.starts_at)
        for s in episode.sessions.filter(status=Session.Status.ATTENDED).order_by("starts_at")
    )
    return h.ClientHistory(
        primary=episode.primary_instrument,
        prior_therapy=episode.prior_therapy,
        administrations=tuple(admins),
        goals=tuple(goal_ratings),
        felt_change=tuple(felt),
        sessions=sessions,
        decisions=tuple(decisions),
        client=str(episode.client_id),
    )


def _goal_position(item_id: str) -> int:
    try:
        return int(item_id.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return 0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
