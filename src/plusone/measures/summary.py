"""The episode summary: the rule engine's history of an episode, and the summary row the
caseload reads (DESIGN.md: proposals and alerts are judged as of today).

- :func:`histories_for` builds ``plusone.core.history.ClientHistory`` for many
  episodes in a constant number of queries; :func:`history_for` is its one-episode
  case. Both read the same rows the same way.
- :func:`refresh_summary` rewrites one episode's row inside the caller's
  transaction (a check-in's submit, a decision), judged by ``propose``.
- :func:`refresh_summaries` judges many episodes at once through the batch path
  (``plusone.core.batch``, tied to ``propose`` by a property test) and rewrites
  their proposal fields, stamping ``judged_on``; the caseload calls it for rows
  judged before today, and ``plusone daily`` for every open episode.

One module, a little over 400 lines, on purpose: the one-episode and the batch
paths must read the same rows the same way, so they sit side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from plusone.clinical import phase_now as phase_now_module
from plusone.clinical.actions import update_summary
from plusone.clinical.models import (
    Decision,
    Episode,
    EpisodeSummary,
    Flag,
    Goal,
    RuptureEvent,
    Session,
)
from plusone.core import history as h
from plusone.core.alerts import REFLECTION_ITEMS
from plusone.core.batch import caseload_from_histories, run_batch
from plusone.core.history import PHASES
from plusone.core.instruments import load_instrument
from plusone.core.propose import KINDS, propose
from plusone.measures.models import Administration, Sitting, SittingKind, SittingStatus

log = logging.getLogger(__name__)

# How many recent primary totals the summary keeps for the caseload's sparkline.
SUMMARY_TREND_LENGTH = 8
THERAPIST_RATING_ITEMS = ("therapist_heard", "therapist_matters", "therapist_fit")

# Where the decision names live now (re-exported for their old importers).
DECLINED_PROPOSAL_KINDS = phase_now_module.DECLINED_PROPOSAL_KINDS
AT_THRESHOLD = phase_now_module.AT_THRESHOLD
declined_proposal = phase_now_module.declined_proposal


# Histories -------------------------------------------------------------------------------


def history_for(episode: Episode) -> h.ClientHistory:
    """The rule engine's history of one episode (see :func:`histories_for`)."""
    return histories_for([episode])[episode.pk]


def histories_for(episodes: Sequence[Episode]) -> dict[Any, h.ClientHistory]:
    """Build ``ClientHistory`` for each episode from its rows, in a constant number of queries.

    Risk items asked on their own are left out of the scores (they have none);
    their flags, like every flag of the episode, are passed as ``risk_flags``.
    A declined decision passes the proposal it answered. Decisions waiting for
    the client's confirmation count: a decision takes effect when it is
    recorded, as docs/decisions.md says (the confirmation adds the client's
    own record and the consent row).
    """
    ids = [e.pk for e in episodes]
    local = timezone.localdate
    rows: dict[Any, list[Administration]] = defaultdict(list)
    for a in (
        Administration.objects.filter(episode_id__in=ids, risk_item_only=False)
        .annotate(session_starts_at=F("session__starts_at"))
        .order_by("completed_at")
    ):
        rows[a.episode_id].append(a)
    # Every version of every goal: a rating stays with the version it was given under.
    goals: dict[Any, dict[int, list[Goal]]] = defaultdict(lambda: defaultdict(list))
    for g in Goal.objects.filter(episode_id__in=ids).order_by("position", "version"):
        goals[g.episode_id][g.position].append(g)
    decisions: dict[Any, list[Decision]] = defaultdict(list)
    for d in Decision.objects.filter(episode_id__in=ids).order_by("decided_on", "created_at"):
        decisions[d.episode_id].append(d)
    sessions: dict[Any, list[dt.date]] = defaultdict(list)
    for episode_id, starts_at in (
        Session.objects.filter(episode_id__in=ids, status=Session.Status.ATTENDED)
        .order_by("starts_at")
        .values_list("episode_id", "starts_at")
    ):
        sessions[episode_id].append(local(starts_at))
    flags = _risk_flags(ids)
    # Logged ruptures and repairs, on the local date of their session.
    ruptures: dict[Any, list[h.RuptureLog]] = defaultdict(list)
    for episode_id, kind, starts_at in (
        RuptureEvent.objects.filter(episode_id__in=ids)
        .order_by("session__starts_at", "created_at")
        .values_list("episode_id", "kind", "session__starts_at")
    ):
        ruptures[episode_id].append(
            h.RuptureLog(date=local(starts_at), kind="repair" if kind == "repair" else "rupture")
        )
    out = {}
    for episode in episodes:
        out[episode.pk] = _history(
            episode,
            rows[episode.pk],
            goals[episode.pk],
            decisions[episode.pk],
            tuple(sessions[episode.pk]),
            flags.get(episode.pk, ()),
            tuple(ruptures[episode.pk]),
        )
    return out


