"""The journey of one episode, and the before-session card: selectors (reads only).

:func:`build_journey` assembles the chart input (``plusone.charts.Journey``) from
the episode's sessions, administrations, skipped check-ins, goals, decisions and
logged ruptures, and adds what the page shows around the chart: the proposal
with its rule trace, alerts, sudden gains and milestones.

The session axis is the episode's attended sessions, numbered from 1. A
check-in belongs to the first session on or after the day it was completed (a
check-in precedes its session; the end-of-session reflection shares its day),
unless it names its session. A skipped check-in puts ``None`` ("not
completed") in the routine lanes of its session; a measure that was simply
not due is absent. The caller has already checked access.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import timezone

from plusone import charts
from plusone.charts.adapters import growth_from_instrument, symptoms_from_instrument
from plusone.clinical import queries, screens
from plusone.clinical.models import (
    CLIENT_PHASE_NAMES,
    Decision,
    Episode,
    Flag,
    Goal,
    Phase,
    Session,
)
from plusone.core.gains import sudden_gains
from plusone.core.instruments import load_instrument
from plusone.core.phases import needs_confirmation
from plusone.lockbox.queries import NOTHING, WITHHELD_MARKER, Withholding

log = logging.getLogger(__name__)

GROWTH_INSTRUMENTS = ("swls", "who5", "mhcsf", "mlq", "flourishing")
FELT_CHANGE_ITEMS: tuple[tuple[str, Literal["higher", "lower"]], ...] = (
    # (item id, better direction): "My life feels stuck" is better lower.
    ("felt_holds", "higher"),
    ("felt_understand_stuck", "higher"),
    ("felt_stuck", "lower"),
)
REFLECTION_ITEMS = ("reflection_heard", "reflection_matters", "reflection_fit")
REFLECTION_TEXT_ITEM = "reflection_not_right"

# DESIGN.md, "Alerts": each alert opens this checklist.
REVIEW_TOGETHER_CHECKLIST = (
    "Fit and alliance",
    "Life events",
    "Supports",
    "Risk",
    "Medical and medication",
    "Substances",
    "Focus",
)
# Therapist words for each proposal kind of plusone.core.propose (one list: the caseload
# uses it too).
PROPOSAL_WORDS = {
    "stabilizing": "Agree on Stabilizing",
    "plus_one": "+1 threshold",
    "good_enough_ending": "Good-enough ending",
    "stalled_review": "Stalled: review together",
    "deepening_or_ending": "Deepening or good-enough ending",
    "consolidating": "Consolidating (S2)",
    "ending": "Ending (good enough)",
    "spike_exit": "Spike: back to Stabilizing",
    "step_back_to_stabilizing": "Step back to Stabilizing",
    "step_back_to_deepening": "Step back to Deepening",
    "check_in_together": "Check in together",
}
# The therapist-only alerts, and a single spike ("spike: review"), in the order pages show
# them (DESIGN.md: shown on every staff page that shows the proposal).
ALERT_ORDER = ("deterioration", "not_progressing", "possible_rupture", "spike_review")
ALERT_LABELS = {
    "possible_rupture": "Possible rupture",
    "deterioration": "Deterioration",
    "not_progressing": "Not progressing",
    "spike_review": "Spike: review",
}


@dataclass(frozen=True)
class GainNote:
    """A sudden gain on the primary measure, in the therapist's words."""

    pre_session: int
    post_session: int
    pre_score: float
    post_score: float
    reversed: bool

    def __str__(self) -> str:
        text = (
            f"Sudden gain between sessions {self.pre_session} and {self.post_session}: "
            f"{self.pre_score:g} → {self.post_score:g}"
        )
        return text + (" (later reversed)" if self.reversed else "")


@dataclass(frozen=True)
class Milestone:
    """A phase decision drawn on the axis."""

    session: int
    decision: Decision
    label: str


@dataclass(frozen=True)
class EpisodeJourney:
    """Everything the journey pages show for one episode."""

    episode: Episode
    journey: charts.Journey
    phase: str
    client_phase: str
    proposal: Any | None
    alerts: tuple[str, ...]
    gains: tuple[GainNote, ...]
    milestones: tuple[Milestone, ...]
    flags: tuple[Flag, ...] = field(default=())
    # Marker rows for what the client withheld from this reader (plusone.lockbox).
    withheld: tuple[str, ...] = field(default=())
    withheld_record: bool = False
    # The secondary measure and the screens, each with its band, cutoff and date.
    screens: tuple[screens.ScreenLine, ...] = field(default=())
    # Beside the proposal: awaiting the client, held back, a consult (proposal_notes).
    notes: tuple[str, ...] = field(default=())

    @property
    def alert_labels(self) -> tuple[str, ...]:
        return tuple(ALERT_LABELS.get(a, a) for a in self.alerts)


