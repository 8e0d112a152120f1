"""Plain, typed inputs for one client's episode: what ``propose`` reads.

Everything here is data that has already been scored (``plusone.core.scoring``);
the rule engine never re-scores answers. Dates are calendar dates in the
practice's time zone. The web app builds these from its rows; ``plusone
analyze`` builds them (or their columnar twin in ``plusone.core.batch``) from a
caseload export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Phase = Literal["stabilizing", "plus_one", "deepening", "consolidating", "ending"]
PHASES: tuple[Phase, ...] = ("stabilizing", "plus_one", "deepening", "consolidating", "ending")

DecisionKind = Literal["change", "no_change"]


@dataclass(frozen=True)
class Administration:
    """One sitting of one instrument, already scored.

    ``valid`` is False when the score could not be computed (too many missing
    items); a prorated score is valid. ``band`` is the band label (the MHC-SF
    rule gives "flourishing"). ``risk_grade`` is the highest risk grade among
    the answers (0 = none).
    """

    instrument: str
    completed: dt.date
    total: float | None
    valid: bool = True
    session: int | None = None
    prorated: bool = False
    band: str | None = None
    risk_grade: int = 0
    answers: Mapping[str, int | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class GoalRating:
    """One 0-10 rating of one personal goal, under the goal version it was given for.

    ``version`` is the version of the goal the client rated (a rating stays with
    it when the goal is reworded later); ``label`` is that version's words, which
    the trace shows. ``position`` (1, 2, 3) names a goal with no label ("goal 2");
    the goal id is never shown.
    """

    goal_id: str
    version: int
    completed: dt.date
    rating: float
    label: str = ""
    position: int | None = None


@dataclass(frozen=True)
class FeltChange:
    """Felt Change, item by item (0-10 each, no total); None = not answered."""

    completed: dt.date
    holds: float | None
    understands: float | None = None
    stuck: float | None = None


@dataclass(frozen=True)
class Reflection:
    """The client's Session Reflection: three 0-10 items and whether the free-text line was used."""

    completed: dt.date
    items: tuple[float | None, ...]
    free_text: bool = False


@dataclass(frozen=True)
class TherapistRating:
    """The therapist's three-item rating of the same session."""

    completed: dt.date
    items: tuple[float | None, ...]


@dataclass(frozen=True)
class RiskFlag:
    """A risk flag; open until a clinician acknowledges it."""

    instrument: str
    item_id: str
    grade: int
    opened: dt.date
    acknowledged: dt.date | None = None

    def is_open(self, today: dt.date) -> bool:
        return self.opened <= today and (self.acknowledged is None or self.acknowledged > today)


@dataclass(frozen=True)
class Decision:
    """A phase decision agreed by therapist and client.

    ``kind="change"`` moves the agreed phase to ``phase``. A move into Deepening,
    Consolidating or an Ending (not a step back) takes effect only when the
    client confirms it (``plusone.core.phases``): on ``confirmed_on`` when that
    is given, and otherwise at ``date`` unless ``awaiting`` is True (the client
    has not confirmed yet). Every other move, a step back and a decision to stay
    take effect on ``date`` whatever ``awaiting`` says. ``reason`` is the written
    reason for a move the phase table does not offer; the trace shows it.
    ``kind="no_change"`` answers a proposal (``proposal``, a proposal kind; None
    means every proposal) with "not now": it is not repeated before
    ``review_date`` (default: ``policy.decline_review_weeks`` after ``date``).
    """

    phase: Phase | None
    date: dt.date
    kind: DecisionKind = "change"
    review_date: dt.date | None = None
    proposal: str | None = None
    awaiting: bool = False
    confirmed_on: dt.date | None = None
    reason: str = ""


@dataclass(frozen=True)
class RuptureLog:
    """A rupture or a repair the therapist logged, on the date of its session.

    A logged rupture is a possible rupture until a repair is logged on or after
    its date; a repair resolves every rupture signal of the sessions up to it.
    """

    date: dt.date
    kind: Literal["rupture", "repair"] = "rupture"


@dataclass(frozen=True)
class Plan:
    """The parts of the measurement plan the rules read; ``primary`` overrides the history's."""

    primary: str | None = None


@dataclass(frozen=True)
class ClientHistory:
    """One client's episode.

    ``administrations`` holds every scored instrument (primary, secondary,
    growth, observer), dated by the day each was completed; ``sessions`` the
    dates of attended sessions. ``inactive_goals`` lists goal ids no longer
    active. ``therapist_ratings`` are compared with the client's reflection of
    the same day (the congruence gap); ``ruptures`` are the logged ruptures and
    repairs.
    """

    primary: str
    prior_therapy: bool = False
    administrations: tuple[Administration, ...] = ()
    goals: tuple[GoalRating, ...] = ()
    felt_change: tuple[FeltChange, ...] = ()
    reflections: tuple[Reflection, ...] = ()
    therapist_ratings: tuple[TherapistRating, ...] = ()
    sessions: tuple[dt.date, ...] = ()
    decisions: tuple[Decision, ...] = ()
    risk_flags: tuple[RiskFlag, ...] = ()
    inactive_goals: tuple[str, ...] = ()
    client: str = ""
    ruptures: tuple[RuptureLog, ...] = ()
