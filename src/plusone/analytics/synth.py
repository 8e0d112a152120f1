"""Synthetic caseloads in the ``plusone analyze`` schema, with their ground truth.

Each client follows one trajectory type. Its scores, lanes and agreed phases
come only from the generator's own parameters and decision schedule; the
truth file says which proposal or alert those parameters imply and from
which session. Nothing here calls the detector. The same seed gives the same
files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TextIO

import numpy as np

TYPES = (
    "deepens",
    "arrives_below",
    "plateau",
    "good_enough",
    "stalled",
    "not_progressing",
    "deteriorates",
    "spike",
    "rupture",
    "risk",
    "near_cutoff",
)
N_ITEMS = 10
HEADER = [
    "client",
    "date",
    "session",
    "instrument",
    "phase",
    "primary",
    "prior_therapy",
    "total",
    *(f"item{i}" for i in range(1, N_ITEMS + 1)),
]
TRUTH_HEADER = ["client", "trajectory", "expect", "from_session"]
# The export date: every synthetic caseload is current on it.
EXPORT = date(2026, 3, 2)
# PHQ-9 as the generator knows it: cutoff 10, 27 points, items 1-9 scored 0-3.
CUTOFF = 10


@dataclass
class _Client:
    """The generator's plan for one client."""

    cid: str
    kind: str
    sessions: int
    prior_therapy: bool
    level: list[float]  # mean PHQ-9 per session (1-based index: level[s - 1])
    goals: list[float]
    holds: list[float]
    stuck: list[float]
    swls: list[float]
    decisions: dict[int, str] = field(default_factory=dict)  # session -> phase agreed there
    truth: list[tuple[str, int]] = field(default_factory=list)
    risk_at: dict[int, int] = field(default_factory=dict)
    rupture_at: set[int] = field(default_factory=set)


def _ramp(start: float, end: float, until: int, n: int) -> list[float]:
    """Linear from ``start`` at session 1 to ``end`` at session ``until``, then flat."""
    out = []
    for s in range(1, n + 1):
        if s >= until:
            out.append(end)
        else:
            out.append(start + (end - start) * (s - 1) / max(until - 1, 1))
    return out


