"""Writes for check-ins: issue a link, save a draft, submit, skip, and kiosk mode.

Each write runs in one ``transaction.atomic`` and records its audit events in
it. ``submit_checkin`` is the one door for a client's answers: it consumes the
token, stores the administrations with their scores, opens a flag on a risk
answer, refreshes the episode summary, audits, and enqueues the therapist's
notification, all before commit. The Session Reflection goes through the same door:
``issue_reflection_link`` and ``start_reflection_kiosk`` fix its draft as a one-group
sitting of kind "reflection" (docs/checkin.md, Session Reflection).
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
from plusone.clinical.models import Client, Episode, Flag, Session
from plusone.inputs import normalize
from plusone.measures import checkin as plan_queries
from plusone.measures import consent
from plusone.measures.models import (
    Administration,
    CheckinDraft,
    Context,
    Respondent,
    Sitting,
    SittingKind,
    SittingStatus,
)
from plusone.measures.plan import split_key
from plusone.measures.summary import (  # noqa: F401 - the summary's old home, re-exported
    REFLECTION_ITEMS,
    THERAPIST_RATING_ITEMS,
    declined_proposal,
    history_for,
    refresh_summary,
)
from plusone.notify.models import Delivery
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose

log = logging.getLogger(__name__)

CHECKIN_TTL = dt.timedelta(days=7)
KIOSK_TTL = dt.timedelta(hours=2)
# The reflection is about today's session: its fallback link works for 2 days.
REFLECTION_LINK_TTL = dt.timedelta(days=2)
REFLECTION_KEY = "session_reflection"
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
    # True when an email was asked for but the client withdrew the email channel.
    email_withdrawn: bool = False


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
    return _issue_link(
        acting_user=acting_user,
        client=client,
        session=session,
        send_email=send_email,
        replaces=replaces,
        ttl=ttl,
        reflection=False,
    )


def issue_reflection_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    send_email: bool,
    replaces: AccessToken | None = None,
    ttl: dt.timedelta = REFLECTION_LINK_TTL,
    now: dt.datetime | None = None,
) -> IssuedLink:
    """Issue a Session Reflection link (``/c/<token>``), the fallback when the reflection
    cannot be taken in session; optionally email it, exactly like a check-in link.

    The link asks one group: the Session Reflection. It belongs to ``session``,
    or else to today's session (:func:`plusone.measures.checkin.reflection_session`).
    """
    return _issue_link(
        acting_user=acting_user,
        client=client,
        session=session,
        send_email=send_email,
        replaces=replaces,
        ttl=ttl,
        reflection=True,
        now=now,
    )


def _issue_link(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None,
    send_email: bool,
    replaces: AccessToken | None,
    ttl: dt.timedelta,
    reflection: bool,
    now: dt.datetime | None = None,
) -> IssuedLink:
    episode = open_episode(client)
    if reflection:
        session = _reflection_session(episode, session, now=now or timezone.now())
    # A withdrawn email channel is never used: the therapist copies the link instead.
    email_withdrawn = bool(send_email and consent.channel_withdrawn(client, "email"))
    emailed = bool(send_email and client.email and not email_withdrawn)
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
        if reflection:
            _reflection_draft(token, now=now)
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
            action="reflection.issue_link" if reflection else "checkin.issue_link",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={
                "client": client.pk,
                "emailed": emailed,
                "email_withdrawn": email_withdrawn,
                "session": session.pk if session else None,
            },
        )
    return IssuedLink(url=url, token=token, emailed=emailed, email_withdrawn=email_withdrawn)


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


def start_reflection_kiosk(
    *,
    acting_user: Any,
    client: Client,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> AccessToken:
    """Issue a short-lived, never-sent token for the client's Session Reflection, taken at the
    end of the session on the therapist's own device (kiosk mode).

    The reflection belongs to ``session``, or else to today's session.
    """
    episode = open_episode(client)
    session = _reflection_session(episode, session, now=now or timezone.now())
    with transaction.atomic():
        _, token = tokens.issue(
            Purpose.CHECKIN,
            practice=client.practice,
            client=client,
            episode=episode,
            session=session,
            ttl=KIOSK_TTL,
        )
        _reflection_draft(token, now=now)
        audit.record(
            practice=client.practice,
            actor=acting_user,
            action="reflection.kiosk_start",
            target_type="tokens.accesstoken",
            target_id=token.pk,
            detail={"client": client.pk, "session": session.pk if session else None},
        )
    return token


def _reflection_session(
    episode: Episode, session: Session | None, *, now: dt.datetime
) -> Session | None:
    """The given session when it is the episode's, else today's (see checkin.reflection_session)."""
    if session is not None and session.episode_id == episode.pk:
        return session
    return plan_queries.reflection_session(episode, now=now)


def _reflection_draft(token: AccessToken, *, now: dt.datetime | None = None) -> CheckinDraft:
    """Fix the token's sitting as a Session Reflection: one group, its own kind.

    The check-in pages then take it like any check-in (drafts, exactly-once
    submit, audit, summary refresh); the draft's kind is what makes it a
    reflection, never the plan.
    """
    now = now or timezone.now()
    return CheckinDraft.objects.create(
        practice_id=token.practice_id,
        token_id=str(token.pk),
        instruments=[REFLECTION_KEY],
        rolled_on=[],
        kind=SittingKind.REFLECTION,
        started_at=now,
        updated_at=now,
    )


# Drafts -------------------------------------------------------------------------------


def open_draft(token: AccessToken, *, now: dt.datetime | None = None) -> CheckinDraft:
    """The token's draft, created on first open with today's instruments fixed in it."""
    now = now or timezone.now()
    draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
    if draft is not None:
        if not draft.shown_at and not draft.answers:
            # A draft fixed when the link was issued (a reflection) starts when first opened.
            draft.started_at = draft.updated_at = now
            draft.save(update_fields=["started_at", "updated_at"])
        return draft
    today = plan_queries.plan_for(token, now=now)
    with transaction.atomic():
        draft, _ = CheckinDraft.objects.get_or_create(
            token_id=str(token.pk),
            defaults={
                "practice_id": token.practice_id,
                "instruments": today.asked,
                "rolled_on": today.rolled,
                "kind": today.kind,
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
    token: AccessToken,
    acting_user: Any = None,
    now: dt.datetime | None = None,
) -> Flag | None:
    """Save one group's answers into the draft and move to group ``move_to``.

    Choice answers go to JSON; free text is kept encrypted. Seconds on the group
    accumulate from when it was shown. A risk answer opens (or raises) the
    sitting's flag in this same transaction (DESIGN.md, Risk): the flag is
    returned when it did, so the client sees the graded response before the
    next group; else None.
    """
    from plusone.measures.risk_answers import record_risk_answers

    now = now or timezone.now()
    choices = {k: v for k, v in answers.items() if not isinstance(v, str)}
    texts = {k: v for k, v in answers.items() if isinstance(v, str)}
    all_text = _draft_texts(draft)
    all_text[key] = texts
    spent = seconds_on(draft, key, now=now)
    with transaction.atomic():
        # One writer per sitting at a time: a double tap cannot open two flags.
        AccessToken.objects.select_for_update().filter(pk=token.pk).first()
        draft.answers = {**draft.answers, key: choices}
        draft.free_text = json.dumps(all_text)
        draft.seconds = {**draft.seconds, key: int(draft.seconds.get(key, 0)) + spent}
        # The clock restarts if the client comes back to this group.
        draft.shown_at = {k: v for k, v in draft.shown_at.items() if k != key}
        draft.current_group = max(0, min(move_to, len(draft.instruments)))
        draft.updated_at = now
        draft.save()
        return record_risk_answers(
            token=token,
            answers_by_group={key: choices},
            actor=_actor(token, acting_user),
            now=now,
        )


def _draft_texts(draft: CheckinDraft) -> dict[str, Any]:
    """The draft's free text by group, read through the normalisation layer.

    A draft that is not a JSON object (never written by save_group) reads as no
    free text, so the client retypes it rather than meeting an error page.
    """
    try:
        texts = normalize.json_value(draft.free_text or "{}", field="draft")
    except normalize.InputError:
        log.warning("check-in draft %s: free text unreadable, starting empty", draft.pk)
        return {}
    return texts if isinstance(texts, dict) else {}


def draft_answers(draft: CheckinDraft) -> dict[str, dict[str, int | str | None]]:
    """Every group's answers so far, free text included."""
    texts = _draft_texts(draft)
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
    return CheckinResult(
        sitting=sitting, created=False, risk_grade=sitting.risk_grade, flag=_flag_of(link, sitting)
    )


