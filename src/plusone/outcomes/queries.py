"""The practice's descriptive outcomes: one therapist's caseload, or the whole practice.

Reads a fixed number of queries whatever the number of clients (one per table), then does
the arithmetic in ``plusone.core.outcomes``. The practice view pools every therapist: it
never groups or ranks by therapist (no league table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from plusone.accounts.models import Membership, Practice, Role, User
from plusone.clinical.models import Decision, Episode, EpisodeSummary, Phase, Session
from plusone.core.measure_info import measure_info
from plusone.core.outcomes import (
    MedianInterval,
    Proportion,
    episode_change,
    follow_up_holds,
    median_interval,
    wilson,
)
from plusone.measures.models import Administration, Context, Respondent, Sitting, SittingStatus
from plusone.tokens.models import AccessToken, Purpose
from plusone.web.ids import uuid_or_404

TORONTO = ZoneInfo("America/Toronto")
# Attended sessions that count as treatment: the intake is an assessment (NHS Talking
# Therapies counts treatment appointments only).
TREATMENT_KINDS = (Session.Kind.ROUTINE, Session.Kind.REVIEW)
# The published figure the recovery rate is set beside (docs/outcomes.md gives the source).
NHS_TT_RECOVERY = 0.508
NHS_TT_SOURCE = (
    "NHS Digital, Psychological Therapies: Annual report on the use of IAPT services, "
    "England, 2017-18: 50.8% of referrals that finished a course of treatment "
    "(at least two attended treatment appointments) and were at caseness at the start "
    "moved to recovery"
)


@dataclass(frozen=True)
class Figure:
    """One proportion on the page: what it counts, among whom, with its interval."""

    label: str
    among: str
    value: Proportion

    @property
    def share(self) -> str:
        share = self.value.share
        return "none counted" if share is None else _pct(share)

    @property
    def interval(self) -> str:
        low, high = self.value.low, self.value.high
        return "no interval" if low is None or high is None else f"{_pct(low)} to {_pct(high)}"


@dataclass(frozen=True)
class MedianFigure:
    label: str
    among: str
    unit: str
    value: MedianInterval

    @property
    def median(self) -> str:
        m = self.value.median
        return "none counted" if m is None else f"{m:.1f} {self.unit}"

    @property
    def interval(self) -> str:
        low, high = self.value.low, self.value.high
        if low is None or high is None:
            return (
                "too few for a 95% interval (6 or more needed)" if self.value.n else "no interval"
            )
        return f"{low:.1f} to {high:.1f} {self.unit}"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


@dataclass
class Outcomes:
    """Every figure of one outcomes page."""

    open_episodes: int = 0
    ended_episodes: int = 0
    figures: list[Figure] = field(default_factory=list)
    medians: list[MedianFigure] = field(default_factory=list)
    comparison: Figure | None = None
    not_at_caseness: int = 0
    too_few_scores: int = 0
    no_rule: int = 0


@dataclass
class _Episode:
    id: UUID
    status: str
    primary: str
    scores: list[tuple[dt.date, float]] = field(default_factory=list)
    treatment_sessions: list[dt.date] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def access_therapist_outcomes(user: User, therapist_id: Any) -> Practice:
    """The practice of the therapist page ``therapist_id``, for that therapist alone.

    Anyone else's page is "not there" (404), exactly like a random id.
    """
    wanted = uuid_or_404(therapist_id)
    membership = (
        Membership.objects.filter(user=user, role=Role.THERAPIST)
        .select_related("practice")
        .order_by("created_at")
        .first()
    )
    if membership is None or wanted != user.pk:
        raise Http404
    return membership.practice


def admin_practice(user: User) -> Practice:
    """The practice ``user`` administers (404 when none)."""
    membership = (
        Membership.objects.filter(user=user, role=Role.ADMIN)
        .select_related("practice")
        .order_by("created_at")
        .first()
    )
    if membership is None:
        raise Http404
    return membership.practice


def outcomes(practice: Practice, *, therapist: User | None = None) -> Outcomes:
    """The figures for ``therapist``'s caseload, or for the whole practice when None."""
    scope = Q(practice=practice)
    if therapist is not None:
        scope &= Q(client__therapist=therapist)
    episodes = {
        row["id"]: _Episode(row["id"], row["status"], row["primary_instrument"])
        for row in Episode.objects.filter(scope).values("id", "status", "primary_instrument")
    }
    in_scope = Episode.objects.filter(scope).values("id")
    _read_scores(episodes, in_scope)
    for session in Session.objects.filter(
        episode__in=in_scope, status=Session.Status.ATTENDED, kind__in=TREATMENT_KINDS
    ).values("episode_id", "starts_at"):
        episodes[session["episode_id"]].treatment_sessions.append(
            session["starts_at"].astimezone(TORONTO).date()
        )
    for decision in Decision.objects.filter(episode__in=in_scope).values(
        "id", "episode_id", "phase", "kind", "decided_on", "proposal_kind", "reverses_id"
    ):
        episodes[decision["episode_id"]].decisions.append(decision)
    out = Outcomes()
    out.open_episodes = sum(e.status == Episode.Status.OPEN for e in episodes.values())
    out.ended_episodes = len(episodes) - out.open_episodes
    out.figures.append(
        Figure("Ended", "episodes", wilson(out.ended_episodes, len(episodes))),
    )
    _change_figures(out, episodes.values())
    _decision_figures(out, episodes.values(), in_scope)
    _checkin_figures(out, in_scope)
    return out


