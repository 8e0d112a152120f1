"""Read, check and score a caseload file into a ``Caseload`` (docs/cli.md gives the columns).

Bad rows are reported as ``line N: reason`` and left out. Scores come from
``plusone.core.scoring.score_many``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from plusone.analytics.analyze.checks import (
    MAX_SESSION,
    Rejected,
    as_client,
    as_code,
    as_day,
    as_number,
    as_phase,
    as_prior,
    as_session,
    by_row,
    check_items,
    checked,
    item_answers,
    reject_second_sittings,
    stable_order,
)
from plusone.analytics.analyze.read import REQUIRED, Table, read_columns
from plusone.analytics.io import RowError, require_columns
from plusone.core.batch import NEVER, NO_PHASE, Caseload
from plusone.core.caseload import ITEMS as RATED_ITEMS
from plusone.core.history import PHASES
from plusone.core.instruments import Instrument, all_instruments
from plusone.core.scoring import score_many

# Instruments whose answers feed the rules item by item rather than as a score.
GOALS, FELT, REFLECTION = "personal_goals", "felt_change", "session_reflection"
# The therapist's rating of a session, compared item by item with that day's reflection.
RATING = "therapist_rating"


class Strict(Exception):
    """Raised at the first bad row under --strict."""


@dataclass
class Loaded:
    """A parsed caseload: the columnar tables, the rejected rows and timings."""

    caseload: Caseload
    errors: list[RowError]
    latest_day: int | None
    seconds: float = 0.0


@dataclass
class Rows:
    """A file's checked columns, one entry per row; ``rejected`` holds the refused rows."""

    lines: np.ndarray
    days: np.ndarray
    sessions: np.ndarray
    inst: np.ndarray
    phase: np.ndarray
    prim: np.ndarray
    prior: np.ndarray
    totals: np.ndarray
    client_codes: np.ndarray
    # The distinct client names, in order of first appearance (client_codes index them).
    names: list[str]
    answers: np.ndarray
    texts: np.ndarray
    n_items: int
    rejected: Rejected


@dataclass
class Scores:
    """Each row's score, and the risk item of each instrument code that has one."""

    total: np.ndarray
    valid: np.ndarray
    risk: np.ndarray
    flourishing: np.ndarray
    risk_item: dict[int, str]


def load(
    path: str, *, strict: bool = False, on_error: Callable[[RowError], None] | None = None
) -> Loaded:
    """Parse and check a caseload CSV into a Caseload; bad rows become errors and are left out.

    Every check runs on the distinct values of a column, then maps back to rows.
    """
    started = time.perf_counter()
    table = read_columns(path)
    require_columns(table.header, *REQUIRED)
    instruments = all_instruments()
    rows = _check_columns(table, instruments)
    check_items(instruments, rows.inst, rows.answers, rows.texts, rows.n_items, rows.rejected)
    scores = _score(rows, instruments)
    first = _first_rows(rows)
    _check_clients(rows, first, list(instruments))
    errors = _errors(table.errors, rows, strict=strict, on_error=on_error)
    cl = _caseload(rows, scores, first, list(instruments))
    good = ~rows.rejected.bad
    latest = int(rows.days[good].max()) if good.any() else None
    return Loaded(cl, errors, latest, seconds=time.perf_counter() - started)


def _check_columns(table: Table, instruments: dict[str, Instrument]) -> Rows:
    """Convert and check each column in turn; a row keeps the first column's reason."""
    col = {name: i for i, name in enumerate(table.header)}
    item_cols = sorted(
        (int(h[4:]), i) for h, i in col.items() if h.startswith("item") and h[4:].isdigit()
    )
    n_items = item_cols[-1][0] if item_cols else 0
    n = len(table.lines)
    rejected = Rejected(n)
    as_instrument = as_code({key: j for j, key in enumerate(instruments)})

    def column(
        name: str, convert: Callable[[str], object], what: str, dtype: object, fill: object
    ) -> np.ndarray:
        converted, codes = checked(table.columns[col[name]], name, convert, what, rejected)
        return by_row(converted, codes, dtype, fill)

    days = column("date", as_day, "is not a date (YYYY-MM-DD)", np.int64, 0)
    sessions = column(
        "session", as_session, f"is not a whole number from 0 to {MAX_SESSION}", np.int64, -1
    )
    inst = column("instrument", as_instrument, "is not a known instrument", np.int64, -1)
    phase = column(
        "phase", as_phase, f"is not one of {', '.join(PHASES)} or blank", np.int64, NO_PHASE
    )
    prim = column("primary", as_instrument, "is not a known instrument", np.int64, -1)
    prior = column("prior_therapy", as_prior, "is not yes or no", bool, False)
    totals = np.full(n, np.nan)
    if "total" in col:
        given = table.columns[col["total"]]
        if isinstance(given, np.ndarray):
            totals = given
        else:
            totals = column("total", as_number, "is not a number", np.float64, np.nan)
    clients, client_codes = checked(
        table.columns[col["client"]], "client", as_client, "is blank", rejected
    )
    answers, texts = item_answers(table.columns, item_cols, n, n_items)
    return Rows(
        lines=table.lines,
        days=days,
        sessions=sessions,
        inst=inst,
        phase=phase,
        prim=prim,
        prior=prior,
        totals=totals,
        client_codes=client_codes,
        names=[c if c is not None else "" for c in clients],
        answers=answers,
        texts=texts,
        n_items=n_items,
        rejected=rejected,
    )