class _Axis:
    """Session numbers by session id and by date."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.by_id = {s.pk: n for n, s in enumerate(sessions, start=1)}
        self.dates = [timezone.localdate(s.starts_at) for s in sessions]

    def number(self, session_id: Any, when: dt.datetime) -> int | None:
        """The session a check-in belongs to (module docstring), or None with no sessions."""
        if session_id in self.by_id:
            return self.by_id[session_id]
        if not self.sessions:
            return None
        i = bisect.bisect_left(self.dates, timezone.localdate(when))
        return min(i, len(self.sessions) - 1) + 1

    def on_or_before(self, day: dt.date) -> int | None:
        """The last session on or before ``day`` (the first, for an earlier day)."""
        if not self.sessions:
            return None
        return max(bisect.bisect_right(self.dates, day), 1)


def _attended(episode: Episode) -> list[Session]:
    return list(
        Session.objects.filter(episode=episode, status=Session.Status.ATTENDED).order_by(
            "starts_at"
        )
    )


def _administrations(episode: Episode) -> list[Any]:
    from plusone.measures.models import Administration

    # Plain rows of only what the lanes read: building model instances (and parsing
    # unused datetimes) was most of the journey's cost.
    fields = ("session_id", "instrument_key", "respondent", "answers", "total", "valid")
    return [
        _Row(*values)
        for values in Administration.objects.filter(episode=episode)
        .order_by("completed_at")
        .values_list(*fields, "completed_at", "pk", "band", "risk_item_only")
    ]


@dataclass(frozen=True)
class _Row:
    session_id: Any
    instrument_key: str
    respondent: str
    answers: dict[str, Any]
    total: float | None
    valid: bool
    completed_at: dt.datetime
    pk: Any = None
    band: str = ""
    risk_item_only: bool = False

    def given(self) -> screens.Given:
        return screens.Given(
            self.instrument_key, self.total, self.band, self.valid, self.answers, self.completed_at
        )


def _skipped_sessions(episode: Episode, axis: _Axis) -> set[int]:
    from plusone.measures.models import Sitting, SittingStatus

    skipped = Sitting.objects.filter(episode=episode, status=SittingStatus.SKIPPED)
    out = set()
    for sitting in skipped:
        number = axis.number(sitting.session_id, sitting.completed_at)
        if number is not None:
            out.add(number)
    return out


def _current_goals(episode: Episode) -> dict[int, Goal]:
    """The latest version of each active goal, by position."""
    goals: dict[int, Goal] = {}
    for goal in Goal.objects.filter(episode=episode, active=True).order_by("position", "version"):
        goals[goal.position] = goal
    return goals


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fill_not_completed(values: dict[int, float | None], skipped: Iterable[int]) -> None:
    for number in skipped:
        values.setdefault(number, None)


def _primary_gains(
    values: dict[int, float | None], rc_points: float | None, better: str
) -> tuple[list[charts.SuddenGain], list[GainNote]]:
    """Sudden gains over the completed primary scores, in session order."""
    numbers = sorted(n for n, v in values.items() if v is not None)
    scores = [values[n] for n in numbers]
    if not rc_points or len(scores) < 4:
        return [], []
    found = sudden_gains(
        scores, crit1=rc_points, better="higher" if better == "higher" else "lower"
    )
    marks = [charts.SuddenGain(numbers[g.pre_index], numbers[g.post_index]) for g in found]
    notes = [
        GainNote(
            numbers[g.pre_index],
            numbers[g.post_index],
            g.pre_score,
            g.post_score,
            g.reversal,
        )
        for g in found
    ]
    return marks, notes


def _milestones(decisions: list[Decision], axis: _Axis) -> list[Milestone]:
    out = []
    for d in decisions:
        if d.kind != Decision.Kind.PHASE_CHANGE or d.phase not in charts.PHASE_CLIENT_NAMES:
            continue
        number = axis.on_or_before(d.decided_on)
        if number is None:
            continue
        name = charts.PHASE_CLIENT_NAMES[d.phase]
        label = f"Back to {name[0].lower()}{name[1:]}" if d.reverses_id else name
        if d.confirmation == Decision.Confirmation.PENDING and needs_confirmation(None, d.phase):
            # Not in effect until the client confirms it (DESIGN.md).
            label += " (awaiting the client)"
        out.append(Milestone(number, d, label))
    return out


def proposal_notes(proposal: Any | None) -> tuple[str, ...]:
    """What the staff pages say beside the proposal: a move awaiting the client, a
    forward proposal held back, a suggested consult (plain sentences)."""
    if proposal is None:
        return ()
    notes = []
    if proposal.awaiting:
        since = f" on {proposal.awaiting_since:%-d %B %Y}" if proposal.awaiting_since else ""
        notes.append(
            f"{Phase(proposal.awaiting).label} agreed{since}, awaiting the client's "
            "confirmation: it takes effect when they confirm it."
        )
    if proposal.held:
        why = (
            "repair first: a possible rupture is open"
            if proposal.repair_first
            else "a move awaits the client's confirmation"
        )
        label = PROPOSAL_WORDS.get(proposal.held, proposal.held)
        notes.append(f"Held back ({why}): {label}.")
    if proposal.consult:
        notes.append("A medical or psychiatric consult is suggested.")
    return tuple(notes)


def _proposal(episode: Episode, today: dt.date) -> Any | None:
    """The rule engine's proposal now, or None if it cannot run (logged in full)."""
    from plusone.core.propose import propose
    from plusone.measures.actions import history_for

    history = history_for(episode)
    # A rule-engine failure must not hide the rest of the journey from the therapist.
    try:
        return propose(history, today=today)
    except Exception:
        log.exception("propose failed for an episode on the journey page")
        return None


