"""The journey of one episode, and the before-session card: selectors (reads only).

:func:`build_journey` assembles the chart input (``plusone.charts.Journey``) from
the episode's sessions, administrations, skipped check-ins, goals, decisions and
logged ruptures, and adds what the page shows around the chart: the proposal
with its rule trace, alerts, sudden gains and milestones.

The session axis is the episode's attended sessions, numbered from 1. An
administration's date is the day it was completed. A check-in belongs to the
session it names, or else to the first session on or after its day (a check-in
precedes its session; the end-of-session reflection shares its day). A check-in
that no session can hold without overwriting another day's value of the same
instrument gets a point of its own, dated by its day and labelled "check-in":
one after the last session, or a second day's before the same session (the
session keeps a day that names it, else the nearest). Several administrations
of one instrument on one day: the last counts, and only within that day.
Sessions keep their numbers wherever a clinician reads them ("Session 5").

A skipped check-in puts ``None`` ("not completed") in the routine lanes of its
point; a measure that was simply not due is absent. The caller has already
checked access.

One module on purpose, though long: the page, the card and the review-together
layout read the same episode rows into the same chart input, with the query count
pinned by tests; split, each part would load the rows again or pass them around.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils import formats, timezone
from django.utils.translation import gettext

from plusone import charts
from plusone.charts.adapters import growth_from_instrument, symptoms_from_instrument
from plusone.clinical import queries
from plusone.clinical.models import (
    CLIENT_PHASE_NAMES,
    Client,
    Decision,
    Episode,
    Flag,
    Goal,
    Moment,
    Phase,
    ReleaseTiming,
    Session,
)
from plusone.clinical.phase_now import phase_now
from plusone.core.alerts import REFLECTION_ITEMS
from plusone.core.gains import sudden_gains
from plusone.core.instruments import load_instrument
from plusone.core.phases import needs_confirmation
from plusone.core.propose import propose
from plusone.insights.flags import FlagDetails, details, flags_of
from plusone.insights.relationship import rupture_trace as rupture_trace_of
from plusone.lockbox.queries import NOTHING, WITHHELD_MARKER, Withholding
from plusone.measures import screens
from plusone.measures.models import Administration, Sitting, SittingStatus
from plusone.measures.summary import history_for

log = logging.getLogger(__name__)

GROWTH_INSTRUMENTS = ("swls", "who5", "mhcsf", "mlq", "flourishing")
FELT_CHANGE_ITEMS: tuple[tuple[str, Literal["higher", "lower"]], ...] = (
    # (item id, better direction): "My life feels stuck" is better lower.
    ("felt_holds", "higher"),
    ("felt_understand_stuck", "higher"),
    ("felt_stuck", "lower"),
)
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
    """A sudden gain on the primary measure, in the therapist's words.

    ``pre_session`` and ``post_session`` are session numbers; a side that is a check-in
    with no session has ``None`` there and its day in ``pre_day`` or ``post_day``.
    """

    pre_session: int | None
    post_session: int | None
    pre_score: float
    post_score: float
    reversed: bool
    pre_day: dt.date | None = None
    post_day: dt.date | None = None

    def __str__(self) -> str:
        if self.pre_session is not None and self.post_session is not None:
            between = f"sessions {self.pre_session} and {self.post_session}"
        else:
            between = (
                f"{_place(self.pre_session, self.pre_day)} and "
                f"{_place(self.post_session, self.post_day)}"
            )
        text = f"Sudden gain between {between}: {self.pre_score:g} → {self.post_score:g}"
        return text + (" (later reversed)" if self.reversed else "")


def _place(session: int | None, day: dt.date | None) -> str:
    """A point in a sentence: "session 5", or "the check-in of 6 Dec 2026"."""
    if session is not None or day is None:
        return f"session {session}"
    return f"the check-in of {formats.date_format(day)}"


@dataclass(frozen=True)
class Milestone:
    """A phase decision drawn on the axis."""

    session: int
    decision: Decision
    label: str


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event under the lanes: a phase decision, or an acknowledged flag."""

    session: int
    milestone: Milestone | None = None
    flag: FlagDetails | None = None
    # Where it falls, in words: "Session 5", or "After session 5" for a day between.
    where: str = ""


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
    # Open flags, in words; the timeline holds the acknowledged ones.
    flags: tuple[FlagDetails, ...] = field(default=())
    timeline: tuple[TimelineEntry, ...] = field(default=())
    # A phase agreed but awaiting the client's confirmation (its label), or "".
    awaiting: str = ""
    # Marker rows for what the client withheld from this reader (plusone.lockbox).
    withheld: tuple[str, ...] = field(default=())
    withheld_record: bool = False
    # The secondary measure and the screens, each with its band, cutoff and date.
    screens: tuple[screens.ScreenLine, ...] = field(default=())
    # Beside the proposal: awaiting the client, held back, a consult (proposal_notes).
    notes: tuple[str, ...] = field(default=())
    # The rule trace's sentences about a possible rupture and "repair first".
    rupture_trace: tuple[str, ...] = field(default=())

    @property
    def alert_labels(self) -> tuple[str, ...]:
        return tuple(ALERT_LABELS.get(a, a) for a in self.alerts)