def _score(rows: Rows, instruments: dict[str, Instrument]) -> Scores:
    """Refuse totals outside their instrument's range, then score the rows still kept.

    A given total stands; without one, the items are scored.
    """
    n = len(rows.lines)
    bad, totals = rows.rejected.bad, rows.totals
    out = Scores(
        total=np.full(n, np.nan),
        valid=np.zeros(n, dtype=bool),
        risk=np.zeros(n, dtype=np.int64),
        flourishing=np.zeros(n, dtype=bool),
        risk_item={},
    )
    for code, (key, instrument) in enumerate(instruments.items()):
        if key in (GOALS, FELT, REFLECTION, RATING):
            continue
        rows_k = np.flatnonzero((rows.inst == code) & ~bad)
        if not len(rows_k):
            continue
        lo, hi = instrument.score_range
        given = ~np.isnan(totals[rows_k])
        outside = given & ((totals[rows_k] < lo) | (totals[rows_k] > hi))
        rows.rejected.reject(
            rows_k[outside],
            lambda i, key=key, lo=lo, hi=hi: (
                f"total: {totals[i]:g} is outside {key}'s range {lo:g}-{hi:g}"
            ),
        )
        rows_k = rows_k[~bad[rows_k]]
        given = ~np.isnan(totals[rows_k])
        sa = score_many(instrument, _matrix(instrument, rows.answers[rows_k], rows.n_items))
        out.total[rows_k] = np.where(given, totals[rows_k], sa.total)
        out.valid[rows_k] = given | sa.valid
        out.risk[rows_k] = sa.risk_grade
        if instrument.classification is not None:
            labels = instrument.classification.labels
            out.flourishing[rows_k] = sa.category_index == labels.index("flourishing")
        if instrument.risk_items:
            out.risk_item[code] = instrument.risk_items[0].item_id
    return out


def _matrix(inst: Instrument, block: np.ndarray, n_items: int) -> np.ndarray:
    m = np.full((len(block), len(inst.items)), np.nan)
    k = min(n_items, len(inst.items))
    m[:, :k] = block[:, :k]
    return m


def _first_rows(rows: Rows) -> np.ndarray:
    """Each client's first row, clients in order of first appearance."""
    n = len(rows.lines)
    first = np.full(len(rows.names), n, dtype=np.int64)
    # Assigning in reverse row order leaves each client's first row (the last write wins).
    first[rows.client_codes[::-1]] = np.arange(n)[::-1]
    return first


def _check_clients(rows: Rows, first: np.ndarray, keys: list[str]) -> None:
    """Refuse rows whose primary or prior therapy differs from the client's first row,
    and second rows of one sitting."""
    f_row = first[rows.client_codes]
    prim, prior, lines = rows.prim, rows.prior, rows.lines
    rows.rejected.reject(
        np.flatnonzero((prim != prim[f_row]) & (prim >= 0) & (prim[f_row] >= 0)),
        lambda i: f"primary: differs from line {lines[f_row[i]]}",
    )
    rows.rejected.reject(
        np.flatnonzero(prior != prior[f_row]),
        lambda i: f"prior_therapy: differs from line {lines[f_row[i]]}",
    )
    reject_second_sittings(
        rows.client_codes, rows.days, rows.sessions, rows.inst, keys, lines, rows.rejected
    )


def _errors(
    read: list[RowError],
    rows: Rows,
    *,
    strict: bool,
    on_error: Callable[[RowError], None] | None,
) -> list[RowError]:
    """Every refused row in line order, reported through ``on_error``.

    --strict reports the first bad row only and stops (``Strict``).
    """
    reasons = rows.rejected.reasons
    errors = list(read)
    for i in np.flatnonzero(rows.rejected.bad).tolist():
        errors.append(RowError(int(rows.lines[i]), reasons[i]))
    errors.sort(key=lambda e: e.line)
    for err in errors[:1] if strict else errors:
        if on_error:
            on_error(err)
    if strict and errors:
        raise Strict()
    return errors


