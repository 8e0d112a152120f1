"""A risk answer opens its sitting's flag in the transaction that first stores it.

Whichever path stores the answer first (a check-in group's "Next" or "Back",
or the final submit) calls :func:`record_risk_answers` inside its own
transaction. The first positive answer opens the sitting's one flag; a later,
higher answer raises its grade; any other change of a recorded answer, down to
0, adds a note. Skip, back, closing the page, an expired or revoked link: the
flag stays open, because it was opened before any of them (DESIGN.md, Risk).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plusone.clinical.actions import open_flag, update_flag_answer
from plusone.clinical.models import Episode, Flag
from plusone.core.due import split_key
from plusone.core.instruments import load_instrument

# A check-in's flag names its sitting by the sitting's token (its idempotency key).
CHECKIN_SOURCE = "checkin"


@dataclass(frozen=True)
class RiskAnswer:
    """One answer to a risk item, with the grade the instrument gives it (0 = none)."""

    instrument_key: str
    item_id: str
    answer: int
    grade: int


def risk_answers(answers_by_group: Mapping[str, Mapping[str, Any]]) -> list[RiskAnswer]:
    """Every answered risk item among the groups' answers (an instrument, or its risk
    item asked alone), graded by the instrument's own data."""
    found = []
    for group, answers in answers_by_group.items():
        key = split_key(group)[0]
        try:
            instrument = load_instrument(key)
        except (LookupError, ValueError):
            continue
        for risk in instrument.risk_items:
            value = answers.get(risk.item_id)
            if isinstance(value, int) and not isinstance(value, bool):
                found.append(RiskAnswer(key, risk.item_id, value, risk.grade(value)))
    return found


def sitting_flag(token_id: Any) -> Flag | None:
    """The flag of the sitting held by token ``token_id``, if a risk answer opened one."""
    return Flag.objects.filter(source_kind=CHECKIN_SOURCE, source_id=token_id).first()


def record_risk_answers(
    *,
    token: Any,
    answers_by_group: Mapping[str, Mapping[str, Any]],
    actor: Any,
    now: dt.datetime,
) -> Flag | None:
    """Open, raise or annotate the sitting's flag for the risk answers being stored, inside
    the caller's transaction. Returns the flag when this store opened it or raised its
    grade (the client sees the graded response now), else None."""
    answers = risk_answers(answers_by_group)
    if not answers:
        return None
    flag = sitting_flag(token.pk)
    if flag is None:
        worst = max(answers, key=lambda a: a.grade)
        if worst.grade == 0:
            return None
        episode = Episode.objects.select_related("practice", "client__therapist").get(
            pk=token.episode_id
        )
        return open_flag(
            episode=episode,
            grade=min(worst.grade, 3),
            source_kind=CHECKIN_SOURCE,
            source_id=token.pk,
            actor=actor,
            now=now,
            instrument_key=worst.instrument_key,
            item_id=worst.item_id,
            answer=worst.answer,
        )
    raised = False
    for answer in sorted(answers, key=lambda a: a.grade):
        raised |= update_flag_answer(
            flag=flag,
            instrument_key=answer.instrument_key,
            item_id=answer.item_id,
            answer=answer.answer,
            grade=answer.grade,
            actor=actor,
            now=now,
        )
    if raised:
        flag.refresh_from_db()
        return flag
    return None