def alerts_of(proposal: Any | None) -> tuple[str, ...]:
    """The proposal's alerts, and "spike_review" for a single spike, in a fixed order.

    Judged as of today, like the proposal itself: the caseload's summary row is
    re-judged whenever it is older than today, so every page agrees.
    """
    if proposal is None:
        return ()
    found = set(proposal.alerts) | ({"spike_review"} if proposal.spike_review else set())
    return tuple(a for a in ALERT_ORDER if a in found)


def _withheld_journey(episode: Episode) -> EpisodeJourney:
    """The journey of a record the client withheld whole: one marker, no content."""
    return EpisodeJourney(
        episode=episode,
        journey=charts.Journey(sessions=()),
        phase=WITHHELD_MARKER,
        client_phase=WITHHELD_MARKER,
        proposal=None,
        alerts=(),
        gains=(),
        milestones=(),
        withheld=(f"The whole record: {WITHHELD_MARKER}",),
        withheld_record=True,
    )


def _item_kind(a: _Row) -> str:
    return "observer_answer" if a.respondent == "observer" else "administration"


def build_journey(
    episode: Episode, *, today: dt.date, withheld: Withholding = NOTHING
) -> EpisodeJourney:
    """Assemble the journey of ``episode``: chart input, proposal, alerts, gains, milestones.

    ``withheld`` (``plusone.lockbox.queries.withheld_from``) leaves out what the
    client withheld from this reader and lists a marker row for each part.
    """
    if withheld.record:
        return _withheld_journey(episode)
    markers: list[str] = []
    axis = _Axis(_attended(episode))
    skipped = _skipped_sessions(episode, axis)
    primary_key = episode.primary_instrument
    primary: dict[int, float | None] = {}
    goal_values: dict[int, dict[int, float | None]] = {1: {}, 2: {}, 3: {}}
    felt: dict[str, dict[int, float | None]] = {k: {} for k, _ in FELT_CHANGE_ITEMS}
    growth: dict[str, dict[int, float | None]] = {}
    reflection: dict[int, float | None] = {}
    rating: dict[int, float | None] = {}
    given: list[screens.Given] = []
    for a in _administrations(episode):
        number = axis.number(a.session_id, a.completed_at)
        if withheld and withheld.hides(_item_kind(a), a.pk):
            if number is not None:
                markers.append(f"Session {number}, one measure: {WITHHELD_MARKER}")
            continue
        # The screens row reads every check-in, with or without a session to place it on.
        if a.respondent == "client" and not a.risk_item_only:
            given.append(a.given())
        if number is None:
            continue
        key = a.instrument_key
        if key == primary_key and a.respondent == "client":
            if a.valid and a.total is not None:
                primary[number] = a.total
        elif key == "personal_goals":
            for item_id, value in a.answers.items():
                position = int(item_id.rsplit("_", 1)[-1]) if item_id[-1:].isdigit() else 0
                if position in goal_values and _num(value) is not None:
                    goal_values[position][number] = _num(value)
        elif key == "felt_change":
            for item_id, _ in FELT_CHANGE_ITEMS:
                if _num(a.answers.get(item_id)) is not None:
                    felt[item_id][number] = _num(a.answers.get(item_id))
        elif key in GROWTH_INSTRUMENTS and a.valid and a.total is not None:
            growth.setdefault(key, {})[number] = a.total
        elif key == "session_reflection" and a.valid and a.total is not None:
            reflection[number] = a.total
        elif key == "therapist_rating" and a.valid and a.total is not None:
            rating[number] = a.total
    _fill_not_completed(primary, skipped)
    _fill_not_completed(reflection, skipped)

    instrument = load_instrument(primary_key)
    rc = instrument.rc.points if instrument.rc is not None else None
    marks, gain_notes = _primary_gains(primary, rc, instrument.direction)
    goals = _current_goals(episode)
    chart_goals = []
    for position, goal in sorted(goals.items()):
        values = goal_values[position]
        _fill_not_completed(values, skipped)
        if withheld and withheld.hides("goal", goal.goal_id):
            markers.append(f"Goal {position}: {WITHHELD_MARKER}")
            chart_goals.append(charts.Goal(wording=WITHHELD_MARKER, values={}))
            continue
        chart_goals.append(charts.Goal(wording=goal.text, values=values))
    felt_instrument = load_instrument("felt_change")
    felt_texts = {item.id: item.text or item.id for item in felt_instrument.items}
    felt_series = tuple(
        charts.Series(
            key=item_id, label=felt_texts.get(item_id, item_id), values=felt[item_id], better=better
        )
        for item_id, better in FELT_CHANGE_ITEMS
        if felt[item_id]
    )
    decisions = list(Decision.objects.filter(episode=episode).order_by("decided_on", "created_at"))
    milestones = _milestones(decisions, axis)
    events = tuple(
        charts.RelationshipEvent(
            session=axis.by_id[e.session_id], kind="repair" if e.kind == "repair" else "rupture"
        )
        for e in queries.rupture_events(episode)
        if e.session_id in axis.by_id
    )
    journey = charts.Journey(
        sessions=tuple(charts.Session(n, d) for n, d in enumerate(axis.dates, start=1)),
        intention=episode.s2_intention or "",
        goals=tuple(chart_goals),
        felt_change=felt_series,
        growth=tuple(
            growth_from_instrument(load_instrument(k), growth[k])
            for k in GROWTH_INSTRUMENTS
            if k in growth
        ),
        reflection=(
            charts.Series("reflection", "Session Reflection (client)", reflection)
            if any(v is not None for v in reflection.values())
            else None
        ),
        therapist_rating=(
            charts.Series("therapist_rating", "Therapist Rating", rating) if rating else None
        ),
        events=events,
        symptoms=symptoms_from_instrument(instrument, primary, sudden_gains=tuple(marks)),
        decisions=tuple(charts.Decision(m.session, m.decision.phase, m.label) for m in milestones),
    )
    # The rule trace quotes scores, so a reader with withheld items gets no proposal.
    proposal = None if withheld else _proposal(episode, today)
    if withheld:
        markers.append(f"Proposal and alerts: {WITHHELD_MARKER}")
    phase = _agreed_phase(decisions)
    return EpisodeJourney(
        episode=episode,
        journey=journey,
        phase=str(Phase(phase).label),
        client_phase=str(CLIENT_PHASE_NAMES[Phase(phase)]),
        proposal=proposal if proposal is not None and proposal.kind != "none" else None,
        alerts=() if withheld else alerts_of(proposal),
        notes=() if withheld else proposal_notes(proposal),
        gains=tuple(gain_notes),
        milestones=tuple(milestones),
        flags=tuple(_open_flags(episode)),
        withheld=tuple(markers),
        screens=screens.screens_row(episode, given=given, auditc_sex=episode.client.auditc_sex),
    )


