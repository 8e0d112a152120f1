"""The import of past scores: every row checked, then all stored or none.

The format is the scores export's (``plusone.interop``): ``client_ref, episode,
instrument, administered_at, item_1 .. item_N, total``. Clients are matched by
their practice id (``Client.practice_ref``) among the importer's own clients,
never by name. Each administration's natural key is (client, instrument,
administered_at): a row already stored is left as it is, so importing the same
file twice stores each administration once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.clinical.actions.flags import open_historical_flag
from plusone.clinical.models import Client, Episode
from plusone.clinical.queries import visible_clients
from plusone.core.instruments import Instrument, load_instrument
from plusone.core.scoring import Score, score
from plusone.imports.reading import ImportRefused, Row, RowError, decode, rows
from plusone.inputs import normalize
from plusone.measures.administrations import scored_administration
from plusone.measures.models import Administration, Context, Respondent
from plusone.measures.summary import refresh_summary

FIELDS = ("client_ref", "episode", "instrument", "administered_at", "total")
REQUIRED = ("client_ref", "instrument", "administered_at")
TORONTO = ZoneInfo("America/Toronto")


@dataclass(frozen=True)
class PlannedRow:
    """A checked row, ready to store."""

    line: int
    client: Client
    episode: Episode
    instrument: Instrument
    answers: dict[str, int | str]
    result: Score
    administered_at: dt.datetime
    key: str


@dataclass
class ScoresReport:
    """What an import found and did. ``stored`` is 0 when any row failed or on a dry run."""

    rows: int = 0
    new: int = 0
    already: int = 0
    stored: int = 0
    flags: int = 0
    dry_run: bool = True
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "new": self.new,
            "already_imported": self.already,
            "stored": self.stored,
            "historical_flags": self.flags,
            "dry_run": self.dry_run,
            "errors": [
                {"line": e.line, "column": e.column, "reason": e.reason} for e in self.errors
            ],
        }


def natural_key(client_id: Any, instrument_key: str, at: dt.datetime) -> str:
    """The administration's idempotency key: client, instrument and time (UTC, seconds)."""
    stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"import:{client_id}:{instrument_key}:{stamp}"