@dataclass(frozen=True)
class _Point:
    """One point on the axis: a session, or a day of check-ins that no session holds."""

    key: int
    date: dt.date
    # The session's number in the episode; None for a check-in point.
    session: int | None


@dataclass
class _Day:
    """One day's check-ins that belong to one session: does one name it, and what they hold."""

    named: bool = False
    instruments: set[str] = field(default_factory=set)


class _Axis:
    """The journey's axis (module docstring): its sessions, numbered from 1, and the
    check-in points. :meth:`place` lays it out once from everything drawn on it; then
    :meth:`key` says where a check-in goes and ``points`` lists the axis in date order."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.by_id = {s.pk: n for n, s in enumerate(sessions, start=1)}
        self.dates = [timezone.localdate(s.starts_at) for s in sessions]
        # (session, day) pairs whose check-ins the session cannot hold: they get a point.
        self.moved: set[tuple[int, dt.date]] = set()
        self.points = [_Point(n, d, n) for n, d in enumerate(self.dates, start=1)]
        self._session_keys = {n: n for n in self.by_id.values()}
        self._day_keys: dict[dt.date, int] = {}

    def home(self, session_id: Any, when: dt.datetime) -> int | None:
        """The session a check-in belongs to: the one it names, else the first on or after
        the day it was completed; None after the last session (or with none)."""
        if session_id in self.by_id:
            return self.by_id[session_id]
        i = bisect.bisect_left(self.dates, timezone.localdate(when))
        return i + 1 if i < len(self.sessions) else None

    def place(self, check_ins: Iterable[tuple[Any, dt.datetime, str]]) -> None:
        """Lay out the axis from (session id, completed at, instrument) of everything drawn
        on it ("" for a skipped check-in, which never displaces anything).

        Of the days whose check-ins belong to one session, the session keeps the day of a
        check-in that names it, else the day nearest it (the latest, for check-ins that
        precede it), and any other day that shares no instrument with the days it keeps.
        A day's check-in moves whole: each day the session does not keep, and each day
        after the last session, gets a point of its own.
        """
        claims: dict[int, dict[dt.date, _Day]] = {}
        own_days: set[dt.date] = set()
        for session_id, when, instrument in check_ins:
            day, home = timezone.localdate(when), self.home(session_id, when)
            if home is None:
                own_days.add(day)
                continue
            claim = claims.setdefault(home, {}).setdefault(day, _Day())
            claim.named = claim.named or session_id in self.by_id
            if instrument:
                claim.instruments.add(instrument)
        for home, days in claims.items():
            kept: set[str] = set()
            held = self.dates[home - 1]
            # A day that names the session first, then the day nearest it (the later, on a tie).
            for day in sorted(
                days, key=lambda d: (days[d].named, -abs((d - held).days), d), reverse=True
            ):
                if days[day].instruments & kept:
                    self.moved.add((home, day))
                    own_days.add(day)
                else:
                    kept |= days[day].instruments
        # A check-in point comes before a session on the same day: a check-in precedes it.
        order = sorted(
            [(d, 1, n) for n, d in enumerate(self.dates, start=1)] + [(d, 0, 0) for d in own_days]
        )
        self.points = [_Point(k, d, n or None) for k, (d, _, n) in enumerate(order, start=1)]
        self._session_keys = {p.session: p.key for p in self.points if p.session is not None}
        self._day_keys = {p.date: p.key for p in self.points if p.session is None}

    def key(self, session_id: Any, when: dt.datetime) -> int | None:
        """The point a placed check-in is drawn at (None for one that was never placed)."""
        home = self.home(session_id, when)
        day = timezone.localdate(when)
        if home is not None and (home, day) not in self.moved:
            return self._session_keys[home]
        return self._day_keys.get(day)

    def name(self, session_id: Any, when: dt.datetime) -> str:
        """Where a check-in sits, in words: "Session 5", or "The check-in of 6 Dec 2026"."""
        home = self.home(session_id, when)
        day = timezone.localdate(when)
        where = _place(home if (home, day) not in self.moved else None, day)
        return where[:1].upper() + where[1:]

    def session_key(self, number: int) -> int:
        """The point of session ``number``."""
        return self._session_keys[number]

    def on_or_before(self, day: dt.date) -> int | None:
        """The last session on or before ``day`` (the first, for an earlier day)."""
        if not self.sessions:
            return None
        return max(bisect.bisect_right(self.dates, day), 1)

    def chart_sessions(self) -> tuple[charts.Session, ...]:
        """The points for the chart: sessions by their number, check-ins by their day."""
        check_in = gettext("check-in")
        return tuple(
            charts.Session(p.key, p.date, str(p.session))
            if p.session is not None
            else charts.Session(p.key, p.date, check_in, kind="checkin")
            for p in self.points
        )


def _attended(episode: Episode) -> list[Session]:
    return list(
        Session.objects.filter(episode=episode, status=Session.Status.ATTENDED).order_by(
            "starts_at"
        )
    )


def _administrations(episode: Episode) -> list[Any]:
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


def _skipped(episode: Episode) -> list[tuple[Any, dt.datetime]]:
    """(session id, completed at) of every skipped check-in of the episode."""
    return list(
        Sitting.objects.filter(episode=episode, status=SittingStatus.SKIPPED).values_list(
            "session_id", "completed_at"
        )
    )


def _readings(a: _Row, primary_key: str) -> list[tuple[str, float]]:
    """What one administration draws on the axis, as (lane, value) pairs: none for a
    measure the lanes do not show (a screen, the secondary, an invalid score)."""
    key = a.instrument_key
    complete = a.valid and a.total is not None
    if key == primary_key and a.respondent == "client":
        return [("primary", float(a.total))] if complete and a.total is not None else []
    if key == "personal_goals":
        out = []
        for item_id, value in a.answers.items():
            position = int(item_id.rsplit("_", 1)[-1]) if item_id[-1:].isdigit() else 0
            if position in (1, 2, 3) and (number := _num(value)) is not None:
                out.append((f"goal_{position}", number))
        return out
    if key == "felt_change":
        return [
            (item_id, number)
            for item_id, _ in FELT_CHANGE_ITEMS
            if (number := _num(a.answers.get(item_id))) is not None
        ]
    if not complete or a.total is None:
        return []
    if key in GROWTH_INSTRUMENTS:
        return [(f"growth:{key}", float(a.total))]
    if key == "session_reflection":
        return [("reflection", float(a.total))]
    if key == "therapist_rating":
        return [("rating", float(a.total))]
    return []


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
    values: dict[int, float | None], rc_points: float | None, better: str, axis: _Axis
) -> tuple[list[charts.SuddenGain], list[GainNote]]:
    """Sudden gains over the completed primary scores, in the axis's order."""
    numbers = sorted(n for n, v in values.items() if v is not None)
    scores = [values[n] for n in numbers]
    if not rc_points or len(scores) < 4:
        return [], []
    found = sudden_gains(
        scores, crit1=rc_points, better="higher" if better == "higher" else "lower"
    )
    marks = [charts.SuddenGain(numbers[g.pre_index], numbers[g.post_index]) for g in found]
    notes = []
    for g in found:
        pre, post = axis.points[numbers[g.pre_index] - 1], axis.points[numbers[g.post_index] - 1]
        notes.append(
            GainNote(
                pre.session,
                post.session,
                g.pre_score,
                g.post_score,
                g.reversal,
                pre_day=None if pre.session is not None else pre.date,
                post_day=None if post.session is not None else post.date,
            )
        )
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
    episode: Episode,
    *,
    today: dt.date,
    withheld: Withholding = NOTHING,
    judge: bool = True,
    moments: Iterable[Moment] = (),
) -> EpisodeJourney:
    """Assemble the journey of ``episode``: chart input, proposal, alerts, gains, milestones.

    ``withheld`` (``plusone.lockbox.queries.withheld_from``) leaves out what the
    client withheld from this reader and lists a marker row for each part.
    ``judge`` False leaves out the proposal, alerts and flags (the client's own journey
    never shows them). ``moments`` are drawn on the own-words lane.
    """
    if withheld.record:
        return _withheld_journey(episode)
    markers: list[str] = []
    axis = _Axis(_attended(episode))
    primary_key = episode.primary_instrument
    given: list[screens.Given] = []
    hidden: list[_Row] = []
    drawn: list[tuple[_Row, list[tuple[str, float]]]] = []
    for a in _administrations(episode):
        if withheld and withheld.hides(_item_kind(a), a.pk):
            hidden.append(a)
            continue
        # The screens row reads every check-in, with or without a session to place it on.
        if a.respondent == "client" and not a.risk_item_only:
            given.append(a.given())
        readings = _readings(a, primary_key)
        if readings:
            drawn.append((a, readings))
    skips = _skipped(episode)
    axis.place(
        [(a.session_id, a.completed_at, a.instrument_key) for a, _ in drawn]
        + [(session_id, when, "") for session_id, when in skips]
    )
    markers += [
        f"{axis.name(a.session_id, a.completed_at)}, one measure: {WITHHELD_MARKER}" for a in hidden
    ]
    # By lane, then point: rows come in completed order, so the last of a day counts.
    lanes: dict[str, dict[int, float | None]] = {}
    for a, readings in drawn:
        point = axis.key(a.session_id, a.completed_at)
        for lane, value in readings:
            lanes.setdefault(lane, {})[point] = value
    skipped = {axis.key(session_id, when) for session_id, when in skips} - {None}
    primary = lanes.get("primary", {})
    reflection = lanes.get("reflection", {})
    rating = lanes.get("rating", {})
    goal_values = {position: lanes.get(f"goal_{position}", {}) for position in (1, 2, 3)}
    felt = {item_id: lanes.get(item_id, {}) for item_id, _ in FELT_CHANGE_ITEMS}
    growth = {k: lanes[f"growth:{k}"] for k in GROWTH_INSTRUMENTS if f"growth:{k}" in lanes}
    _fill_not_completed(primary, skipped)
    # The reflection is the session's own: a check-in point has none to miss.
    sessions = {p.key for p in axis.points if p.session is not None}
    _fill_not_completed(reflection, sessions & skipped)

    instrument = load_instrument(primary_key)
    rc = instrument.rc.points if instrument.rc is not None else None
    marks, gain_notes = _primary_gains(primary, rc, instrument.direction, axis)
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
            session=axis.session_key(axis.by_id[e.session_id]),
            kind="repair" if e.kind == "repair" else "rupture",
        )
        for e in queries.rupture_events(episode)
        if e.session_id in axis.by_id
    )
    journey = charts.Journey(
        sessions=axis.chart_sessions(),
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
        decisions=tuple(
            charts.Decision(axis.session_key(m.session), m.decision.phase, m.label)
            for m in milestones
        ),
        moments=_chart_moments(moments, axis),
    )
    # The rule trace quotes scores, so a reader with withheld items gets no proposal.
    proposal = None if withheld or not judge else _proposal(episode, today)
    if withheld:
        markers.append(f"Proposal and alerts: {WITHHELD_MARKER}")
    agreed = phase_now(decisions, today=today)
    phase = agreed.phase or Phase.NONE
    flags = details(flags_of(episode), episode=episode, today=today) if judge else []
    timeline = [TimelineEntry(m.session, milestone=m) for m in milestones] + [
        _flag_entry(f, axis) for f in flags if not f.open
    ]
    return EpisodeJourney(
        episode=episode,
        journey=journey,
        phase=str(Phase(phase).label),
        client_phase=str(CLIENT_PHASE_NAMES[Phase(phase)]),
        proposal=proposal if proposal is not None and proposal.kind != "none" else None,
        alerts=() if withheld else alerts_of(proposal),
        notes=() if withheld else proposal_notes(proposal),
        rupture_trace=() if withheld else rupture_trace_of(proposal),
        gains=tuple(gain_notes),
        milestones=tuple(milestones),
        flags=tuple(f for f in flags if f.open),
        timeline=tuple(sorted(timeline, key=_when)),
        awaiting=_awaiting_label(agreed),
        withheld=tuple(markers),
        screens=screens.screens_row(episode, given=given, auditc_sex=episode.client.auditc_sex),
    )


