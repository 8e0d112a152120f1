"""The input of the journey chart: plain, frozen dataclasses with no Django in them.

One :class:`Journey` holds a session axis and the four lanes in DESIGN.md's order
(own words, growth, relationship, symptoms) plus the phase decisions.

Values are keyed by each point's ``number`` on the axis: the session number on an
axis of sessions only (:class:`Session` describes check-in points). The two kinds of
"no value" differ on purpose:

- a session number that is **absent** from ``values`` means the measure was not due at
  that session (a growth measure given every 4th session): the line runs on to the
  next administration;
- a session number mapped to ``None`` means the check-in was **not completed**: the
  line breaks there, and the data table says "not completed". Nothing is interpolated.

Every constructor validates what it is given and raises ``ValueError`` naming the
series, so a bad value never turns silently into a misplaced point.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Audience = Literal["therapist", "client"]
Better = Literal["lower", "higher"]
Phase = Literal["stabilizing", "plus_one", "deepening", "consolidating", "ending"]
EventKind = Literal["rupture", "repair"]
PointKind = Literal["session", "checkin"]
Values = Mapping[int, float | None]

# DESIGN.md, "Client-facing phase names": the only phase words a client ever sees.
PHASE_CLIENT_NAMES: dict[str, str] = {
    "stabilizing": "Finding steadier ground",
    "plus_one": "Choosing what's next",
    "deepening": "Deeper work",
    "consolidating": "Living it",
    "ending": "Finishing well",
}

PHASE_THERAPIST_NAMES: dict[str, str] = {
    "stabilizing": "Stabilizing",
    "plus_one": "+1 threshold",
    "deepening": "Deepening",
    "consolidating": "Consolidating",
    "ending": "Ending",
}

MAX_GOALS = 3


@dataclass(frozen=True)
class Session:
    """One point on the axis: its key, its date, and the words a reader sees for it.

    ``number`` keys every lane's values and orders the axis (strictly increasing). On an
    axis of sessions only it is the session's number in the episode. ``label`` is the
    text under the point and in the table's first column; blank, it is the number.

    ``kind="checkin"`` marks a check-in that no session holds (a check-in after the last
    session, or a second day's check-in before the same session): it is drawn with its
    own tick, its label (blank: "check-in") and its date always, and is not counted as
    a session. The caller passes the label in the reader's language.
    """

    number: int
    date: datetime.date
    label: str = ""
    kind: PointKind = "session"

    def __post_init__(self) -> None:
        if self.kind not in ("session", "checkin"):
            raise ValueError(f"session {self.number}: unknown kind {self.kind!r}")

    @property
    def shown(self) -> str:
        """The words under the point: its label, or else its number (or "check-in")."""
        label = " ".join(self.label.split())
        return label or (str(self.number) if self.kind == "session" else "check-in")


@dataclass(frozen=True)
class Scale:
    """A measure's score range and its better direction."""

    minimum: float
    maximum: float
    better: Better = "higher"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minimum) and math.isfinite(self.maximum)):
            raise ValueError("scale bounds must be finite")
        if self.maximum <= self.minimum:
            raise ValueError(f"scale maximum {self.maximum} is not above minimum {self.minimum}")

    def contains(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum


ZERO_TO_TEN = Scale(0, 10, "higher")


@dataclass(frozen=True)
class Series:
    """One line on a 0-10 plot (a Felt Change item, a reflection score).

    ``better`` is "lower" for an item such as "My life feels stuck".
    """

    key: str
    label: str
    values: Values
    better: Better = "higher"


@dataclass(frozen=True)
class Goal:
    """A personal goal rated 0-10, in the client's own words.

    ``short`` is the label on the chart; when blank, the wording is shortened.
    """

    wording: str
    values: Values
    short: str = ""


@dataclass(frozen=True)
class GrowthMeasure:
    """One growth instrument (SWLS, WHO-5, a licensed pack), drawn on its own scale.

    ``name`` is the therapist's label ("WHO-5"); ``client_name`` the plain words
    ("wellbeing"). WHO-5 is a wellbeing index and is never called flourishing.
    """

    key: str
    name: str
    client_name: str
    scale: Scale
    values: Values


@dataclass(frozen=True)
class RelationshipEvent:
    """A logged rupture or repair at a session (therapist view only)."""

    session: int
    kind: EventKind
    note: str = ""


@dataclass(frozen=True)
class Band:
    """A score band of the symptom measure, inclusive at both ends.

    ``client_label`` is the plain-words label for the client view; when blank, the
    client sees "<measure>: lower range" below the cutoff and "higher range" from it.
    """

    minimum: float
    maximum: float
    label: str
    client_label: str = ""


@dataclass(frozen=True)
class SuddenGain:
    """A sudden gain between two consecutive administrations (pre and post session)."""

    pre_session: int
    post_session: int


@dataclass(frozen=True)
class Symptoms:
    """The primary symptom measure: the safety floor.

    ``intake`` defaults to the first completed score. ``rc_points`` is the reliable
    change in points (DESIGN.md: the smallest whole-number change that is reliable).
    """

    key: str
    name: str
    client_name: str
    scale: Scale
    values: Values
    bands: tuple[Band, ...] = ()
    cutoff: float | None = None
    rc_points: float | None = None
    sudden_gains: tuple[SuddenGain, ...] = ()
    intake: float | None = None


@dataclass(frozen=True)
class Decision:
    """A recorded phase decision at a session, drawn as a milestone across all lanes.

    ``label`` overrides the client-facing phase name (e.g. "Back to steadier ground").
    """

    session: int
    phase: Phase
    label: str = ""


@dataclass(frozen=True)
class Moment:
    """A moment that matters, in the client's words, at a point of the axis. Never scored."""

    session: int
    day: datetime.date
    text: str


@dataclass(frozen=True)
class Journey:
    """Everything the journey chart draws, on one session axis."""

    sessions: tuple[Session, ...]
    intention: str = ""
    goals: tuple[Goal, ...] = ()
    felt_change: tuple[Series, ...] = ()
    growth: tuple[GrowthMeasure, ...] = ()
    reflection: Series | None = None
    therapist_rating: Series | None = None
    events: tuple[RelationshipEvent, ...] = ()
    symptoms: Symptoms | None = None
    decisions: tuple[Decision, ...] = field(default=())
    moments: tuple[Moment, ...] = ()

    def __post_init__(self) -> None:
        numbers = [s.number for s in self.sessions]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise ValueError("session numbers must be strictly increasing")
        if len(self.goals) > MAX_GOALS:
            raise ValueError(f"at most {MAX_GOALS} goals, got {len(self.goals)}")
        known = set(numbers)
        for name, values, scale in self._all_values():
            _check_values(name, values, scale, known)
        for event in self.events:
            _check_session(f"{event.kind} event", event.session, known)
        for moment in self.moments:
            _check_session("moment", moment.session, known)
        for decision in self.decisions:
            _check_session("decision", decision.session, known)
            if decision.phase not in PHASE_CLIENT_NAMES:
                raise ValueError(f"decision: unknown phase {decision.phase!r}")
        for measure in self.growth:
            if _is_who5(measure) and any(
                "flourish" in text.lower() for text in (measure.name, measure.client_name)
            ):
                raise ValueError("WHO-5 is a wellbeing index: never call it flourishing")
        if self.symptoms is not None:
            for gain in self.symptoms.sudden_gains:
                _check_session("sudden gain", gain.pre_session, known)
                _check_session("sudden gain", gain.post_session, known)

    def _all_values(self) -> list[tuple[str, Values, Scale]]:
        out: list[tuple[str, Values, Scale]] = []
        out += [(f"goal {g.short or g.wording!r}", g.values, ZERO_TO_TEN) for g in self.goals]
        out += [(f"felt change {s.key}", s.values, ZERO_TO_TEN) for s in self.felt_change]
        out += [(m.name, m.values, m.scale) for m in self.growth]
        for series in (self.reflection, self.therapist_rating):
            if series is not None:
                out.append((series.key, series.values, ZERO_TO_TEN))
        if self.symptoms is not None:
            out.append((self.symptoms.name, self.symptoms.values, self.symptoms.scale))
        return out


def _is_who5(measure: GrowthMeasure) -> bool:
    return measure.key.replace("-", "").lower() == "who5"


def _check_session(name: str, number: int, known: set[int]) -> None:
    if number not in known:
        raise ValueError(f"{name}: session {number} is not on the session axis")


def _check_values(name: str, values: Values, scale: Scale, known: set[int]) -> None:
    for number, value in values.items():
        _check_session(name, number, known)
        if value is None:
            continue
        if not math.isfinite(value) or not scale.contains(value):
            raise ValueError(
                f"{name}: value {value} at session {number} is outside "
                f"{scale.minimum:g}-{scale.maximum:g}"
            )
