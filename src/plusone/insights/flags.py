"""A risk flag in words, for the card and the journey: what the client answered, what they
were shown, by when they were told it is read, and who covers (DESIGN.md, Risk).

Selectors only; the caller has already checked access. The query count does not grow
with the flags: the practice's risk settings and the cover are read once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plusone.clinical.flag_words import GUIDANCE, answer_words
from plusone.clinical.models import Episode, Flag
from plusone.clinical.risk import cover_for, format_read_by, settings_for
from plusone.clinical.safety import response_kind


@dataclass(frozen=True)
class FlagDetails:
    """One flag as the pages show it. ``item_text`` and ``answer`` are the instrument's own
    words ("" when a licensed pack's text is not supplied, or on a flag from before the
    answer was stored); ``read_by`` is "" when no time was promised; ``cover`` is who
    covers the therapist (told first while away), or None."""

    flag: Flag
    instrument: str
    item: str
    item_text: str
    answer: str
    guidance: str
    read_by: str
    cover: Any | None
    # (when, what happened): later answers to the item after the flag opened.
    notes: tuple[tuple[dt.datetime, str], ...] = ()

    @property
    def open(self) -> bool:
        return self.flag.status == Flag.Status.OPEN


def flags_of(episode: Episode, *, status: str | None = None) -> list[Flag]:
    """The episode's flags (of one status, if given), oldest first, with the people the
    details name and the notes loaded."""
    found = Flag.objects.filter(episode=episode)
    if status is not None:
        found = found.filter(status=status)
    return list(
        found.select_related("first_told", "acknowledged_by", "escalated_to")
        .prefetch_related("notes")
        .order_by("opened_at")
    )


def details(flags: Iterable[Flag], *, episode: Episode, today: dt.date) -> list[FlagDetails]:
    """Each flag in words (see FlagDetails)."""
    flags = list(flags)
    if not flags:
        return []
    practice = episode.practice
    risk = settings_for(practice)
    therapist_id = episode.client.therapist_id
    away_cover = None
    if any(f.status == Flag.Status.OPEN for f in flags):
        away_cover = cover_for(therapist_id, practice.pk, today)
    out = []
    for flag in flags:
        told = flag.first_told if flag.first_told_id not in (None, therapist_id) else None
        cover = told or (away_cover if flag.status == Flag.Status.OPEN else None)
        instrument, item, item_text, answer = answer_words(practice.pk, flag)
        read_by = (
            format_read_by(practice, flag.promised_read_by, risk=risk)
            if flag.promised_read_by
            else ""
        )
        out.append(
            FlagDetails(
                flag=flag,
                instrument=instrument,
                item=item,
                item_text=item_text,
                answer=answer,
                guidance=GUIDANCE.get(response_kind(flag.grade), ""),
                read_by=read_by,
                cover=cover,
                notes=tuple(_note(practice.pk, n) for n in flag.notes.all()),
            )
        )
    return out


def _note(practice_id: Any, note: Any) -> tuple[dt.datetime, str]:
    """A flag note as (when, a sentence): the later answer, and what it did."""
    *_, label = answer_words(practice_id, note)
    answer = label or str(note.answer)
    if note.kind == "raised":
        return note.at, f"A higher answer ({answer}) raised it to grade {note.grade}."
    return note.at, f"The client changed the answer to {answer}; the flag stays open."
