"""A check-in in progress: the draft that holds each group's answers until submit."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from plusone.clinical.models import Flag
from plusone.inputs import normalize
from plusone.measures import checkin as plan_queries
from plusone.measures.models import (
    CheckinDraft,
)
from plusone.measures.risk_answers import record_risk_answers
from plusone.tokens import TokenError
from plusone.tokens.models import AccessToken

log = logging.getLogger(__name__)


def _actor(link: AccessToken, acting_user: Any) -> Any:
    return acting_user if acting_user is not None else f"token:{link.pk}"


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


def note_language(draft: CheckinDraft, key: str, language: str) -> None:
    """Remember the language group ``key`` was shown in (the last time it was shown)."""
    if draft.languages.get(key) == language:
        return
    draft.languages = {**draft.languages, key: language}
    draft.save(update_fields=["languages"])


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


def save_answer(
    draft: CheckinDraft,
    key: str,
    item_id: str,
    value: int | str | None,
    *,
    token: AccessToken,
    is_text: bool = False,
    acting_user: Any = None,
    now: dt.datetime | None = None,
) -> Flag | None:
    """Save one answer into the draft as it is given, without moving on.

    The group's other answers, its clock and the current group stay as they are.
    A risk answer opens (or raises, or notes) the sitting's flag in this same
    transaction, exactly as :func:`save_group` does; the flag is returned when
    this save opened or raised it, else None. Raises TokenError when the sitting
    was sent, skipped or revoked while the tap was on its way: nothing is stored.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The same lock as save_group: two taps in flight cannot drop each other's answer.
        locked = AccessToken.objects.select_for_update().get(pk=token.pk)
        if locked.used_at is not None or locked.revoked_at is not None:
            raise TokenError("used" if locked.used_at is not None else "revoked")
        # A late tap must not bring back the draft its sitting's submit deleted.
        draft = CheckinDraft.objects.select_for_update().filter(pk=draft.pk).first()
        if draft is None:
            raise TokenError("used")
        if is_text:
            texts = _draft_texts(draft)
            texts[key] = {**texts.get(key, {}), item_id: value}
            draft.free_text = json.dumps(texts)
        else:
            draft.answers = {**draft.answers, key: {**draft.answers.get(key, {}), item_id: value}}
        draft.updated_at = now
        draft.save(update_fields=["answers", "free_text", "updated_at"])
        return record_risk_answers(
            token=token,
            answers_by_group={key: {item_id: value}},
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
