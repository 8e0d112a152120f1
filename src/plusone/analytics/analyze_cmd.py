"""``plusone analyze``: proposals, alerts and risk for a whole caseload export (docs/cli.md).

The CSV is read into columns once, every row is checked (bad rows are
reported as ``line N: reason`` and left out), scores come from
``plusone.core.scoring.score_many`` and the rules run for every client at
once in ``plusone.core.batch``. The trace and question for each client come
from ``plusone.core.propose`` on the same data, and the two paths are checked
against each other as the output is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from plusone.analytics.io import (
    RowError,
    UsageError,
    add_format_argument,
    progress,
    read_bytes,
    report_error,
    require_columns,
    resolve_format,
)
from plusone.core.batch import (
    NEVER,
    NO_PHASE,
    PHASE_CODE,
    BatchResult,
    Caseload,
    histories_of,
    run_batch,
)
from plusone.core.history import PHASES
from plusone.core.instruments import Instrument, all_instruments
from plusone.core.measure_info import instrument_infos
from plusone.core.policy import Policy, PolicyError, load_policy
from plusone.core.propose import ALERTS, KINDS, MeasureInfo, propose
from plusone.core.scoring import score_many
from plusone.web import normalize

MAX_CELL = normalize.MAX_CSV_CELL
# The highest session number a row may give (as plusone gains).
MAX_SESSION = 10_000
REQUIRED = ("client", "date", "session", "instrument", "phase", "primary", "prior_therapy")
TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n", ""}
# Instruments whose answers feed the rules item by item rather than as a score.
GOALS, FELT, REFLECTION = "personal_goals", "felt_change", "session_reflection"
# The therapist's rating of a session, compared item by item with that day's reflection.
RATING = "therapist_rating"


class _Strict(Exception):
    """Raised at the first bad row under --strict."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "analyze",
        help="proposals, alerts and risk for a caseload export",
        description="Proposals, alerts and risk per client, from a long-format caseload CSV.",
    )
    p.add_argument("file", help="caseload CSV (docs/cli.md gives the columns); - for stdin")
    p.add_argument("--today", help="judge as of this date, YYYY-MM-DD (default: latest date)")
    p.add_argument("--policy", help="TOML file overriding policy values (docs/policy.md)")
    p.add_argument("--strict", action="store_true", help="stop at the first bad row")
    p.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="json only: leave out each client's trace and question (much faster)",
    )
    add_format_argument(p)
    p.set_defaults(func=run)


@dataclass
class Loaded:
    """A parsed caseload: the columnar tables, the rejected rows and timings."""

    caseload: Caseload
    errors: list[RowError]
    latest_day: int | None
    seconds: float = 0.0


# A text column as (distinct stripped values, row codes), or a numeric column as floats.
Column = tuple[list[str], np.ndarray] | np.ndarray


def _read(path: str) -> tuple[list[str], list[Column], np.ndarray, list[RowError]]:
    """Header, columns as (distinct stripped values, row codes) and each row's line number.

    Rows with the wrong number of fields are dropped and returned as errors;
    blank lines are skipped. A file without quotes, blank lines or ragged rows
    is parsed by polars (the fast path); any other file by Python's csv module.
    """
    raw = read_bytes(path, REQUIRED)
    try:
        text = normalize.csv_text(raw, field=path)
    except normalize.InputError as exc:
        raise UsageError(str(exc)) from None
    if not text.strip():
        raise UsageError(f"{path}: the file is empty")
    # Control characters are refused row by row, which only the csv module path does.
    if normalize.has_control_bytes(raw):
        return _slow_columns(text, path)
    if not text.isascii():
        # NFC may have changed the text: parse what was normalised.
        raw = text.encode("utf-8")
    fast = _fast_columns(raw)
    if fast is not None:
        return fast
    return _slow_columns(text, path)


def _fast_columns(raw: bytes) -> tuple[list[str], list[Column], np.ndarray, list[RowError]] | None:
    """Parse with polars when every line is plain: no quotes, no blank lines, no ragged rows.

    Returns None for any other file (the csv module then reads it, with exact
    line numbers). Answer and total columns are read as numbers; a column
    holding text makes polars refuse, and the columns are read as text instead.
    """
    import polars as pl

    if b'"' in raw or b"\r" in raw:
        return None
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if not body.endswith(b"\n"):
        body += b"\n"
    if b"\n\n" in body or body.startswith(b"\n"):
        return None
    head = body[: body.index(b"\n")].decode("utf-8")
    width = head.count(",") + 1
    # Equal comma totals, and polars refusing any row with extra fields, mean no row is ragged.
    if body.count(b",") != (width - 1) * body.count(b"\n"):
        return None
    names = [h.strip() for h in head.split(",")]
    numeric = {
        raw_name: pl.Float64
        for raw_name, name in zip(head.split(","), names, strict=True)
        if name == "total" or (name.startswith("item") and name[4:].isdigit())
    }
    try:
        try:
            df = pl.read_csv(body, schema_overrides=numeric, has_header=True, quote_char=None)
        except pl.exceptions.PolarsError:
            df = pl.read_csv(body, infer_schema=False, has_header=True, quote_char=None)
    except pl.exceptions.PolarsError:
        return None
    if df.width != width:
        return None
    columns: list[Column] = []
    for name in df.columns:
        s = df.get_column(name)
        if s.dtype == pl.Float64:
            columns.append(s.fill_null(np.nan).to_numpy().astype(np.float64))
            continue
        s = s.fill_null("")
        uniq = s.unique(maintain_order=True)
        codes = s.cast(pl.Enum(uniq.to_list())).to_physical().to_numpy().astype(np.int64)
        columns.append(([v.strip() for v in uniq.to_list()], codes))
    lines = np.arange(2, df.height + 2, dtype=np.int64)
    return names, columns, lines, []


