"""The one door for a client's answers: submit, and skip.

``submit_checkin`` consumes the token, stores the administrations with their scores,
opens a flag on a risk answer, refreshes the episode summary and audits, all in
one transaction; ``skip_checkin`` records a skipped sitting.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.models import Episode, Flag
from plusone.core.due import split_key
from plusone.core.instruments import load_instrument
from plusone.core.scoring import risk_grade_for, score
from plusone.measures import checkin as plan_queries
from plusone.measures.actions.drafts import _actor
from plusone.measures.actions.followups import mark_follow_up_done
from plusone.measures.administrations import scored_administration
from plusone.measures.models import (
    Administration,
    CheckinDraft,
    Context,
    Respondent,
    Sitting,
    SittingKind,
    SittingStatus,
)
from plusone.measures.risk_answers import record_risk_answers, sitting_flag
from plusone.measures.summary import refresh_summary
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken

log = logging.getLogger(__name__)

# Submit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinResult:
    """What a submit or skip stored. ``created`` is False when it had been stored already."""

    sitting: Sitting
    created: bool
    risk_grade: int
    flag: Flag | None


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

    return sitting_flag(token.pk) or (
        Flag.objects.filter(
            source_kind="administration",
            source_id__in=sitting.administrations.values("pk"),
        ).first()
    )


def _new_sitting(token: AccessToken, episode: Episode, **fields: Any) -> Sitting:
    """The sitting of ``token``, completed or skipped: keyed by the token, so a retry
    finds it instead of storing a second one."""
    return Sitting.objects.create(
        practice_id=token.practice_id,
        client_id=token.client_id,
        episode=episode,
        session_id=token.session_id,
        idempotency_key=str(token.pk),
        **fields,
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

    token = tokens.consume(link)
    episode = Episode.objects.select_related("practice", "client").get(pk=token.episode_id)
    actor = _actor(token, acting_user)
    draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
    kind = draft.kind if draft is not None else plan_queries.plan_for(token, now=now).kind
    sitting = _new_sitting(
        token,
        episode,
        status=SittingStatus.COMPLETED,
        context=context,
        kind=kind,
        carried_over=carried_over,
        started_at=started_at or now,
        completed_at=now,
        duration_seconds=sum(int(s) for s in durations.values()),
    )
    stored: list[Administration] = []
    worst: tuple[int, Administration | None] = (0, None)
    # Each administration keeps the language its items were shown in; one series either way.
    reading = plan_queries.page_language()
    for group, given in answers.items():
        key, risk_only = split_key(group)
        instrument = load_instrument(key)
        shown = draft.languages.get(group) if draft is not None else None
        language = shown or plan_queries.in_language(key, token.practice_id, reading)[1]
        if risk_only:
            stored.append(
                administration := _store_risk_item(
                    instrument,
                    group,
                    given,
                    token,
                    sitting,
                    episode,
                    context,
                    durations,
                    now,
                    language=language,
                )
            )
            if administration.risk_grade > worst[0]:
                worst = (administration.risk_grade, administration)
            continue
        result = score(instrument, given)
        grade = result.risk_grade
        administration = scored_administration(
            instrument,
            given,
            result,
            completed_at=now,
            seconds=int(durations.get(key, 0)),
            practice_id=token.practice_id,
            client_id=token.client_id,
            episode=episode,
            session_id=token.session_id,
            sitting=sitting,
            context=context,
            respondent=Respondent.CLIENT,
            idempotency_key=f"{token.pk}:{key}",
            language=language,
        )
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
    # A follow-up after an Ending is done once its check-in is stored (issue 14).
    mark_follow_up_done(token=token, sitting=sitting, stored=stored, now=now)
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
    *,
    language: str = "en",
) -> Administration:
    """Store the risk item asked alone as its own administration: its answer and risk
    grade (the instrument's own grading), no total, never valid as a score."""

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
        language=language,
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
            sitting = _new_sitting(
                token,
                episode,
                status=SittingStatus.SKIPPED,
                context=context,
                kind=kind,
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
