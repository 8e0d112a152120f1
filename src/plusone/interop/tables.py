"""The scores CSV (identifiable, read back by the scores import) and the de-identified
research CSV in exactly the ``plusone analyze`` input schema (docs/cli.md)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from plusone.clinical.models import Decision, Session
from plusone.clinical.phase_now import phase_now
from plusone.core.instruments import Instrument, load_instrument
from plusone.measures.models import Administration

SCORE_FIXED = ("client_ref", "episode", "instrument", "administered_at")
RESEARCH_FIXED = ("client", "date", "session", "instrument", "phase", "primary", "prior_therapy")
# Dates move by up to this many days either way, one draw per client per export.
MAX_SHIFT_DAYS = 180


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _answers(row: Administration, inst: Instrument) -> list[str]:
    """The chosen answers by item position; a text item or a missing answer is blank."""
    return [_cell(row.answers.get(i.id)) if i.numeric else "" for i in inst.items]


def _width(rows: Sequence[Administration]) -> int:
    keys = {r.instrument_key for r in rows}
    return max((len(load_instrument(k).items) for k in keys), default=0)


def _write(header: Sequence[str], lines: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


def scores_csv(rows: Sequence[Administration]) -> str:
    """One line per administration: client_ref, episode, instrument, administered_at,
    item_1..item_N, total (docs/interop.md)."""
    n = _width(rows)
    header = [*SCORE_FIXED, *(f"item_{k}" for k in range(1, n + 1)), "total"]
    lines = []
    for row in rows:
        inst = load_instrument(row.instrument_key)
        items = _answers(row, inst)
        lines.append(
            [
                row.client.practice_ref or str(row.client_id),
                str(row.episode_id),
                row.instrument_key,
                timezone.localtime(row.completed_at).isoformat(),
                *items,
                *([""] * (n - len(items))),
                _cell(row.total),
            ]
        )
    return _write(header, lines)


@dataclass(frozen=True)
class ResearchExport:
    text: str
    rows: int
    pseudonyms: int
    instruments: tuple[str, ...]


def pseudonym(key: bytes, episode_id: Any) -> str:
    """A keyed hash of the episode id: stable within one export, unlinkable without the key."""
    return hmac.new(key, str(episode_id).encode(), hashlib.sha256).hexdigest()[:20]


def _session_numbers(rows: Sequence[Administration]) -> dict[Any, int]:
    """Each session's number within its episode (1 = the first), by start time."""
    episodes = {r.episode_id for r in rows}
    numbers: dict[Any, int] = {}
    counts: dict[Any, int] = defaultdict(int)
    for sid, eid in (
        Session.objects.filter(episode_id__in=episodes)
        .order_by("episode_id", "starts_at", "id")
        .values_list("id", "episode_id")
    ):
        counts[eid] += 1
        numbers[sid] = counts[eid]
    return numbers


def _decisions(rows: Sequence[Administration]) -> dict[Any, list[Decision]]:
    out: dict[Any, list[Decision]] = defaultdict(list)
    for d in Decision.objects.filter(episode_id__in={r.episode_id for r in rows}).order_by(
        "decided_on", "created_at"
    ):
        out[d.episode_id].append(d)
    return out


def research_csv(
    rows: Sequence[Administration],
    *,
    key: bytes | None = None,
    shifts: dict[Any, int] | None = None,
) -> ResearchExport:
    """The administrations de-identified: a keyed pseudonym per episode (one analyze client
    per course of therapy), every date moved by one random offset per client, no free text.

    ``key`` and ``shifts`` are drawn fresh when not given and never stored.
    """
    key = key or secrets.token_bytes(32)
    shifts = dict(shifts or {})
    n = _width(rows)
    sessions = _session_numbers(rows)
    decisions = _decisions(rows)
    header = [*RESEARCH_FIXED, "total", *(f"item{k}" for k in range(1, n + 1))]
    lines = []
    phases: dict[tuple[Any, dt.date], str] = {}
    for row in rows:
        if row.client_id not in shifts:
            shifts[row.client_id] = secrets.randbelow(2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
        day = timezone.localdate(row.completed_at)
        if (row.episode_id, day) not in phases:
            now = phase_now(decisions[row.episode_id], today=day)
            phases[(row.episode_id, day)] = now.phase or ""
        inst = load_instrument(row.instrument_key)
        items = _answers(row, inst)
        lines.append(
            [
                pseudonym(key, row.episode_id),
                (day + dt.timedelta(days=shifts[row.client_id])).isoformat(),
                _cell(sessions.get(row.session_id)),
                row.instrument_key,
                phases[(row.episode_id, day)],
                row.episode.primary_instrument,
                "yes" if row.episode.prior_therapy else "no",
                _cell(row.total) if row.valid else "",
                *items,
                *([""] * (n - len(items))),
            ]
        )
    return ResearchExport(
        text=_write(header, lines),
        rows=len(lines),
        pseudonyms=len({r.episode_id for r in rows}),
        instruments=tuple(sorted({r.instrument_key for r in rows})),
    )