def _slow_columns(
    text: str, path: str
) -> tuple[list[str], list[Column], np.ndarray, list[RowError]]:
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        normalize.check_characters(",".join(header), field=path)
    except StopIteration:
        raise UsageError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: {exc}") from exc
    except normalize.InputError as exc:
        raise UsageError(f"{path}: line 1 (the header) {exc.message}") from None
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, str(exc)))
            continue
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != width:
            errors.append(RowError(reader.line_num, f"expected {width} fields, found {len(row)}"))
            continue
        refused = _refused_cell(header, row)
        if refused:
            errors.append(RowError(reader.line_num, refused))
            continue
        rows.append(row)
        lines.append(reader.line_num)
    columns = [_codes(list(c)) for c in zip(*rows, strict=True)] if rows else []
    if not rows:
        columns = [([], np.zeros(0, dtype=np.int64)) for _ in header]
    return header, columns, np.asarray(lines, dtype=np.int64), errors


def _refused_cell(header: list[str], row: list[str]) -> str | None:
    """Why the normalisation layer refuses one of the row's cells, or None."""
    if normalize.find_control(",".join(row)) is None and max(map(len, row)) <= MAX_CELL:
        return None
    for name, value in zip(header, row, strict=True):
        try:
            normalize.csv_cell(value, column=name)
        except normalize.InputError as exc:
            return str(exc)
    return None


def _codes(values: list[str]) -> Column:
    """The distinct values (stripped) and each row's index into them."""
    raw = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(raw.__getitem__, values), dtype=np.int64, count=len(values))
    return [v.strip() for v in raw], codes


