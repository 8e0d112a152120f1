"""The checks every row of a caseload file must pass, and the reasons rows are refused.

Every check runs on the distinct values of a column, or on whole columns at
once, then maps back to rows. A refused row keeps the first reason found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from plusone.analytics.analyze.read import Column
from plusone.core.batch import NO_PHASE, PHASE_CODE
from plusone.core.instruments import Instrument
from plusone.inputs import normalize

# The highest session number a row may give (as plusone gains).
MAX_SESSION = 10_000
TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n", ""}


class Rejected:
    """Which rows are refused so far, and why."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.reasons: dict[int, str] = {}

    def reject(self, rows: np.ndarray, reason: Callable[[int], str]) -> None:
        """Refuse ``rows``; a row refused already keeps its first reason."""
        for i in rows.tolist():
            if not self.bad[i]:
                self.bad[i] = True
                self.reasons[i] = reason(i)


def checked(
    column: Column, name: str, convert: Callable[[str], Any], what: str, rejected: Rejected
) -> tuple[list[Any], np.ndarray]:
    """Each distinct value of a text column converted (None where it fails), and the row codes.

    A failure is a ValueError; the rows holding that value are refused with
    the reason ``name: 'value' what``.
    """
    assert not isinstance(column, np.ndarray)
    uniques, codes = column
    converted: list[Any] = []
    failed = np.zeros(len(uniques), dtype=bool)
    for j, u in enumerate(uniques):
        try:
            converted.append(convert(u))
        except ValueError:
            converted.append(None)
            failed[j] = True
    if failed.any():
        rejected.reject(
            np.flatnonzero(failed[codes]),
            lambda i: f"{name}: {uniques[codes[i]]!r} {what}",
        )
    return converted, codes


def by_row(converted: list[Any], codes: np.ndarray, dtype: Any, fill: Any) -> np.ndarray:
    """Each row's converted value, ``fill`` where the conversion failed."""
    table = np.array([fill if c is None else c for c in converted], dtype=dtype)
    return table[codes] if len(codes) else np.zeros(0, dtype=dtype)


def as_day(v: str) -> int:
    return date.fromisoformat(v).toordinal()


def as_session(v: str) -> int:
    if not v:
        return -1
    if not v.isdigit():
        raise ValueError(v)
    # Bounded: a 30-digit session number overflowed numpy's int64 (found by fuzzing).
    return normalize.integer(v, field="session", minimum=0, maximum=MAX_SESSION)


def as_code(codes: dict[str, int]) -> Callable[[str], int]:
    """A converter from a key (any case) to its code in ``codes``."""

    def code(v: str) -> int:
        key = v.lower()
        if key not in codes:
            raise ValueError(v)
        return codes[key]

    return code


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


def item_answers(
    columns: list[Column], item_cols: list[tuple[int, int]], n: int, n_items: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's item answers (NaN for blank or text) and whether each item holds anything.

    Blank is not answered; text that is not a number counts as answered, for
    ``check_items`` to refuse where the item is numeric.
    """
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
    return answers, texts


def check_items(
    instruments: dict[str, Instrument],
    inst: np.ndarray,
    answers: np.ndarray,
    texts: np.ndarray,
    n_items: int,
    rejected: Rejected,
) -> None:
    """Refuse answers that are not an option of their item, and items beyond the instrument.

    Each item column is checked for every row at once, against per-instrument
    tables indexed by the row's instrument code (rows with an unknown
    instrument are already refused). A row's first failing item is its reason.
    ``score_many`` makes the same option check, but stops at the first row
    without naming the file's line, so the rows are checked here first.
    """
    insts = list(instruments.values())
    # One slot more than there are instruments: code -1 (unknown) reads the last, empty one.
    size = np.array([len(x.items) for x in insts] + [0], dtype=np.int64)[inst]
    for k in range(n_items):
        text = texts[:, k]
        beyond = text & (size <= k)
        if beyond.any():
            rejected.reject(
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
            rejected.reject(
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
            rejected.reject(
                np.flatnonzero(wrong),
                lambda i, k=k, ids=ids, shown=shown: (
                    f"item{k + 1}: {answers[i, k]:g} is not an answer of "
                    f"{ids[inst[i]]} {shown[inst[i]]}"
                ),
            )


def reject_second_sittings(
    client_codes: np.ndarray,
    days: np.ndarray,
    sessions: np.ndarray,
    inst: np.ndarray,
    keys: list[str],
    lines: np.ndarray,
    rejected: Rejected,
) -> None:
    """Refuse every row after the first for one client, date, session and instrument.

    Such rows conflict (one sitting cannot have two results), so the first in the
    file is kept. Rows outside a session (blank session) are several administrations
    on one day, where the last counts: they never conflict.
    """
    rows = np.flatnonzero(~rejected.bad & (sessions >= 0))
    if len(rows) < 2:
        return
    # Stable: within one sitting the rows stay in file order, so the first comes first.
    rows = rows[stable_order(client_codes[rows], days[rows], sessions[rows], inst[rows])]
    c, d, s, k = client_codes[rows], days[rows], sessions[rows], inst[rows]
    again = np.zeros(len(rows), dtype=bool)
    again[1:] = (c[1:] == c[:-1]) & (d[1:] == d[:-1]) & (s[1:] == s[:-1]) & (k[1:] == k[:-1])
    if not again.any():
        return
    # Each row's group starts at the last position that is not a repeat.
    start = np.maximum.accumulate(np.where(again, 0, np.arange(len(rows))))
    first_line = dict(zip(rows[again].tolist(), lines[rows[start[again]]].tolist(), strict=True))
    rejected.reject(
        rows[again],
        lambda i: (
            f"a second {keys[inst[i]]} in session {sessions[i]} on "
            f"{date.fromordinal(int(days[i])).isoformat()} for this client "
            f"(first on line {first_line[i]})"
        ),
    )


def stable_order(*keys: np.ndarray) -> np.ndarray:
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