def _plan(cid: str, kind: str, n: int, rng: np.random.Generator) -> _Client:
    prior = bool(rng.random() < 0.5)
    relief = int(rng.integers(4, 8))
    floor = float(rng.integers(4, 8))
    intake = float(rng.integers(15, 21))
    level = _ramp(intake, floor, relief, n)
    goals = [float(rng.integers(3, 6))] * n
    holds = [float(rng.integers(3, 6))] * n
    stuck = [float(rng.integers(5, 8))] * n
    swls = [float(rng.integers(12, 17))] * n
    c = _Client(cid, kind, n, prior, level, goals, holds, stuck, swls, decisions={2: "stabilizing"})
    plateau_from = relief + 4  # 5 weekly administrations on the floor span 28 days
    if kind in ("deepens", "spike"):
        agree = plateau_from + 3
        deep = agree + 1
        c.truth.append(("plus_one", plateau_from))
        c.decisions.update({agree: "plus_one", deep: "deepening"})
        for s in range(deep, n + 1):
            i = s - 1
            c.goals[i] = min(9.0, c.goals[i] + 0.5 * (s - deep))
            c.holds[i] = 8.0 if s > deep else c.holds[i]
            c.stuck[i] = 3.0 if s > deep else c.stuck[i]
            c.swls[i] = min(30.0, c.swls[i] + (s - deep))
        if kind == "spike":
            # Primary every 2nd session in Deepening: the spike spans three administrations.
            first = deep + 6
            for s in (first, first + 2, first + 4):
                if s <= n:
                    c.level[s - 1] = floor + 9
            c.truth.append(("deterioration", first))
            c.truth.append(("spike_exit", first + 2))
            if first + 3 <= n:
                c.decisions[first + 3] = "stabilizing"
        else:
            felt = [s for s in range(deep + 1, n + 1) if s % 4 == 1][:2]
            swls_up = next((s for s in range(deep + 7, n + 1) if s % 4 == 1), n + 1)
            if len(felt) == 2:
                cons = max(deep + 7, felt[1], swls_up, deep + 6)
                c.truth.append(("consolidating", cons))
                c.decisions[cons + 2] = "consolidating"
    elif kind == "arrives_below":
        # The intake route: from the 3rd administration, every one so far below cutoff.
        c.prior_therapy = True
        c.level = [float(rng.integers(5, 9))] * n
        c.decisions = {4: "plus_one", 5: "deepening"}
        c.truth.append(("plus_one", 3))
    elif kind == "plateau":
        c.truth.append(("plus_one", plateau_from))
    elif kind == "good_enough":
        for s in range(1, n + 1):
            i = s - 1
            if s >= relief:
                c.goals[i] = min(8.0, 5.0 + (s - relief))
                c.holds[i] = 8.0
                c.stuck[i] = 2.0
                c.swls[i] = 27.0
        felt_after = next((s for s in range(relief, n + 1) if s % 4 == 1), n + 1)
        ready = max(plateau_from, relief + 3, felt_after)
        c.truth.append(("good_enough_ending", ready))
        c.decisions[ready + 2] = "ending"
    elif kind == "stalled":
        intake = float(rng.integers(20, 25))
        c.level = _ramp(intake, float(rng.integers(12, int(intake) - 7)), relief, n)
        c.truth.append(("stalled_review", plateau_from))
    elif kind == "not_progressing":
        c.level = _ramp(intake, intake - float(rng.integers(0, 3)), relief, n)
        c.truth.append(("not_progressing", 8))
    elif kind == "deteriorates":
        relapse = relief + 2 + int(rng.integers(0, 2))
        for s in range(relapse, n + 1):
            c.level[s - 1] = floor + 10
        c.truth.append(("deterioration", relapse))
    elif kind == "rupture":
        at = int(rng.integers(min(4, n - 1), n))
        c.rupture_at.add(at)
        c.truth.append(("possible_rupture", at))
        c.truth.append(("plus_one", plateau_from))
    elif kind == "risk":
        at = int(rng.integers(2, n))
        c.risk_at[at] = int(rng.integers(1, 4))
        c.truth.append(("risk", at))
        c.truth.append(("plus_one", plateau_from))
    elif kind == "near_cutoff":
        # Issue 10: a true level 1 point above the cutoff, flat from intake. Relief never held,
        # so neither +1 nor a good-enough ending is due; not progressing is, from the 8th.
        c.level = [float(CUTOFF + 1)] * n
        c.truth.append(("not_progressing", 8))
    c.truth = [(e, s) for e, s in c.truth if s <= n]
    c.decisions = {s: p for s, p in c.decisions.items() if s <= n}
    return c


def _items(total: int, item9: int, order: np.ndarray) -> list[int]:
    """Nine PHQ-9 answers (0-3) summing to ``total``, with item 9 fixed."""
    rest = max(0, min(24, total - item9))
    base, extra = divmod(rest, 8)
    items = [base + (1 if i < extra else 0) for i in range(8)]
    return [items[i] for i in order] + [item9]


# Measurement noise: normal with an SD of 2 PHQ-9 points, the value of issue 10's independent
# check (the SEM SD x sqrt(1 - r) of an intake SD of 5 at r = .84). A generator parameter, not a
# clinical threshold: the rules never read it.
NOISE_SD = 2.0


def measurement_error() -> float:
    """The generator's PHQ-9 measurement noise SD (``NOISE_SD``)."""
    return NOISE_SD