def load(
    path: str, *, strict: bool = False, on_error: Callable[[RowError], None] | None = None
) -> Loaded:
    """Parse and check a caseload CSV into a Caseload; bad rows become errors and are left out.

    Every check runs on the distinct values of a column, then maps back to rows.
    """
    started = time.perf_counter()
    header, columns, lines, errors = _read(path)
    require_columns(header, *REQUIRED)
    col = {name: i for i, name in enumerate(header)}
    item_cols = sorted(
        (int(h[4:]), i) for h, i in col.items() if h.startswith("item") and h[4:].isdigit()
    )
    n_items = item_cols[-1][0] if item_cols else 0
    n = len(lines)
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}

    def reject_rows(rows: np.ndarray, reason: Callable[[int], str]) -> None:
        for i in rows.tolist():
            if not bad[i]:
                bad[i] = True
                reasons[i] = reason(i)

    def check(name: str, convert: Callable[[str], Any], what: str) -> tuple[list[Any], np.ndarray]:
        """Convert each distinct value; rows whose value fails are rejected."""
        given = columns[col[name]]
        assert not isinstance(given, np.ndarray)
        uniques, codes = given
        converted: list[Any] = []
        failed = np.zeros(len(uniques), dtype=bool)
        for j, u in enumerate(uniques):
            try:
                converted.append(convert(u))
            except ValueError:
                converted.append(None)
                failed[j] = True
        if failed.any():
            reject_rows(
                np.flatnonzero(failed[codes]),
                lambda i: f"{name}: {uniques[codes[i]]!r} {what}",
            )
        return converted, codes

    instruments = all_instruments()
    inst_code = {key: j for j, key in enumerate(instruments)}

    def as_day(v: str) -> int:
        return date.fromisoformat(v).toordinal()

    def as_session(v: str) -> int:
        if not v:
            return -1
        if not v.isdigit():
            raise ValueError(v)
        # Bounded: a 30-digit session number overflowed numpy's int64 (found by fuzzing).
        return normalize.integer(v, field="session", minimum=0, maximum=MAX_SESSION)

    def as_instrument(v: str) -> int:
        key = v.lower()
        if key not in inst_code:
            raise ValueError(v)
        return inst_code[key]

    def as_phase(v: str) -> int:
        key = v.lower()
        if key and key not in PHASE_CODE:
            raise ValueError(v)
        return PHASE_CODE[key] if key else NO_PHASE

    def as_prior(v: str) -> bool:
        key = v.lower()
        if key not in TRUE and key not in FALSE:
            raise ValueError(v)
        return key in TRUE

    def as_number(v: str) -> float:
        if not v:
            return math.nan
        x = float(v)
        if not math.isfinite(x):
            raise ValueError(v)
        return x

    def as_client(v: str) -> str:
        if not v:
            raise ValueError(v)
        return v

    def rows_of(converted: list[Any], codes: np.ndarray, dtype: Any, fill: Any) -> np.ndarray:
        table = np.array([fill if c is None else c for c in converted], dtype=dtype)
        return table[codes] if len(codes) else np.zeros(0, dtype=dtype)

    conv, codes = check("date", as_day, "is not a date (YYYY-MM-DD)")
    days = rows_of(conv, codes, np.int64, 0)
    conv, codes = check("session", as_session, f"is not a whole number from 0 to {MAX_SESSION}")
    sessions = rows_of(conv, codes, np.int64, -1)
    conv, codes = check("instrument", as_instrument, "is not a known instrument")
    inst = rows_of(conv, codes, np.int64, -1)
    conv, codes = check("phase", as_phase, f"is not one of {', '.join(PHASES)} or blank")
    phase = rows_of(conv, codes, np.int64, NO_PHASE)
    conv, codes = check("primary", as_instrument, "is not a known instrument")
    prim = rows_of(conv, codes, np.int64, -1)
    conv, codes = check("prior_therapy", as_prior, "is not yes or no")
    prior_rows = rows_of(conv, codes, bool, False)
    totals = np.full(n, np.nan)
    if "total" in col:
        given = columns[col["total"]]
        if isinstance(given, np.ndarray):
            totals = given
        else:
            conv, codes = check("total", as_number, "is not a number")
            totals = rows_of(conv, codes, np.float64, np.nan)
    clients_conv, client_codes = check("client", as_client, "is blank")
    # Item answers: blank = not answered; text that is not a number counts as "answered".
    # Column-major: each item column is written and checked as one contiguous block.
    answers = np.full((n, n_items), np.nan, order="F")
    texts = np.zeros((n, n_items), dtype=bool, order="F")
    for k, ci in item_cols:
        given = columns[ci]
        if isinstance(given, np.ndarray):
            answers[:, k - 1] = given
            texts[:, k - 1] = ~np.isnan(given)
            continue
        uniques, codes = given
        vals = np.full(len(uniques), np.nan)
        is_text = np.zeros(len(uniques), dtype=bool)
        for j, u in enumerate(uniques):
            if not u:
                continue
            try:
                vals[j] = float(u)
            except ValueError:
                is_text[j] = True
        answers[:, k - 1] = vals[codes]
        texts[:, k - 1] = is_text[codes] | ~np.isnan(answers[:, k - 1])

    # Per-instrument checks and scores.
    score_total = np.full(n, np.nan)
    score_valid = np.zeros(n, dtype=bool)
    risk = np.zeros(n, dtype=np.int64)
    flourishing = np.zeros(n, dtype=bool)
    risk_item: dict[int, str] = {}
    _check_items(instruments, inst, answers, texts, n_items, reject_rows)
    for key, code in inst_code.items():
        if key in (GOALS, FELT, REFLECTION, RATING):
            continue
        rows_k = np.flatnonzero((inst == code) & ~bad)
        if not len(rows_k):
            continue
        instrument = instruments[key]
        lo, hi = instrument.score_range
        given = ~np.isnan(totals[rows_k])
        outside = given & ((totals[rows_k] < lo) | (totals[rows_k] > hi))
        reject_rows(
            rows_k[outside],
            lambda i, key=key, lo=lo, hi=hi: (
                f"total: {totals[i]:g} is outside {key}'s range {lo:g}-{hi:g}"
            ),
        )
        rows_k = rows_k[~bad[rows_k]]
        given = ~np.isnan(totals[rows_k])
        sa = score_many(instrument, _matrix(instrument, answers[rows_k], n_items))
        score_total[rows_k] = np.where(given, totals[rows_k], sa.total)
        score_valid[rows_k] = given | sa.valid
        risk[rows_k] = sa.risk_grade
        if instrument.classification is not None:
            labels = instrument.classification.labels
            flourishing[rows_k] = sa.category_index == labels.index("flourishing")
        if instrument.risk_items:
            risk_item[code] = instrument.risk_items[0].item_id

    # Clients, in order of first appearance; primary and prior therapy must not change.
    C = len(clients_conv)
    first = np.full(C, n, dtype=np.int64)
    # Assigning in reverse row order leaves each client's first row (the last write wins).
    first[client_codes[::-1]] = np.arange(n)[::-1]
    names = [c if c is not None else "" for c in clients_conv]
    f_row = first[client_codes]
    reject_rows(
        np.flatnonzero((prim != prim[f_row]) & (prim >= 0) & (prim[f_row] >= 0)),
        lambda i: f"primary: differs from line {lines[f_row[i]]}",
    )
    reject_rows(
        np.flatnonzero(prior_rows != prior_rows[f_row]),
        lambda i: f"prior_therapy: differs from line {lines[f_row[i]]}",
    )
    _reject_second_sittings(
        client_codes, days, sessions, inst, list(instruments), lines, bad, reject_rows
    )
    for i in np.flatnonzero(bad).tolist():
        errors.append(RowError(int(lines[i]), reasons[i]))
    errors.sort(key=lambda e: e.line)
    # --strict reports the first bad row only and stops.
    for err in errors[:1] if strict else errors:
        if on_error:
            on_error(err)
    if strict and errors:
        raise _Strict()

    # Clients with no usable rows keep their place (blank names are dropped).
    good = np.flatnonzero(~bad)
    keys = list(instruments)
    # Every client code occurs in some row, so first[c] < n for all of them.
    primary = [keys[p] if p >= 0 else "phq9" for p in prim[first].tolist()] if C else []
    prior = prior_rows[first] if C else np.zeros(0, dtype=bool)
    kg = inst[good]
    is_goal = kg == inst_code[GOALS]
    is_felt = kg == inst_code[FELT]
    is_refl = kg == inst_code[REFLECTION]
    is_rating = kg == inst_code[RATING]
    is_adm = ~(is_goal | is_felt | is_refl | is_rating)
    ga = good[is_goal]
    k3 = min(3, n_items)
    goal_rows, goal_ids = np.nonzero(~np.isnan(answers[ga, :k3]))
    fa, ra, aa = good[is_felt], good[is_refl], good[is_adm]
    refl_items = np.full((len(ra), 3), np.nan)
    refl_items[:, :k3] = answers[ra, :k3]
    refl_text = texts[ra, 3] if n_items >= 4 else np.zeros(len(ra), dtype=bool)
    ta = good[is_rating]
    rating_items = np.full((len(ta), 3), np.nan)
    rating_items[:, :k3] = answers[ta, :k3]

    # Attended sessions: each (client, session number) once, on its first date.
    sg = good[sessions[good] >= 0]
    order = _stable_order(client_codes[sg], sessions[sg], days[sg])
    sg = sg[order]
    pair_c, pair_s = client_codes[sg], sessions[sg]
    first_of_pair = np.ones(len(sg), dtype=bool)
    if len(sg):
        first_of_pair[1:] = (pair_c[1:] != pair_c[:-1]) | (pair_s[1:] != pair_s[:-1])
    sess_rows = sg[first_of_pair]
    # Decisions: where the phase column (blank rows aside) changes, in date order.
    pg = good[phase[good] != NO_PHASE]
    pg = pg[_stable_order(client_codes[pg], days[pg])]
    change = np.ones(len(pg), dtype=bool)
    if len(pg):
        same_client = client_codes[pg][1:] == client_codes[pg][:-1]
        change[1:] = ~same_client | (phase[pg][1:] != phase[pg][:-1])
    dec_rows = pg[change]
    flag_rows = aa[risk[aa] > 0]

    cl = Caseload(
        clients=names,
        primary=primary,
        prior_therapy=prior.astype(bool),
        instruments=keys,
        adm_client=client_codes[aa],
        adm_day=days[aa],
        adm_instrument=inst[aa],
        adm_total=score_total[aa],
        adm_valid=score_valid[aa],
        adm_risk=risk[aa],
        adm_flourishing=flourishing[aa],
        goal_client=client_codes[ga[goal_rows]],
        goal_day=days[ga[goal_rows]],
        goal_id=goal_ids.astype(np.int64),
        goal_version=np.ones(len(goal_rows), dtype=np.int64),
        goal_rating=answers[ga[goal_rows], goal_ids],
        felt_client=client_codes[fa],
        felt_day=days[fa],
        felt_holds=answers[fa, 0] if n_items >= 1 else np.full(len(fa), np.nan),
        felt_stuck=answers[fa, 2] if n_items >= 3 else np.full(len(fa), np.nan),
        refl_client=client_codes[ra],
        refl_day=days[ra],
        refl_items=refl_items,
        refl_text=refl_text,
        sess_client=client_codes[sess_rows],
        sess_day=days[sess_rows],
        dec_client=client_codes[dec_rows],
        dec_day=days[dec_rows],
        dec_phase=phase[dec_rows],
        dec_no_change=np.zeros(len(dec_rows), dtype=bool),
        dec_review=np.full(len(dec_rows), -1, dtype=np.int64),
        dec_proposal=np.full(len(dec_rows), -1, dtype=np.int64),
        flag_client=client_codes[flag_rows],
        flag_opened=days[flag_rows],
        flag_ack=np.full(len(flag_rows), NEVER, dtype=np.int64),
        flag_grade=risk[flag_rows],
        flag_instrument=inst[flag_rows],
        flag_item=[risk_item.get(int(k), "") for k in inst[flag_rows].tolist()],
        goal_names=[f"goal {k}" for k in range(1, k3 + 1)],
        tr_client=client_codes[ta],
        tr_day=days[ta],
        tr_items=rating_items,
    )
    latest = int(days[good].max()) if len(good) else None
    return Loaded(cl, errors, latest, seconds=time.perf_counter() - started)