def _agreed_phase(decisions: list[Decision]) -> str:
    from plusone.clinical.phase_now import phase_now

    return phase_now(decisions).phase or Phase.NONE


def _open_flags(episode: Episode) -> list[Flag]:
    return list(Flag.objects.filter(episode=episode, status=Flag.Status.OPEN).order_by("opened_at"))


# The before-session card ---------------------------------------------------------------


@dataclass(frozen=True)
class Reflection:
    """The client's last Session Reflection: the three items, the mean and the free text."""

    completed_at: dt.datetime
    items: tuple[tuple[str, float | None], ...]
    score: float | None
    text: str
    pk: Any = None


@dataclass(frozen=True)
class SessionCard:
    """What the therapist reads in the ten seconds before a session."""

    episode: Episode
    phase: str
    reflection: Reflection | None
    flags: tuple[Flag, ...]
    focus: str
    proposal: Any | None
    next_session: Session | None
    # Marker rows for what the client withheld from this reader (plusone.lockbox).
    withheld: tuple[str, ...] = field(default=())
    # The secondary measure and the screens, each with its band, cutoff and date.
    screens: tuple[screens.ScreenLine, ...] = field(default=())
    # The alerts and a single spike, as codes (ALERT_LABELS words them).
    alerts: tuple[str, ...] = ()
    # Beside the proposal: awaiting the client, held back, a consult (proposal_notes).
    notes: tuple[str, ...] = ()

    @property
    def alert_labels(self) -> tuple[str, ...]:
        return tuple(ALERT_LABELS.get(a, a) for a in self.alerts)