def parse_when(value: str) -> dt.datetime:
    """An ISO 8601 date or date and time; naive times are Toronto's, a date alone is noon."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(12), tzinfo=TORONTO)
        when = dt.datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError("not a date and time (use 2026-03-14T10:30 or 2026-03-14)") from None
    return when if when.tzinfo else when.replace(tzinfo=TORONTO)


def import_scores(
    *,
    user: Any,
    raw: bytes,
    encoding: str = "utf-8",
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ScoresReport:
    """Check every row of ``raw`` and, unless ``dry_run`` or any row failed, store them all
    in one transaction with their audit rows, historical flags and summaries.

    Raises ImportRefused when the file as a whole cannot be read.
    """
    now = now or timezone.now()
    text = decode(raw, encoding=encoding)
    header, records = rows(text, required=REQUIRED, mapping=mapping)
    report = ScoresReport(dry_run=dry_run)
    planned = _check(user, header, records, report, now)
    report.new = len(planned)
    if report.errors or dry_run or not planned:
        return report
    with transaction.atomic():
        _store(user, planned, report, now)
    return report


def _check(
    user: Any, header: list[str], records: Iterable[Row], report: ScoresReport, now: dt.datetime
) -> list[PlannedRow]:
    unknown = [h for h in header if h and h not in FIELDS and not _item_number(h)]
    if unknown:
        raise ImportRefused(
            f"unknown column(s): {', '.join(unknown[:20])}; map them to "
            "client_ref, episode, instrument, administered_at, item_1.., total"
        )
    clients = {
        c.practice_ref: c
        for c in visible_clients(user, write=True)
        .exclude(practice_ref="")
        .select_related("practice")
    }
    episodes: dict[Any, list[Episode]] = {}
    for episode in Episode.objects.filter(client__in=list(clients.values())):
        episodes.setdefault(episode.client_id, []).append(episode)
    keys = set()
    seen: dict[str, int] = {}
    planned: list[PlannedRow] = []
    for row in records:
        report.rows += 1
        errors: list[RowError] = []
        found = _check_row(row, clients, episodes, errors, now)
        if found is not None and found.key in seen:
            errors.append(RowError(row.line, "", f"repeats line {seen[found.key]}"))
        report.errors.extend(errors)
        if errors or found is None:
            continue
        seen[found.key] = row.line
        keys.add(found.key)
        planned.append(found)
    stored = set(
        Administration.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    # A row the record already holds from a check-in (an export brought back) is not new either.
    stored |= {
        natural_key(client_id, instrument, at)
        for client_id, instrument, at in Administration.objects.filter(
            client__in={p.client for p in planned},
            instrument_key__in={p.instrument.key for p in planned},
        ).values_list("client_id", "instrument_key", "completed_at")
        if at is not None
    } & keys
    report.already = len(stored)
    return [p for p in planned if p.key not in stored]


def _item_number(column: str) -> int | None:
    if column.startswith("item_") and column[5:].isdigit() and len(column) < 9:
        return int(column[5:]) or None
    return None


def _check_row(
    row: Row,
    clients: Mapping[str, Client],
    episodes: Mapping[Any, list[Episode]],
    errors: list[RowError],
    now: dt.datetime,
) -> PlannedRow | None:
    line = row.line
    cells: dict[str, str] = {}
    for column, value in row.cells.items():
        try:
            cells[column] = normalize.csv_cell(value, column=column).strip()
        except normalize.InputError as exc:
            errors.append(RowError(line, column, exc.message))
    if errors:
        return None
    ref = cells.get("client_ref", "")
    person = clients.get(ref) if ref else None
    if not ref:
        errors.append(
            RowError(
                line, "client_ref", "required: clients are matched by practice id, never by name"
            )
        )
    elif person is None:
        errors.append(RowError(line, "client_ref", "no client of yours has this practice id"))
    instrument: Instrument | None = None
    key = cells.get("instrument", "").lower()
    try:
        instrument = load_instrument(key) if key else None
    except (LookupError, ValueError, OSError):
        instrument = None
    if instrument is None:
        errors.append(RowError(line, "instrument", "not an instrument PlusOne knows"))
    when: dt.datetime | None = None
    try:
        when = parse_when(cells.get("administered_at", ""))
        if when > now:
            errors.append(RowError(line, "administered_at", "is in the future"))
            when = None
    except ValueError as exc:
        errors.append(RowError(line, "administered_at", str(exc)))
    episode = _episode(row, cells, person, episodes, when, errors) if person and when else None
    answers = _answers(row, cells, instrument, errors) if instrument else None
    if errors or person is None or instrument is None or when is None or answers is None:
        return None
    if episode is None:
        return None
    result = _score(line, cells, instrument, answers, errors)
    if result is None:
        return None
    return PlannedRow(
        line=line,
        client=person,
        episode=episode,
        instrument=instrument,
        answers=answers,
        result=result,
        administered_at=when,
        key=natural_key(person.pk, instrument.key, when),
    )


def _episode(
    row: Row,
    cells: Mapping[str, str],
    person: Client,
    episodes: Mapping[Any, list[Episode]],
    when: dt.datetime,
    errors: list[RowError],
) -> Episode | None:
    """The row's episode: the one named (by id), else the client's episode open that day."""
    own = episodes.get(person.pk, [])
    named = cells.get("episode", "")
    if named:
        try:
            wanted = uuid.UUID(named)
        except ValueError:
            wanted = None
        match = [e for e in own if e.pk == wanted]
        if not match:
            errors.append(RowError(row.line, "episode", "not an episode of this client"))
            return None
        return match[0]
    day = timezone.localtime(when, TORONTO).date()
    open_then = [
        e for e in own if e.opened_on <= day and (e.closed_on is None or e.closed_on >= day)
    ]
    if not open_then:
        errors.append(
            RowError(
                row.line,
                "episode",
                "no episode of this client was open on that date; name the episode",
            )
        )
        return None
    return open_then[0]


def _answers(
    row: Row, cells: Mapping[str, str], instrument: Instrument, errors: list[RowError]
) -> dict[str, int | str] | None:
    """The answers by item id, each checked against its item's options."""
    answers: dict[str, int | str] = {}
    count = len(instrument.items)
    before = len(errors)
    for column, value in cells.items():
        number = _item_number(column)
        if number is None or not value:
            continue
        if number > count:
            errors.append(
                RowError(row.line, column, f"{instrument.short_title} has only {count} items")
            )
            continue
        item = instrument.items[number - 1]
        if not item.numeric:
            answers[item.id] = value
            continue
        try:
            answer = int(value)
        except ValueError:
            errors.append(RowError(row.line, column, f"{value[:20]!r} is not a whole number"))
            continue
        if answer not in item.values:
            errors.append(
                RowError(
                    row.line,
                    column,
                    f"{answer} is not an answer option ({item.min_value}-{item.max_value})",
                )
            )
            continue
        answers[item.id] = answer
    return answers if len(errors) == before else None