def _read_scores(episodes: dict[UUID, _Episode], in_scope: Any) -> None:
    rows = (
        Administration.objects.filter(
            episode__in=in_scope,
            respondent=Respondent.CLIENT,
            valid=True,
            total__isnull=False,
        )
        .order_by("completed_at")
        .values("episode_id", "instrument_key", "total", "completed_at")
    )
    for row in rows:
        episode = episodes[row["episode_id"]]
        if row["instrument_key"] == episode.primary:
            day = row["completed_at"].astimezone(TORONTO).date()
            episode.scores.append((day, float(row["total"])))


def _live(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Phase changes still standing: neither reversed nor themselves a reversal."""
    reversed_ids = {d["reverses_id"] for d in decisions if d["reverses_id"]}
    return [
        d
        for d in decisions
        if d["kind"] == Decision.Kind.PHASE_CHANGE
        and not d["reverses_id"]
        and d["id"] not in reversed_ids
    ]


def _ending_day(episode: _Episode) -> dt.date | None:
    endings = [d["decided_on"] for d in _live(episode.decisions) if d["phase"] == Phase.ENDING]
    return max(endings) if endings else None


def _change_figures(out: Outcomes, episodes: Any) -> None:
    cases = improved = recovered = worse = 0
    finished = finished_recovered = 0
    held = followed = 0
    for episode in episodes:
        info = measure_info(episode.primary)
        ending = _ending_day(episode)
        # The core Ending rule: administrations after the Ending decision are follow-ups.
        before = [s for d, s in episode.scores if ending is None or d <= ending]
        after = [s for d, s in episode.scores if ending is not None and d > ending]
        if after:
            followed += 1
            held += follow_up_holds(before[-1] if before else None, after[-1], info=info)
        if len(before) < 2:
            out.too_few_scores += 1
            continue
        change = episode_change(before[0], before[-1], info=info)
        if change is None:
            out.no_rule += 1
            continue
        if not change.at_caseness:
            out.not_at_caseness += 1
            continue
        cases += 1
        improved += change.reliable_improvement
        recovered += change.recovered
        worse += change.reliable_deterioration
        # NHS Talking Therapies: finished = ended with at least two treatment sessions.
        if episode.status == Episode.Status.CLOSED and len(episode.treatment_sessions) >= 2:
            finished += 1
            finished_recovered += change.recovered
    among = "clients at caseness at intake, with two scores or more"
    out.figures += [
        Figure("Reliable improvement", among, wilson(improved, cases)),
        Figure("Recovery", among, wilson(recovered, cases)),
        Figure("Reliable deterioration", among, wilson(worse, cases)),
        Figure(
            "Follow-ups that hold",
            "episodes with an agreed Ending and a follow-up",
            wilson(held, followed),
        ),
    ]
    out.comparison = Figure(
        "Recovery, finished courses",
        "ended episodes with two treatment sessions or more, at caseness at intake",
        wilson(finished_recovered, finished),
    )


def _decision_figures(out: Outcomes, episodes: Any, in_scope: Any) -> None:
    answered = agreed = 0
    to_plus_one: list[float] = []
    ended = good_enough = 0
    for episode in episodes:
        live = _live(episode.decisions)
        for d in episode.decisions:
            if d["proposal_kind"] and not d["reverses_id"]:
                answered += 1
                agreed += d["kind"] == Decision.Kind.PHASE_CHANGE
        plus_one = [d["decided_on"] for d in live if d["phase"] == Phase.PLUS_ONE]
        if plus_one:
            first = min(plus_one)
            to_plus_one.append(sum(day <= first for day in episode.treatment_sessions))
        if episode.status == Episode.Status.CLOSED:
            ended += 1
            good_enough += any(d["phase"] == Phase.ENDING for d in live)
    waiting = (
        EpisodeSummary.objects.filter(episode__in=in_scope, episode__status=Episode.Status.OPEN)
        .exclude(proposal_kind__in=("", "none"))
        .count()
    )
    out.figures += [
        Figure("Proposals agreed", "proposals answered by a decision", wilson(agreed, answered)),
        Figure(
            "Proposals waiting for a decision",
            "open episodes",
            wilson(waiting, out.open_episodes),
        ),
        Figure("Good-enough endings", "ended episodes", wilson(good_enough, ended)),
    ]
    out.medians.append(
        MedianFigure(
            "Sessions to the +1 decision",
            "episodes with an agreed +1 threshold",
            "treatment sessions",
            median_interval(to_plus_one),
        )
    )


def _checkin_figures(out: Outcomes, in_scope: Any) -> None:
    # A resent link replaces the one before it: count each check-in once.
    links = (
        AccessToken.objects.filter(episode__in=in_scope, purpose=Purpose.CHECKIN)
        .annotate(resent=Exists(AccessToken.objects.filter(replaces=OuterRef("pk"))))
        .filter(resent=False)
        .values_list("used_at", flat=True)
    )
    used = list(links)
    out.figures.append(
        Figure(
            "Check-ins submitted",
            "check-in links issued",
            wilson(sum(u is not None for u in used), len(used)),
        )
    )
    seconds = Sitting.objects.filter(
        episode__in=in_scope,
        context=Context.CHECKIN,
        status=SittingStatus.COMPLETED,
        duration_seconds__gt=0,
    ).values_list("duration_seconds", flat=True)
    out.medians.append(
        MedianFigure(
            "Real check-in duration",
            "check-ins submitted by link",
            "minutes",
            median_interval([s / 60 for s in seconds]),
        )
    )