def _flag_of(token: AccessToken, sitting: Sitting) -> Flag | None:
    """The sitting's flag: opened by its token, or (before December 2026) by one of its
    administrations."""
    from plusone.measures.risk_answers import sitting_flag

    return sitting_flag(token.pk) or (
        Flag.objects.filter(
            source_kind="administration",
            source_id__in=sitting.administrations.values("pk"),
        ).first()
    )


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
    episode summary, record audit events and enqueue the notification. A group
    ``"<key>-risk"`` (the risk item asked alone) is stored as its own
    administration of the instrument, marked ``risk_item_only``, with no total;
    its risk answer opens a flag exactly as the whole instrument's would. A second
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
    from plusone.core.instruments import load_instrument
    from plusone.core.scoring import score
    from plusone.measures.risk_answers import record_risk_answers

    token = tokens.consume(link)
    episode = Episode.objects.select_related("practice", "client").get(pk=token.episode_id)
    actor = _actor(token, acting_user)
    draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
    kind = draft.kind if draft is not None else plan_queries.plan_for(token, now=now).kind
    sitting = Sitting.objects.create(
        practice_id=token.practice_id,
        client_id=token.client_id,
        episode=episode,
        session_id=token.session_id,
        context=context,
        status=SittingStatus.COMPLETED,
        kind=kind,
        idempotency_key=str(token.pk),
        carried_over=carried_over,
        started_at=started_at or now,
        completed_at=now,
        duration_seconds=sum(int(s) for s in durations.values()),
    )
    stored: list[Administration] = []
    worst: tuple[int, Administration | None] = (0, None)
    for group, given in answers.items():
        key, risk_only = split_key(group)
        instrument = load_instrument(key)
        if risk_only:
            stored.append(
                administration := _store_risk_item(
                    instrument, group, given, token, sitting, episode, context, durations, now
                )
            )
            if administration.risk_grade > worst[0]:
                worst = (administration.risk_grade, administration)
            continue
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
    # The first store of a risk answer opens the flag here, unless a group's save did.
    record_risk_answers(token=token, answers_by_group=answers, actor=actor, now=now)
    flag = _flag_of(token, sitting)
    grade = max(worst[0], flag.grade if flag is not None else 0)
    if grade:
        sitting.risk_grade = grade
        sitting.save(update_fields=["risk_grade"])
    refresh_summary(episode, today=timezone.localdate(now))
    CheckinDraft.objects.filter(token_id=str(token.pk)).delete()
    for administration in stored:
        audit.record(
            practice=episode.practice,
            actor=actor,
            action="administration.create",
            target_type="measures.administration",
            target_id=administration.pk,
            detail={
                "instrument": administration.instrument_key,
                "sitting": sitting.pk,
                "risk_item_only": administration.risk_item_only,
            },
        )
    audit.record(
        practice=episode.practice,
        actor=actor,
        action="checkin.submit",
        target_type="measures.sitting",
        target_id=sitting.pk,
        detail={
            "token": token.pk,
            "instruments": len(stored),
            "context": context,
            "kind": sitting.kind,
        },
    )
    return CheckinResult(sitting=sitting, created=True, risk_grade=grade, flag=flag)