def _score(
    line: int,
    cells: Mapping[str, str],
    instrument: Instrument,
    answers: Mapping[str, int | str],
    errors: list[RowError],
) -> Score | None:
    try:
        result = score(instrument, answers)
    except ValueError as exc:
        errors.append(RowError(line, "", str(exc)))
        return None
    given = cells.get("total", "")
    if not given:
        return result
    try:
        total = float(given)
    except ValueError:
        errors.append(RowError(line, "total", f"{given[:20]!r} is not a number"))
        return None
    if result.total is None or abs(result.total - total) > 1e-6:
        recomputed = "no total" if result.total is None else f"{result.total:g}"
        errors.append(
            RowError(line, "total", f"{total:g} does not match the recomputed score ({recomputed})")
        )
        return None
    return result


def _store(user: Any, planned: list[PlannedRow], report: ScoresReport, now: dt.datetime) -> None:
    touched: dict[Any, Episode] = {}
    practices = {}
    for row in planned:
        administration = scored_administration(
            row.instrument,
            row.answers,
            row.result,
            completed_at=row.administered_at,
            id=uuid.uuid4(),
            practice_id=row.client.practice_id,
            client=row.client,
            episode=row.episode,
            context=Context.IMPORT,
            respondent=Respondent.CLIENT,
            idempotency_key=row.key,
        )
        administration.save(force_insert=True)
        audit.record(
            practice=row.client.practice,
            actor=user,
            action="administration.import",
            target_type="measures.administration",
            target_id=administration.pk,
            detail={"instrument": row.instrument.key, "episode": row.episode.pk},
        )
        worst = max(row.result.risk, key=lambda hit: hit.grade, default=None)
        if worst is not None and worst.grade > 0:
            open_historical_flag(
                episode=row.episode,
                grade=worst.grade,
                source_id=administration.pk,
                actor=user,
                opened_at=row.administered_at,
                instrument_key=row.instrument.key,
                item_id=worst.item_id,
                answer=worst.answer,
            )
            report.flags += 1
        touched[row.episode.pk] = row.episode
        practices[row.client.practice_id] = row.client.practice
        report.stored += 1
    for episode in touched.values():
        refresh_summary(episode, today=timezone.localdate(now))
    for practice in practices.values():
        audit.record(
            practice=practice,
            actor=user,
            action="import.scores",
            target_type="accounts.practice",
            target_id=practice.pk,
            detail={"stored": report.stored, "historical_flags": report.flags},
        )