def _chart_moments(moments: Iterable[Moment], axis: _Axis) -> tuple[charts.Moment, ...]:
    """Moments that matter on the axis: at the last session on or before their day."""
    out = []
    for m in moments:
        number = axis.on_or_before(m.happened_on)
        if number is not None:
            out.append(charts.Moment(axis.session_key(number), m.happened_on, m.text))
    return tuple(out)


def unreleased_rows(episode: Episode, client: Client) -> list[tuple[Any, Any]]:
    """(administration, sitting) of what the client does not see yet: nothing when they
    chose "at once"; else the administrations of sittings not yet looked at together."""
    if client.release_timing == ReleaseTiming.AT_ONCE:
        return []
    return list(
        Administration.objects.filter(
            episode=episode, sitting__isnull=False, sitting__looked_at_together_at__isnull=True
        ).values_list("pk", "sitting_id")
    )


def unreleased(episode: Episode, client: Client) -> frozenset[tuple[str, Any]]:
    """:func:`unreleased_rows` as lockbox items. The portal and the client's progress
    report both honour it."""
    return frozenset(("administration", pk) for pk, _ in unreleased_rows(episode, client))


def moments_of(episode: Episode) -> list[Moment]:
    """The episode's moments that matter, oldest first (removed ones left out)."""
    return list(Moment.objects.filter(episode=episode, removed_at__isnull=True))