def _reject_second_sittings(
    client_codes: np.ndarray,
    days: np.ndarray,
    sessions: np.ndarray,
    inst: np.ndarray,
    keys: list[str],
    lines: np.ndarray,
    bad: np.ndarray,
    reject_rows: Callable[[np.ndarray, Callable[[int], str]], None],
) -> None:
    """Reject every row after the first for one client, date, session and instrument.

    Such rows conflict (one sitting cannot have two results), so the first in the
    file is kept. Rows outside a session (blank session) are several administrations
    on one day, where the last counts: they never conflict.
    """
    rows = np.flatnonzero(~bad & (sessions >= 0))
    if len(rows) < 2:
        return
    # Stable: within one sitting the rows stay in file order, so the first comes first.
    rows = rows[_stable_order(client_codes[rows], days[rows], sessions[rows], inst[rows])]
    c, d, s, k = client_codes[rows], days[rows], sessions[rows], inst[rows]
    again = np.zeros(len(rows), dtype=bool)
    again[1:] = (c[1:] == c[:-1]) & (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (k[1:] == k[:-1])
    if not again.any():
        return
    # Each row's group starts at the last position that is not a repeat.
    start = np.maximum.accumulate(np.where(again, 0, np.arange(len(rows))))
    first_line = dict(zip(rows[again].tolist(), lines[rows[start[again]]].tolist(), strict=True))
    reject_rows(
        rows[again],
        lambda i: (
            f"a second {keys[inst[i]]} in session {sessions[i]} on "
            f"{date.fromordinal(int(days[i])).isoformat()} for this client "
            f"(first on line {first_line[i]})"
        ),
    )


def _stable_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order by ``keys`` (the first is the major key), as ``np.lexsort`` gives it.

    Non-negative-offset keys are packed into one int64 when they fit; rows
    that are already in order (as exports usually are) then cost one pass.
    """
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    packed = np.zeros(n, dtype=np.int64)
    room = 1
    for key in reversed(keys):
        lo, hi = int(key.min()), int(key.max())
        span = hi - lo + 1
        if room * span >= 1 << 62:
            return np.lexsort(tuple(reversed(keys)))
        packed += (key - lo) * room
        room *= span
    if bool(np.all(packed[1:] >= packed[:-1])):
        return np.arange(n, dtype=np.int64)
    return np.argsort(packed, kind="stable")


def _check_items(
    instruments: dict[str, Instrument],
    inst: np.ndarray,
    answers: np.ndarray,
    texts: np.ndarray,
    n_items: int,
    reject_rows: Callable[[np.ndarray, Callable[[int], str]], None],
) -> None:
    """Reject answers that are not an option of their item, and items beyond the instrument.

    Each item column is checked for every row at once, against per-instrument
    tables indexed by the row's instrument code (rows with an unknown
    instrument are already rejected). A row's first failing item is its reason.
    """
    insts = list(instruments.values())
    # One slot more than there are instruments: code -1 (unknown) reads the last, empty one.
    size = np.array([len(x.items) for x in insts] + [0], dtype=np.int64)[inst]
    for k in range(n_items):
        text = texts[:, k]
        beyond = text & (size <= k)
        if beyond.any():
            reject_rows(
                np.flatnonzero(beyond),
                lambda i, k=k: (
                    f"item{k + 1}: {insts[inst[i]].key} has only {len(insts[inst[i]].items)} items"
                ),
            )
        items = [x.items[k] if k < len(x.items) and x.items[k].numeric else None for x in insts]
        numeric = np.array([it is not None for it in items] + [False], dtype=bool)[inst]
        if not numeric.any():
            continue
        ids = [it.id if it is not None else "" for it in items]
        shown = [f"({it.min_value}-{it.max_value})" if it is not None else "" for it in items]
        col = answers[:, k]
        blank = np.isnan(col)
        not_number = numeric & text & blank
        if not_number.any():
            reject_rows(
                np.flatnonzero(not_number),
                lambda i, k=k, ids=ids: f"item{k + 1}: not a number ({ids[inst[i]]})",
            )
        # Whole-number options in one run: a range test; any other option set: a set lookup.
        runs = [
            it is not None and list(it.values) == list(range(it.values[0], it.values[-1] + 1))
            for it in items
        ]
        lo = np.array(
            [it.values[0] if it is not None and r else 0 for it, r in zip(items, runs, strict=True)]
        )
        hi = np.array(
            [
                it.values[-1] if it is not None and r else 0
                for it, r in zip(items, runs, strict=True)
            ]
        )
        answered = numeric & ~blank
        ranged = answered & np.array([*runs, False], dtype=bool)[inst]
        lo_r, hi_r = np.append(lo, 0)[inst], np.append(hi, 0)[inst]
        wrong = ranged & ((col < lo_r) | (col > hi_r) | (col != np.floor(col)))
        for code, (it, r) in enumerate(zip(items, runs, strict=True)):
            if it is None or r:
                continue
            mine = answered & (inst == code)
            wrong |= mine & ~np.isin(col, np.asarray(it.values, dtype=np.float64))
        if wrong.any():
            reject_rows(
                np.flatnonzero(wrong),
                lambda i, k=k, ids=ids, shown=shown: (
                    f"item{k + 1}: {answers[i, k]:g} is not an answer of "
                    f"{ids[inst[i]]} {shown[inst[i]]}"
                ),
            )


def _matrix(inst: Instrument, block: np.ndarray, n_items: int) -> np.ndarray:
    m = np.full((len(block), len(inst.items)), np.nan)
    k = min(n_items, len(inst.items))
    m[:, :k] = block[:, :k]
    return m


# --- output -----------------------------------------------------------------------------


def _client_payload(
    i: int,
    loaded: Loaded,
    result: BatchResult,
    history_trace: tuple[str, ...] | None,
    question: str | None,
    infos: dict[str, MeasureInfo],
    gains: list[dict[str, Any]],
    risk: list[dict[str, Any]],
) -> dict[str, Any]:
    """One client's JSON object; without a trace (None) the question and trace are left out."""
    cl = loaded.caseload
    key = cl.primary[i]
    info = infos.get(key) or MeasureInfo(key=key, title=key)
    n = int(result.n[i])
    flat = int(result.flat[i])
    intake = float(result.intake[i]) if n else None
    latest = float(result.latest[i]) if n else None
    change = None
    if n and intake is not None and latest is not None:
        diff = latest - intake
        change = {
            "intake": intake,
            "latest": latest,
            "difference": diff,
            "rc_points": info.rc_points,
            "reliable": None if info.rc_points is None else abs(diff) >= info.rc_points,
            "direction": "better" if diff * info.sign < 0 else "worse" if diff else "same",
        }
    phase = int(result.phase[i])
    payload = {
        "client": cl.clients[i],
        "primary": key,
        "phase": None if phase == NO_PHASE else PHASES[phase],
        "administrations": n,
        "latest": None
        if not n
        else {
            "date": date.fromordinal(int(result.latest_day[i])).isoformat(),
            "total": latest,
            "band": _band(key, latest),
            "below_cutoff": None
            if info.cutoff is None or latest is None
            else info.below_cutoff(latest),
        },
        "change": change,
        "gains": gains,
        "flat": None if flat < 0 else bool(flat),
        "window_range": None if flat < 0 else float(result.window_range[i]),
        "proposal": result.kind_name(i),
        "question": question,
        "alerts": list(result.alert_names(i)),
        "spike_review": bool(result.spike_review[i]),
        "held": None if int(result.held[i]) < 0 else KINDS[int(result.held[i])],
        "consult": bool(result.consult[i]),
        "risk": risk,
        "trace": None if history_trace is None else list(history_trace),
    }
    if history_trace is None:
        del payload["question"], payload["trace"]
    return payload