def _goal_under(versions: list[Goal], at: dt.datetime) -> Goal | None:
    """The version of a goal in effect at ``at``: the latest created by then (the first
    version for a rating older than every version)."""
    current = None
    for goal in versions:
        if current is None or goal.created_at <= at:
            current = goal
    return current


def _history(
    episode: Episode,
    administrations: list[Administration],
    goals_by_position: dict[int, list[Goal]],
    decisions: list[Decision],
    sessions: tuple[dt.date, ...],
    risk_flags: tuple[h.RiskFlag, ...],
    ruptures: tuple[h.RuptureLog, ...],
) -> h.ClientHistory:
    local = timezone.localdate
    admins: list[h.Administration] = []
    goal_ratings: list[h.GoalRating] = []
    felt: list[h.FeltChange] = []
    reflections: list[h.Reflection] = []
    ratings: list[h.TherapistRating] = []
    for a in administrations:
        day = local(a.completed_at)
        key = a.instrument_key
        if key == "personal_goals":
            for item_id, value in a.answers.items():
                position = _goal_position(item_id)
                goal = _goal_under(goals_by_position.get(position, []), a.completed_at)
                if goal is not None and value is not None:
                    goal_ratings.append(
                        h.GoalRating(
                            goal_id=str(goal.goal_id),
                            version=goal.version,
                            completed=day,
                            rating=float(value),
                            # The trace names a goal by its words, never its id.
                            label=goal.text,
                            position=position,
                        )
                    )
        elif key == "session_reflection":
            reflections.append(
                h.Reflection(
                    completed=_session_day(a),
                    items=tuple(_num(a.answers.get(i)) for i in REFLECTION_ITEMS),
                    free_text=_has_free_text(a),
                )
            )
        elif key == "therapist_rating":
            ratings.append(
                h.TherapistRating(
                    completed=_session_day(a),
                    items=tuple(_num(a.answers.get(i)) for i in THERAPIST_RATING_ITEMS),
                )
            )
        elif key == "felt_change":
            felt.append(
                h.FeltChange(
                    completed=day,
                    holds=_num(a.answers.get("felt_holds")),
                    understands=_num(a.answers.get("felt_understand_stuck")),
                    stuck=_num(a.answers.get("felt_stuck")),
                )
            )
        else:
            admins.append(
                h.Administration(
                    instrument=key,
                    completed=day,
                    total=a.total,
                    valid=a.valid,
                    prorated=a.prorated,
                    band=a.band or None,
                    risk_grade=a.risk_grade,
                    answers=dict(a.answers),
                )
            )
    return h.ClientHistory(
        primary=episode.primary_instrument,
        prior_therapy=episode.prior_therapy,
        administrations=tuple(admins),
        goals=tuple(goal_ratings),
        felt_change=tuple(felt),
        reflections=tuple(reflections),
        therapist_ratings=tuple(ratings),
        sessions=sessions,
        decisions=tuple(phase_now_module.as_core(d) for d in decisions),
        ruptures=ruptures,
        risk_flags=risk_flags,
        # A goal none of whose versions is active any more no longer counts.
        inactive_goals=tuple(
            sorted(
                {str(g.goal_id) for v in goals_by_position.values() for g in v}
                - {str(g.goal_id) for v in goals_by_position.values() for g in v if g.active}
            )
        ),
        client=str(episode.client_id),
    )


def _session_day(administration: Administration) -> dt.date:
    """The day a Session Reflection or Therapist Rating counts on: its session's (local),
    so that the client's reflection by the post-session link a day later and the
    therapist's rating written up that evening still meet on the same session (the
    congruence gap); the day it was completed when it has no session."""
    starts_at = getattr(administration, "session_starts_at", None)
    return timezone.localdate(starts_at or administration.completed_at)