def _flag_entry(f: FlagDetails, axis: _Axis) -> TimelineEntry:
    """An acknowledged flag on the timeline, at the session of its day or after the one
    before it."""
    day = timezone.localdate(f.flag.opened_at)
    number = axis.on_or_before(day)
    if number is None:
        return TimelineEntry(0, flag=f)
    on = axis.dates[number - 1] == day
    return TimelineEntry(number, flag=f, where=f"{'Session' if on else 'After session'} {number}")


def _awaiting_label(agreed: Any) -> str:
    """The phase awaiting the client's confirmation, as its label ("" for none)."""
    return str(Phase(agreed.awaiting.phase).label) if agreed.awaiting is not None else ""


def _when(entry: TimelineEntry) -> tuple[int, dt.date]:
    if entry.milestone is not None:
        return entry.session, entry.milestone.decision.decided_on
    assert entry.flag is not None
    return entry.session, timezone.localdate(entry.flag.flag.opened_at)


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
    flags: tuple[FlagDetails, ...]
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
    # A phase agreed but awaiting the client's confirmation (its label), or "".
    awaiting: str = ""
    # The rule trace's sentences about a possible rupture and "repair first".
    rupture_trace: tuple[str, ...] = ()

    @property
    def alert_labels(self) -> tuple[str, ...]:
        return tuple(ALERT_LABELS.get(a, a) for a in self.alerts)


def _last_reflection(episode: Episode) -> Reflection | None:
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
    agreed = phase_now(decisions, today=today)
    open_flags = flags_of(episode, status=Flag.Status.OPEN)
    return SessionCard(
        episode=episode,
        phase=str(Phase(agreed.phase or Phase.NONE).label),
        awaiting=_awaiting_label(agreed),
        reflection=reflection,
        withheld=markers,
        flags=tuple(details(open_flags, episode=episode, today=today)),
        focus=focus,
        proposal=proposal if proposal is not None and proposal.kind != "none" else None,
        next_session=upcoming,
        screens=screens.screens_row(episode, given=shown, auditc_sex=episode.client.auditc_sex),
        alerts=() if withheld else alerts_of(proposal),
        notes=() if withheld else proposal_notes(proposal),
        rupture_trace=() if withheld else rupture_trace_of(proposal),
    )