_BANDS: dict[str, Instrument] = {}


def _band(key: str, total: float | None) -> str | None:
    from plusone.core.scoring import band_for

    if total is None:
        return None
    inst = _BANDS.get(key)
    if inst is None:
        inst = _BANDS[key] = all_instruments()[key]
    band = band_for(inst, total)
    return band.label if band else None


def _gains_by_client(result: BatchResult, n_clients: int) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in range(n_clients)]
    rows = np.flatnonzero(result.gain)
    for r in rows.tolist():
        c = int(result.series_client[r])
        out[c].append(
            {
                "pre_date": date.fromordinal(int(result.series_day[r])).isoformat(),
                "post_date": date.fromordinal(int(result.series_day[r + 1])).isoformat(),
                "pre": float(result.series_total[r]),
                "post": float(result.series_total[r + 1]),
                "magnitude": float(result.gain_magnitude[r]),
                "reversal": bool(result.gain_reversal[r]),
            }
        )
    return out


def _risk_by_client(cl: Caseload, result: BatchResult) -> list[list[dict[str, Any]]]:
    """Each client's open flags, in the order of the flag table (one pass, not one per client)."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(cl.n_clients)]
    for r in np.flatnonzero(result.open_flag).tolist():
        out[int(cl.flag_client[r])].append(
            {
                "instrument": cl.instruments[int(cl.flag_instrument[r])],
                "item": cl.flag_item[r],
                "grade": int(cl.flag_grade[r]),
                "opened": date.fromordinal(int(cl.flag_opened[r])).isoformat(),
            }
        )
    return out


def _scores_by_client(cl: Caseload) -> list[dict[str, dict[str, Any]]]:
    """Every client's latest valid score per scored instrument, as ``_latest_scores`` gives it.

    The latest is the one with the latest date, and on a tie the last row;
    instruments come in key order.
    """
    out: list[dict[str, dict[str, Any]]] = [{} for _ in range(cl.n_clients)]
    rows = np.flatnonzero(cl.adm_valid & ~np.isnan(cl.adm_total))
    if not len(rows):
        return out
    by_name = {k: j for j, k in enumerate(sorted(cl.instruments))}
    rank = np.array([by_name[k] for k in cl.instruments], dtype=np.int64)
    client, inst, day = cl.adm_client[rows], rank[cl.adm_instrument[rows]], cl.adm_day[rows]
    # lexsort is stable: on equal days the later row stays later.
    order = np.lexsort((day, inst, client))
    rows, client, inst = rows[order], client[order], inst[order]
    last = np.append((client[1:] != client[:-1]) | (inst[1:] != inst[:-1]), True)
    rows = rows[last]
    for c, k, d, x in zip(
        cl.adm_client[rows].tolist(),
        cl.adm_instrument[rows].tolist(),
        cl.adm_day[rows].tolist(),
        cl.adm_total[rows].tolist(),
        strict=True,
    ):
        key = cl.instruments[k]
        out[c][key] = {"date": date.fromordinal(d).isoformat(), "total": x, "band": _band(key, x)}
    return out


# Set in the parent before worker processes fork, read by _explain_chunk and _summary_chunk.
_SHARED: dict[str, Any] = {}


def _explain_chunk(span: tuple[int, int]) -> list[dict[str, Any]]:
    """Payloads (with propose's trace and question) for clients in [start, stop)."""
    loaded: Loaded = _SHARED["loaded"]
    result: BatchResult = _SHARED["result"]
    today: date = _SHARED["today"]
    policy: Policy = _SHARED["policy"]
    infos: dict[str, MeasureInfo] = _SHARED["infos"]
    gains: list[list[dict[str, Any]]] = _SHARED["gains"]
    risk: list[list[dict[str, Any]]] = _SHARED["risk"]
    scores: list[dict[str, dict[str, Any]]] = _SHARED["scores"]
    cl = loaded.caseload
    out = []
    for i, h in zip(range(*span), histories_of(cl, range(*span)), strict=True):
        p = propose(h, today=today, policy=policy, measures=infos)
        # The batch path and propose must agree; a disagreement is a bug, never data.
        held = None if int(result.held[i]) < 0 else KINDS[int(result.held[i])]
        if p.kind != result.kind_name(i) or p.alerts != result.alert_names(i) or p.held != held:
            raise RuntimeError(
                f"client {cl.clients[i]}: batch gave {result.kind_name(i)} "
                f"{result.alert_names(i)}, propose gave {p.kind} {p.alerts}"
            )
        payload = _client_payload(i, loaded, result, p.trace, p.question, infos, gains[i], risk[i])
        payload["scores"] = scores[i]
        out.append(payload)
    return out


def _summary_chunk(span: tuple[int, int]) -> list[dict[str, Any]]:
    """Payloads without trace and question for clients in [start, stop), from the batch only."""
    loaded: Loaded = _SHARED["loaded"]
    result: BatchResult = _SHARED["result"]
    infos: dict[str, MeasureInfo] = _SHARED["infos"]
    gains: list[list[dict[str, Any]]] = _SHARED["gains"]
    risk: list[list[dict[str, Any]]] = _SHARED["risk"]
    scores: list[dict[str, dict[str, Any]]] = _SHARED["scores"]
    out = []
    for i in range(*span):
        payload = _client_payload(i, loaded, result, None, None, infos, gains[i], risk[i])
        payload["scores"] = scores[i]
        out.append(payload)
    return out


def _num(x: Any) -> Any:
    """A float as ``io._clean`` writes it: rounded to 6 places, NaN and infinity as null."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    return x


def _clean_payload(p: dict[str, Any]) -> dict[str, Any]:
    """``io._clean`` for one client object, visiting only the fields that can hold floats.

    The generic walk also visits every trace sentence and costs more than
    encoding the object; the output is the same.
    """
    if p["latest"] is not None:
        p["latest"]["total"] = _num(p["latest"]["total"])
    if p["change"] is not None:
        for k in ("intake", "latest", "difference", "rc_points"):
            p["change"][k] = _num(p["change"][k])
    for gain in p["gains"]:
        for k in ("pre", "post", "magnitude"):
            gain[k] = _num(gain[k])
    p["window_range"] = _num(p["window_range"])
    for score in p["scores"].values():
        score["total"] = _num(score["total"])
    return p


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _explain_json(span: tuple[int, int]) -> list[str]:
    """As _explain_chunk, each payload already encoded as one line of JSON."""
    return [_ENCODE(_clean_payload(p)) for p in _explain_chunk(span)]


def _summary_json(span: tuple[int, int]) -> list[str]:
    """As _summary_chunk, each payload already encoded as one line of JSON."""
    return [_ENCODE(_clean_payload(p)) for p in _summary_chunk(span)]


def analyze(
    loaded: Loaded,
    *,
    today: date,
    policy: Policy,
    workers: int | None = None,
    as_json: bool = False,
    trace: bool = True,
) -> tuple[list[Any], dict[str, float]]:
    """The per-client payloads (JSON lines with ``as_json``) and the timings in seconds.

    The rules run once for everyone (``run_batch``); each client's trace and
    question then come from ``propose``, split over ``workers`` processes
    (default: one per core, for caseloads of 2,000 clients or more). With
    ``trace=False`` the payloads come from the batch arrays alone, without
    trace and question.
    """
    cl = loaded.caseload
    infos = instrument_infos()
    t0 = time.perf_counter()
    result = run_batch(cl, today=today, policy=policy, measures=infos)
    t1 = time.perf_counter()
    _SHARED.update(
        loaded=loaded,
        result=result,
        today=today,
        policy=policy,
        infos=infos,
        gains=_gains_by_client(result, cl.n_clients),
        risk=_risk_by_client(cl, result),
        scores=_scores_by_client(cl),
    )
    C = cl.n_clients
    if workers is None:
        # Without traces a client costs tens of microseconds: forking only pays on big caseloads.
        big = cl.n_clients >= (2000 if trace else 20000)
        workers = min(os.cpu_count() or 1, 4) if big else 1
    step = max(1, -(-C // (workers * 4)))
    spans = [(a, min(C, a + step)) for a in range(0, C, step)]
    payloads: list[Any] = []
    # Encoding JSON in the workers spreads that cost over the cores too.
    if trace:
        explain = _explain_json if as_json else _explain_chunk
    else:
        explain = _summary_json if as_json else _summary_chunk
    try:
        if workers > 1 and len(spans) > 1:
            import multiprocessing

            # fork shares the parsed caseload with the workers without copying it.
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for chunk in pool.imap(explain, spans):
                    payloads.extend(chunk)
                    progress(f"explained {len(payloads)} of {C} clients")
        else:
            for span in spans:
                payloads.extend(explain(span))
    finally:
        _SHARED.clear()
    t2 = time.perf_counter()
    return payloads, {"compute": t1 - t0, "explain": t2 - t1}


def _write_json(today: date, lines: list[str], errors: list[dict[str, Any]]) -> None:
    """One JSON document, one client object per line (large caseloads stay fast to write)."""
    out = sys.stdout
    out.write('{"today": ' + json.dumps(today.isoformat()) + ', "errors": ')
    out.write(json.dumps(errors, ensure_ascii=False))
    out.write(', "clients": [')
    for i, line in enumerate(lines):
        out.write(",\n" if i else "\n")
        out.write(line)
    out.write("\n]}\n")


def _cell_number(x: float) -> str:
    """A number as ``io.write_rows`` writes it: up to 3 decimals, blank for NaN."""
    if math.isnan(x) or math.isinf(x):
        return ""
    return f"{round(x, 6):.3f}".rstrip("0").rstrip(".")


def _summary_cells(loaded: Loaded, result: BatchResult) -> list[list[str]]:
    """One row of text cells per client for table and csv output, straight from the batch arrays.

    The cells are what ``io.write_rows`` makes of the values (blank for none,
    yes/no, up to 3 decimals, lists joined with "; "), built here directly
    because its generic per-cell conversion costs more than the rules.
    """
    cl = loaded.caseload
    instruments = all_instruments()
    bands: list[str] = [""] * cl.n_clients
    has = result.n > 0
    primary = np.array(cl.primary)
    for key in set(cl.primary):
        inst = instruments.get(key)
        if inst is None or not inst.bands:
            continue
        mine = np.flatnonzero(has & (primary == key))
        lows = np.array([b.min for b in inst.bands])
        idx = np.searchsorted(lows, result.latest[mine], side="right") - 1
        inside = (idx >= 0) & (result.latest[mine] <= inst.bands[-1].max)
        for c, j, ok in zip(mine.tolist(), idx.tolist(), inside.tolist(), strict=True):
            bands[c] = inst.bands[j].label if ok else ""
    risk: list[list[str]] = [[] for _ in range(cl.n_clients)]
    for r in np.flatnonzero(result.open_flag).tolist():
        risk[int(cl.flag_client[r])].append(f"{cl.flag_item[r]} grade {int(cl.flag_grade[r])}")
    change = np.where(has, result.latest - result.intake, np.nan).tolist()
    latest = np.where(has, result.latest, np.nan).tolist()
    flat = ["" if f < 0 else "yes" if f else "no" for f in result.flat.tolist()]
    phases = ["" if p == NO_PHASE else PHASES[p] for p in result.phase.tolist()]
    kinds = [KINDS[k] for k in result.kind.tolist()]
    alert_rows = result.alerts.tolist()
    return [
        [
            cl.clients[i],
            cl.primary[i],
            phases[i],
            _cell_number(latest[i]),
            bands[i],
            _cell_number(change[i]),
            flat[i],
            kinds[i],
            "; ".join(a for a, on in zip(ALERTS, alert_rows[i], strict=True) if on),
            "; ".join(risk[i]),
        ]
        for i in range(cl.n_clients)
    ]


def _write_summary(cells: list[list[str]], fmt: str) -> None:
    """Write the summary cells as CSV or as an aligned table, exactly as ``io.write_rows`` does."""
    stream = sys.stdout
    if fmt == "csv":
        w = csv.writer(stream, lineterminator="\n")
        w.writerow(TABLE_COLUMNS)
        w.writerows(cells)
        return
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(TABLE_COLUMNS)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(TABLE_COLUMNS)).rstrip()]
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    stream.write("\n".join(lines) + "\n")


TABLE_COLUMNS = (
    "client",
    "primary",
    "phase",
    "latest",
    "band",
    "change",
    "flat",
    "proposal",
    "alerts",
    "risk",
)


def run(ns: argparse.Namespace) -> int:
    fmt = resolve_format(ns.format)
    try:
        policy = load_policy(Path(ns.policy)) if ns.policy else Policy()
        today_arg = None
        if ns.today:
            try:
                today_arg = date.fromisoformat(ns.today)
            except ValueError:
                raise UsageError(f"--today: {ns.today!r} is not a date (YYYY-MM-DD)") from None
        progress(f"reading {ns.file}")
        try:
            loaded = load(ns.file, strict=ns.strict, on_error=report_error)
        except _Strict:
            return 1
    except (UsageError, PolicyError) as exc:
        print(f"plusone analyze: error: {exc}", file=sys.stderr)
        return 2
    if today_arg is not None:
        today = today_arg
    elif loaded.latest_day is not None:
        today = date.fromordinal(loaded.latest_day)
    else:
        today = date(1970, 1, 1)
    progress(f"analysing {loaded.caseload.n_clients} clients as of {today.isoformat()}")
    errors = [e.as_dict() for e in loaded.errors]
    if fmt == "json":
        lines, timings = analyze(loaded, today=today, policy=policy, as_json=True, trace=ns.trace)
        _write_json(today, lines, errors)
    else:
        # table and csv carry no trace: the rules run once for everyone and nothing more.
        started = time.perf_counter()
        result = run_batch(loaded.caseload, today=today, policy=policy, measures=instrument_infos())
        timings = {"compute": time.perf_counter() - started, "explain": 0.0}
        _write_summary(_summary_cells(loaded, result), fmt)
    if os.environ.get("PLUSONE_TIMINGS"):
        print(
            f"timings: parse {loaded.seconds:.3f} s, compute {timings['compute']:.3f} s, "
            f"explain {timings['explain']:.3f} s",
            file=sys.stderr,
        )
    return 1 if loaded.errors else 0