def _has_free_text(administration: Administration) -> bool:
    """Whether any free-text answer of the administration is non-blank."""
    if not administration.free_text:
        return False
    try:
        texts = json.loads(administration.free_text)
    except ValueError:
        return bool(administration.free_text.strip())
    if isinstance(texts, dict):
        return any(isinstance(v, str) and v.strip() for v in texts.values())
    return bool(str(texts).strip())


def _risk_flags(episode_ids: Sequence[Any]) -> dict[Any, tuple[h.RiskFlag, ...]]:
    """Each episode's flags as plusone.core.history.RiskFlag, named by their risk item."""
    flags = list(Flag.objects.filter(episode_id__in=episode_ids).order_by("opened_at"))
    # Flags opened before December 2026 name their administration, not the item.
    legacy = [
        f.source_id for f in flags if f.source_kind == "administration" and not f.instrument_key
    ]
    sources = {a.pk: a for a in Administration.objects.filter(pk__in=legacy)} if legacy else {}
    out: dict[Any, list[h.RiskFlag]] = defaultdict(list)
    for f in flags:
        if f.instrument_key:
            instrument, item = f.instrument_key, f.item_id
        else:
            source = sources.get(f.source_id)
            instrument = source.instrument_key if source is not None else f.source_kind
            item = _risk_item_answered(source)
        out[f.episode_id].append(
            h.RiskFlag(
                instrument=instrument,
                item_id=item,
                grade=f.grade,
                opened=timezone.localdate(f.opened_at),
                acknowledged=timezone.localdate(f.acknowledged_at) if f.acknowledged_at else None,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _risk_item_answered(source: Administration | None) -> str:
    """The id of the risk item whose answer opened the flag ("" when unknown)."""

    if source is None:
        return ""
    try:
        instrument = load_instrument(source.instrument_key)
    except (LookupError, ValueError):
        return ""
    for risk in instrument.risk_items:
        value = source.answers.get(risk.item_id)
        if isinstance(value, int) and risk.grade(value) > 0:
            return risk.item_id
    return ""


def _goal_position(item_id: str) -> int:
    try:
        return int(item_id.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return 0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# The summary row -------------------------------------------------------------------------


def refresh_summary(episode: Episode, *, today: dt.date) -> None:
    """Rewrite the episode's summary row from its administrations, inside the caller's
    transaction.

    Latest primary score and band, not-completed count and, when the rule
    engine can run, the proposal kind, phase, alerts and spike review, judged
    as of ``today``.
    """

    recent = list(
        Administration.objects.filter(
            episode=episode, instrument_key=episode.primary_instrument, risk_item_only=False
        ).order_by("-completed_at")[:SUMMARY_TREND_LENGTH]
    )
    primary = recent[0] if recent else None
    goals = (
        Administration.objects.filter(episode=episode, instrument_key="personal_goals")
        .order_by("-completed_at")
        .first()
    )
    fields: dict[str, Any] = {
        # Check-ins not completed; a skipped Session Reflection is not a check-in.
        "not_completed_count": Sitting.objects.filter(episode=episode, status=SittingStatus.SKIPPED)
        .exclude(kind=SittingKind.REFLECTION)
        .count(),
        # The caseload's sparkline: recent primary totals, oldest first (None = invalid).
        "primary_trend": [a.total if a.valid else None for a in reversed(recent)],
        # The latest rating of each goal, by position (goal_1..goal_3).
        "goal_ratings": (
            [
                _num(v)
                for _, v in sorted(goals.answers.items(), key=lambda kv: _goal_position(kv[0]))
            ]
            if goals is not None
            else []
        ),
    }
    if primary is not None:
        fields["latest_total"] = primary.total
        fields["band_label"] = primary.band
    fields.update(_proposal_fields(episode, today=today))
    update_summary(episode, **fields)


def _proposal_fields(episode: Episode, *, today: dt.date) -> dict[str, Any]:
    """Proposal kind, agreed phase, alerts and spike review from plusone.core.propose, or {}
    if it cannot run."""

    # Database errors propagate (and roll the submit back); only the pure rule engine is guarded.
    history = history_for(episode)
    # The summary must never block a client's submit; a rule-engine failure is logged in full.
    try:
        proposal = propose(history, today=today)
    except Exception:
        log.exception("propose failed for an episode; summary keeps its last proposal")
        return {}
    return {
        "proposal_kind": proposal.kind if proposal.kind != "none" else "",
        "phase": proposal.phase or "none",
        "alerts": list(proposal.alerts),
        "spike_review": proposal.spike_review,
        "awaiting": proposal.awaiting or "",
        "held": proposal.held or "",
        "repair_first": proposal.repair_first,
        "consult": proposal.consult,
        "judged_on": today,
    }


# How many episodes one batch judges at once (memory stays small).
REFRESH_CHUNK = 500
# How many summary rows one write transaction holds: a check-in waiting on one of them waits
# for at most this many single-row updates (issue 15: under 100 ms; docs/benchmarks.md).
WRITE_CHUNK = 50

Seen = dict[Any, dt.datetime]
Judgements = list[tuple[Any, dict[str, Any]]]


def refresh_summaries(episodes: Sequence[Episode], *, today: dt.date) -> int:
    """Judge ``episodes`` as of ``today`` through the batch path and rewrite their summary
    rows' proposal fields; return how many rows were rewritten.

    Each chunk is judged outside any transaction and written in short transactions of
    ``WRITE_CHUNK`` rows, so a check-in never waits on it for long; a row a check-in rewrote
    meanwhile keeps the check-in's fresher judgement (:func:`write_judgements`).
    """

    written = 0
    for start in range(0, len(episodes), REFRESH_CHUNK):
        seen, updates = judge_chunk(episodes[start : start + REFRESH_CHUNK], today=today)
        written += write_judgements(updates, seen)
    return written


def judge_chunk(episodes: Sequence[Episode], *, today: dt.date) -> tuple[Seen, Judgements]:
    """Judge ``episodes`` through the batch path; return each summary row's ``updated_at``
    as read before the histories, and the fields to write."""
    chunk = list(episodes)
    # Read first: a row changed after this was judged from a history older than its own.
    seen = dict(
        EpisodeSummary.objects.filter(episode_id__in=[e.pk for e in chunk]).values_list(
            "episode_id", "updated_at"
        )
    )
    histories = histories_for(chunk)
    ordered = [histories[e.pk] for e in chunk]
    caseload = caseload_from_histories(ordered)
    result = run_batch(caseload, today=today)
    updates: Judgements = []
    # Client code i is the i-th history given (caseload_from_histories keeps the order).
    for i, episode in enumerate(chunk):
        kind = KINDS[int(result.kind[i])]
        phase_code = int(result.phase[i])
        awaiting, held = int(result.awaiting[i]), int(result.held[i])
        updates.append(
            (
                episode.pk,
                {
                    "proposal_kind": "" if kind == "none" else kind,
                    "phase": PHASES[phase_code] if 0 <= phase_code < len(PHASES) else "none",
                    "alerts": list(result.alert_names(i)),
                    "spike_review": bool(result.spike_review[i]),
                    "awaiting": PHASES[awaiting] if 0 <= awaiting < len(PHASES) else "",
                    "held": KINDS[held] if 0 <= held < len(KINDS) else "",
                    "repair_first": bool(result.repair_first[i]),
                    "consult": bool(result.consult[i]),
                    "judged_on": today,
                },
            )
        )
    return seen, updates


def write_judgements(updates: Judgements, seen: Seen) -> int:
    """Write judged fields in transactions of ``WRITE_CHUNK`` rows; return rows written.

    A row whose ``updated_at`` moved since ``seen`` was rewritten by a check-in or a
    decision (``refresh_summary``, judged on the newer history): it is left as it is.
    """
    written = 0
    for start in range(0, len(updates), WRITE_CHUNK):
        with transaction.atomic():
            for episode_id, fields in updates[start : start + WRITE_CHUNK]:
                if episode_id not in seen:
                    continue
                written += EpisodeSummary.objects.filter(
                    episode_id=episode_id, updated_at=seen[episode_id]
                ).update(**fields)
    return written


def refresh_stale(summaries: Sequence[EpisodeSummary], *, today: dt.date) -> int:
    """Re-judge, as of ``today``, the summaries judged before it (DESIGN.md: judged as of
    today), all at once through the batch path; return how many were rewritten."""
    stale = [s.episode_id for s in summaries if s.judged_on is None or s.judged_on < today]
    if not stale:
        return 0
    episodes = list(
        Episode.objects.filter(pk__in=stale, status=Episode.Status.OPEN).select_related("client")
    )
    return refresh_summaries(episodes, today=today)