def _last_reflection(episode: Episode) -> Reflection | None:
    from plusone.measures.models import Administration

    latest = (
        Administration.objects.filter(
            episode=episode, instrument_key="session_reflection", respondent="client"
        )
        .order_by("-completed_at")
        .first()
    )
    if latest is None:
        return None
    texts = {item.id: item.text or item.id for item in load_instrument("session_reflection").items}
    try:
        free = json.loads(latest.free_text or "{}")
    except ValueError:
        free = {}
    return Reflection(
        completed_at=latest.completed_at,
        items=tuple((texts.get(i, i), _num(latest.answers.get(i))) for i in REFLECTION_ITEMS),
        score=latest.total if latest.valid else None,
        text=str(free.get(REFLECTION_TEXT_ITEM, "")).strip() if isinstance(free, dict) else "",
        pk=latest.pk,
    )


def session_card(
    episode: Episode, *, today: dt.date, now: dt.datetime, withheld: Withholding = NOTHING
) -> SessionCard:
    """The before-session card: last reflection and its text, open flags, the agreed
    focus (the latest decision's focus in the client's words) and a proposal, if any.

    Under a whole-record directive (``withheld``) the card holds only its marker.
    """
    if withheld.record:
        marker = f"The whole record: {WITHHELD_MARKER}"
        return SessionCard(episode, WITHHELD_MARKER, None, (), "", None, None, (marker,))
    decisions = list(Decision.objects.filter(episode=episode).order_by("decided_on", "created_at"))
    focus = next((d.focus for d in reversed(decisions) if d.focus.strip()), "")
    proposal = None if withheld else _proposal(episode, today)
    upcoming = (
        Session.objects.filter(episode=episode, status=Session.Status.SCHEDULED, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    reflection = _last_reflection(episode)
    markers: tuple[str, ...] = ()
    if reflection is not None and withheld.hides("administration", reflection.pk):
        reflection, markers = None, (f"Last Session Reflection: {WITHHELD_MARKER}",)
    if withheld:
        markers += (f"Proposal: {WITHHELD_MARKER}",)
    given = screens.given_for(episode)
    shown = [g for g in given if not withheld.hides("administration", g.pk)]
    if len(shown) < len(given):
        markers += (f"Screens, {len(given) - len(shown)} measure(s): {WITHHELD_MARKER}",)
    return SessionCard(
        episode=episode,
        phase=str(Phase(_agreed_phase(decisions)).label),
        reflection=reflection,
        withheld=markers,
        flags=tuple(_open_flags(episode)),
        focus=focus,
        proposal=proposal if proposal is not None and proposal.kind != "none" else None,
        next_session=upcoming,
        screens=screens.screens_row(episode, given=shown, auditc_sex=episode.client.auditc_sex),
        alerts=() if withheld else alerts_of(proposal),
        notes=() if withheld else proposal_notes(proposal),
    )