def _rows(c: _Client, rng: np.random.Generator, sem: float) -> Iterator[list[str]]:
    n = c.sessions
    # Weekly sessions, one in ten a fortnight later; the last session falls in the
    # week before the export date so that every client is current on it.
    gaps = np.where(rng.random(n) < 0.1, 14, 7)[: n - 1].tolist()
    day = EXPORT - timedelta(days=int(rng.integers(0, 7)) + sum(gaps))
    # Measurement error: normal with the instrument's standard error of measurement.
    noise = rng.normal(0.0, sem, size=n)
    orders = np.argsort(rng.random((n, 8)), axis=1)
    goal_noise = rng.integers(-1, 2, size=(n, 2))
    refl = rng.integers(9, 11, size=(n, 3))
    low_refl = rng.integers(3, 6, size=(n, 3))
    understands = rng.integers(4, 9, size=n)
    phase = ""
    deep_start: int | None = None
    pt = "yes" if c.prior_therapy else "no"
    pad = [""] * N_ITEMS
    for s in range(1, n + 1):
        i = s - 1
        if s > 1:
            day += timedelta(days=gaps[s - 2])
        if s in c.decisions:
            phase = c.decisions[s]
            if phase == "deepening":
                deep_start = s
            elif phase != "consolidating":
                deep_start = None
        head = [c.cid, day.isoformat(), str(s)]
        tail = [phase, "phq9", pt]
        # Default plan: the primary every session, every 2nd session in Deepening and after.
        if deep_start is None or (s - deep_start) % 2 == 0:
            total = int(min(27, max(0, round(c.level[i] + noise[i]))))
            item9 = c.risk_at.get(s, 0)
            total = max(total, item9)
            items = _items(total, item9, orders[i])
            yield [*head, "phq9", *tail, "", *map(str, items), *pad[9:]]
        g = c.goals[i]
        ratings = [int(min(10, max(0, round(g + goal_noise[i, j])))) for j in range(2)]
        yield [*head, "personal_goals", *tail, "", *map(str, ratings), *pad[2:]]
        answers = low_refl[i] if s in c.rupture_at else refl[i]
        yield [*head, "session_reflection", *tail, "", *map(str, answers.tolist()), *pad[3:]]
        if s % 4 == 1:
            felt = [int(c.holds[i]), int(understands[i]), int(c.stuck[i])]
            yield [*head, "felt_change", *tail, "", *map(str, felt), *pad[3:]]
            yield [*head, "swls", *tail, str(int(c.swls[i])), *pad]


@dataclass(frozen=True)
class Synthetic:
    """One synthetic client: its rows in HEADER's columns and its truth in TRUTH_HEADER's."""

    rows: list[list[str]]
    truth: list[list[str]]


def generate_rows(clients: int, seed: int, *, sessions: int = 24) -> Iterator[Synthetic]:
    """The ``clients`` synthetic clients for ``seed``, one at a time, as text cells.

    Trajectory types cycle through TYPES so that every type is present in
    proportion. A client with nothing to expect has one truth row, ``none``.
    """
    if sessions < 4:
        raise ValueError("sessions must be at least 4")
    return _synthetic(clients, seed, sessions)


def _synthetic(clients: int, seed: int, sessions: int) -> Iterator[Synthetic]:
    root = np.random.default_rng(seed)
    width = len(str(clients))
    sem = measurement_error()
    for i in range(clients):
        rng = np.random.default_rng([seed, i, int(root.integers(0, 2**31))])
        kind = TYPES[i % len(TYPES)]
        c = _plan(f"c{i + 1:0{width}d}", kind, sessions, rng)
        rows = list(_rows(c, rng, sem))
        truth = [[c.cid, kind, expect, str(s)] for expect, s in c.truth]
        yield Synthetic(rows, truth or [[c.cid, kind, "none", ""]])


def generate(
    clients: int, seed: int, out: TextIO, truth: TextIO, *, sessions: int = 24
) -> tuple[int, int]:
    """Write ``generate_rows`` to ``out`` and ``truth`` as CSV; returns the rows of each."""
    made = generate_rows(clients, seed, sessions=sessions)
    w = csv.writer(out, lineterminator="\n")
    tw = csv.writer(truth, lineterminator="\n")
    w.writerow(HEADER)
    tw.writerow(TRUTH_HEADER)
    n_rows = n_truth = 0
    for client in made:
        w.writerows(client.rows)
        tw.writerows(client.truth)
        n_rows += len(client.rows)
        n_truth += len(client.truth)
    return n_rows, n_truth