# The reason stored on a lone risk item: it is an answer, never a score.
RISK_ITEM_ONLY_REASON = "Risk item asked on its own: no total is computed."


def _store_risk_item(
    instrument: Any,
    group: str,
    given: Mapping[str, int | str | None],
    token: AccessToken,
    sitting: Sitting,
    episode: Episode,
    context: str,
    durations: Mapping[str, int],
    now: dt.datetime,
) -> Administration:
    """Store the risk item asked alone as its own administration: its answer and risk
    grade (the instrument's own grading), no total, never valid as a score."""
    from plusone.core.scoring import risk_grade_for

    risky = {r.item_id for r in instrument.risk_items}
    choices = {k: v for k, v in given.items() if k in risky and isinstance(v, int)}
    grade = max((risk_grade_for(instrument, k, v) for k, v in choices.items()), default=0)
    seconds = int(durations.get(group, 0))
    administration = Administration(
        practice_id=token.practice_id,
        client_id=token.client_id,
        episode=episode,
        session_id=token.session_id,
        sitting=sitting,
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        context=context,
        respondent=Respondent.CLIENT,
        answers=choices,
        total=None,
        valid=False,
        reason=RISK_ITEM_ONLY_REASON,
        risk_grade=grade,
        risk_item_only=True,
        started_at=min(now - dt.timedelta(seconds=seconds), now),
        completed_at=now,
        duration_seconds=seconds,
        idempotency_key=f"{token.pk}:{group}",
    )
    administration.save(force_insert=True)
    return administration


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
                asked, rolled, kind = list(draft.instruments), list(draft.rolled_on), draft.kind
            else:
                today = plan_queries.plan_for(token, now=now)
                asked, rolled, kind = today.asked, today.rolled, today.kind
            # A skipped reflection is not carried: the next session has its own.
            carry = (
                [] if kind == SittingKind.REFLECTION else [*asked, *rolled, *(carried_over or [])]
            )
            sitting = Sitting.objects.create(
                practice_id=token.practice_id,
                client_id=token.client_id,
                episode=episode,
                session_id=token.session_id,
                context=context,
                status=SittingStatus.SKIPPED,
                kind=kind,
                idempotency_key=str(token.pk),
                carried_over=list(dict.fromkeys(carry)),
                started_at=draft.started_at if draft else now,
                completed_at=now,
            )
            if draft is not None:
                draft.delete()
            # A risk answer given before the skip keeps its flag open, and the sitting its grade.
            flag = _flag_of(token, sitting)
            if flag is not None:
                sitting.risk_grade = flag.grade
                sitting.save(update_fields=["risk_grade"])
            refresh_summary(episode, today=timezone.localdate(now))
            audit.record(
                practice=episode.practice,
                actor=_actor(token, acting_user),
                action="checkin.skip",
                target_type="measures.sitting",
                target_id=sitting.pk,
                detail={"token": token.pk, "context": context},
            )
            return CheckinResult(
                sitting=sitting, created=True, risk_grade=sitting.risk_grade, flag=flag
            )
    except TokenError as exc:
        if exc.code == "used":
            stored = _already_stored(link)
            if stored is not None:
                return stored
        raise