def _caseload(rows: Rows, scores: Scores, first: np.ndarray, keys: list[str]) -> Caseload:
    """The kept rows as the batch's tables: one per kind of row, each row's client by code.

    Clients with no usable rows keep their place (blank names are dropped).
    """
    good = np.flatnonzero(~rows.rejected.bad)
    code = {key: j for j, key in enumerate(keys)}
    C, n_items = len(rows.names), rows.n_items
    answers, days, inst, client = rows.answers, rows.days, rows.inst, rows.client_codes
    # Every client code occurs in some row, so first[c] < n for all of them.
    primary = [keys[p] if p >= 0 else "phq9" for p in rows.prim[first].tolist()] if C else []
    prior = rows.prior[first] if C else np.zeros(0, dtype=bool)
    kg = inst[good]
    is_goal = kg == code[GOALS]
    is_felt = kg == code[FELT]
    is_refl = kg == code[REFLECTION]
    is_rating = kg == code[RATING]
    is_adm = ~(is_goal | is_felt | is_refl | is_rating)
    ga = good[is_goal]
    k3 = min(3, n_items)
    goal_rows, goal_ids = np.nonzero(~np.isnan(answers[ga, :k3]))
    fa, ra, aa = good[is_felt], good[is_refl], good[is_adm]
    refl_items = np.full((len(ra), RATED_ITEMS), np.nan)
    refl_items[:, :k3] = answers[ra, :k3]
    refl_text = rows.texts[ra, 3] if n_items >= 4 else np.zeros(len(ra), dtype=bool)
    ta = good[is_rating]
    rating_items = np.full((len(ta), RATED_ITEMS), np.nan)
    rating_items[:, :k3] = answers[ta, :k3]
    sess_rows = _attended(rows, good)
    dec_rows = _decisions(rows, good)
    flag_rows = aa[scores.risk[aa] > 0]
    return Caseload(
        clients=rows.names,
        primary=primary,
        prior_therapy=prior.astype(bool),
        instruments=keys,
        adm_client=client[aa],
        adm_day=days[aa],
        adm_instrument=inst[aa],
        adm_total=scores.total[aa],
        adm_valid=scores.valid[aa],
        adm_risk=scores.risk[aa],
        adm_flourishing=scores.flourishing[aa],
        goal_client=client[ga[goal_rows]],
        goal_day=days[ga[goal_rows]],
        goal_id=goal_ids.astype(np.int64),
        goal_version=np.ones(len(goal_rows), dtype=np.int64),
        goal_rating=answers[ga[goal_rows], goal_ids],
        felt_client=client[fa],
        felt_day=days[fa],
        felt_holds=answers[fa, 0] if n_items >= 1 else np.full(len(fa), np.nan),
        felt_stuck=answers[fa, 2] if n_items >= 3 else np.full(len(fa), np.nan),
        refl_client=client[ra],
        refl_day=days[ra],
        refl_items=refl_items,
        refl_text=refl_text,
        sess_client=client[sess_rows],
        sess_day=days[sess_rows],
        dec_client=client[dec_rows],
        dec_day=days[dec_rows],
        dec_phase=rows.phase[dec_rows],
        dec_no_change=np.zeros(len(dec_rows), dtype=bool),
        dec_review=np.full(len(dec_rows), -1, dtype=np.int64),
        dec_proposal=np.full(len(dec_rows), -1, dtype=np.int64),
        flag_client=client[flag_rows],
        flag_opened=days[flag_rows],
        flag_ack=np.full(len(flag_rows), NEVER, dtype=np.int64),
        flag_grade=scores.risk[flag_rows],
        flag_instrument=inst[flag_rows],
        flag_item=[scores.risk_item.get(int(k), "") for k in inst[flag_rows].tolist()],
        goal_names=[f"goal {k}" for k in range(1, k3 + 1)],
        tr_client=client[ta],
        tr_day=days[ta],
        tr_items=rating_items,
    )


def _attended(rows: Rows, good: np.ndarray) -> np.ndarray:
    """Attended sessions: each (client, session number) once, on its first date."""
    client, sessions = rows.client_codes, rows.sessions
    sg = good[sessions[good] >= 0]
    sg = sg[stable_order(client[sg], sessions[sg], rows.days[sg])]
    pair_c, pair_s = client[sg], sessions[sg]
    first_of_pair = np.ones(len(sg), dtype=bool)
    if len(sg):
        first_of_pair[1:] = (pair_c[1:] != pair_c[:-1]) | (pair_s[1:] != pair_s[:-1])
    return sg[first_of_pair]


def _decisions(rows: Rows, good: np.ndarray) -> np.ndarray:
    """Decisions: where the phase column (blank rows aside) changes, in date order."""
    client, phase = rows.client_codes, rows.phase
    pg = good[phase[good] != NO_PHASE]
    pg = pg[stable_order(client[pg], rows.days[pg])]
    change = np.ones(len(pg), dtype=bool)
    if len(pg):
        same_client = client[pg][1:] == client[pg][:-1]
        change[1:] = ~same_client | (phase[pg][1:] != phase[pg][:-1])
    return pg[change]
