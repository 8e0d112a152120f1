"""The agreed phase now: one definition, from the decisions recorded (DESIGN.md's phase table).

A move into Deepening, Consolidating or an Ending takes effect only when the
client confirms it; until then it is "awaiting the client". Agreeing
Stabilizing or the +1 threshold, a step back and a decision to stay take
effect at once. Every page that shows the agreed phase calls
``current_phase``; ``plusone.core.batch`` computes the same for a whole
caseload.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from plusone.core.history import Decision, Phase

PHASE_NAMES: dict[str | None, str] = {
    None: "none yet (treated as Stabilizing)",
    "stabilizing": "Stabilizing",
    "plus_one": "+1 threshold",
    "deepening": "Deepening",
    "consolidating": "Consolidating",
    "ending": "Ending",
}
# Moves that wait for the client's confirmation (unless they are a step back).
CONFIRMED_BY_CLIENT: frozenset[str] = frozenset({"deepening", "consolidating", "ending"})
# The step backs of the phase table: (from, to). They take effect at once.
STEP_BACKS: frozenset[tuple[str | None, str | None]] = frozenset(
    {
        ("plus_one", "stabilizing"),
        ("deepening", "stabilizing"),
        ("consolidating", "stabilizing"),
        ("consolidating", "deepening"),
    }
)
# Every move the phase table offers: (agreed phase now, the phase it may move to).
OFFERED: frozenset[tuple[str | None, str | None]] = frozenset(
    {
        (None, "stabilizing"),
        (None, "plus_one"),
        (None, "ending"),
        ("stabilizing", "plus_one"),
        ("stabilizing", "ending"),
        ("plus_one", "deepening"),
        ("plus_one", "ending"),
        ("deepening", "consolidating"),
        ("consolidating", "ending"),
        *STEP_BACKS,
    }
)


def needs_confirmation(before: Phase | None, after: Phase | None) -> bool:
    """Whether a move from ``before`` to ``after`` waits for the client's confirmation.

    Recording the same phase again counts as a move: it waits too.
    """
    return after in CONFIRMED_BY_CLIENT and (before, after) not in STEP_BACKS


def offered(before: Phase | None, after: Phase | None) -> bool:
    """Whether the phase table offers this move (staying in a phase is no move)."""
    return before == after or (before, after) in OFFERED


@dataclass(frozen=True)
class Move:
    """One phase-change decision as it stands today."""

    decision: Decision
    before: Phase | None
    in_effect: bool
    # The day it took effect (its date, or the client's confirmation); None while awaiting.
    effective: date | None

    @property
    def offered(self) -> bool:
        return offered(self.before, self.decision.phase)


@dataclass(frozen=True)
class PhaseNow:
    """The agreed phase now, the day it took effect, and a later move awaiting the client."""

    phase: Phase | None
    since: date | None
    awaiting: Decision | None
    moves: tuple[Move, ...]


def _confirmed(d: Decision, today: date) -> bool:
    # The confirmation date decides when given; otherwise the awaiting flag (absent: confirmed).
    if d.confirmed_on is not None:
        return d.confirmed_on <= today
    return not d.awaiting


def current_phase(decisions: Iterable[Decision], today: date) -> PhaseNow:
    """The agreed phase now: the latest phase change in effect, in decision-date order.

    A move that needs the client's confirmation and has none yet is skipped
    (it is ``awaiting`` while no later decision has taken effect); a confirmed
    one takes effect on its confirmation date.
    """
    phase: Phase | None = None
    since: date | None = None
    awaiting: Decision | None = None
    moves: list[Move] = []
    for d in sorted((d for d in decisions if d.kind == "change"), key=lambda d: d.date):
        if d.date > today:
            continue
        before = phase
        if needs_confirmation(before, d.phase):
            if not _confirmed(d, today):
                awaiting = d
                moves.append(Move(d, before, False, None))
                continue
            effective = max(d.date, d.confirmed_on) if d.confirmed_on is not None else d.date
        else:
            effective = d.date
        phase, since, awaiting = d.phase, effective, None
        moves.append(Move(d, before, True, effective))
    return PhaseNow(phase, since, awaiting, tuple(moves))


def phase_sentences(now: PhaseNow) -> list[str]:
    """The trace's sentences: the agreed phase, a move awaiting the client, off-table moves."""
    out = [
        f"Agreed phase: {PHASE_NAMES[now.phase]}"
        + (f" since {now.since.isoformat()}." if now.since else ".")
    ]
    if now.awaiting is not None:
        out.append(
            f"{PHASE_NAMES[now.awaiting.phase]} agreed on {now.awaiting.date.isoformat()}, "
            "awaiting the client's confirmation."
        )
    for m in now.moves:
        if m.offered:
            continue
        move = f"{_name(m.before)} → {_name(m.decision.phase)}"
        reason = m.decision.reason.strip()
        written = f"the reason written: '{reason}'" if reason else "no reason was written"
        out.append(
            f"The move {move} on {m.decision.date.isoformat()} is not one the phase table "
            f"offers; {written}."
        )
    return out


def _name(phase: Phase | None) -> str:
    return "no phase yet" if phase is None else PHASE_NAMES[phase]


__all__: Sequence[str] = (
    "CONFIRMED_BY_CLIENT",
    "OFFERED",
    "PHASE_NAMES",
    "STEP_BACKS",
    "Move",
    "PhaseNow",
    "current_phase",
    "needs_confirmation",
    "offered",
    "phase_sentences",
)
