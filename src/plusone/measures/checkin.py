"""Reads for the check-in: today's instruments and how each group is shown.

Plain functions (selectors). No writes here.

One module on purpose, though a little long: what a sitting asks, and how each
group shows it, read the same plan and phase; the pure rules are core.due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from plusone.clinical import licensed, safety
from plusone.clinical.models import Decision, Episode, Goal, MeasurementPlan, Session
from plusone.clinical.phase_now import agreed_phase
from plusone.clinical.plans import SCREENS, is_default_schedule, phase_default_schedule
from plusone.core import translations
from plusone.core.due import (
    LONG_SITTING_BUDGET_SECONDS,
    REVIEW_BUDGET_SECONDS,
    ROUTINE_BUDGET_SECONDS,
    due_today,
    fit_budget,
    split_key,
)
from plusone.measures import forms, screens
from plusone.measures.consent import withdrawn_instruments
from plusone.measures.models import Administration, Sitting, SittingKind, SittingStatus
from plusone.tokens.models import AccessToken

# A review is every 8th session and each phase decision (DESIGN.md, Burden).
REVIEW_EVERY = 8
LONG_SITTINGS = ("intake", "review")


def _instrument(key: str, practice_id: Any = None) -> Any:
    """The definition as the practice administers it (its licensed text, if supplied)."""
    return licensed.instrument_for(practice_id, split_key(key)[0])


def instrument(key: str, practice_id: Any = None) -> Any:
    """The instrument definition for a group key (cached: definitions are immutable data)."""
    return _instrument(key, practice_id)


def in_language(key: str, practice_id: Any, language: str) -> tuple[Any, str]:
    """The instrument of group ``key`` in the words a client reading ``language`` is
    given, and the language of those words.

    Only a translation that ships as its own data file and is offered (validated and
    checked against its source, or PlusOne's own) is used; otherwise the English
    (DESIGN.md, Languages). Scoring is the same in both.
    """
    inst = _instrument(key, practice_id)
    if language != "en" and inst.licence_status != "licensed_pack":
        tr = translations.offered_translation(inst.key, language)
        if tr is not None:
            return translations.localize(inst, tr), language
    return inst, "en"


def page_language() -> str:
    """The language the client reads the check-in in: the page's active language
    ("en" or "fr")."""
    return safety.current_language()


def left_out_untranslated(key: str, episode: Episode, language: str) -> bool:
    """True when the practice leaves out instruments with no French for a French reader,
    and ``key`` has none. A risk item asked on its own is never left out: in English with
    the note, the safety question still reaches the client."""
    if language == "en" or split_key(key)[1]:
        return False
    if episode.practice.untranslated_instruments != "leave_out":
        return False
    try:
        return in_language(key, episode.practice_id, language)[1] != language
    except (LookupError, ValueError):
        return False


def seconds_for(key: str, practice_id: Any = None) -> int:
    """Estimated seconds for a group: the whole instrument, or its risk items alone."""
    try:
        inst = _instrument(key, practice_id)
    except (LookupError, ValueError):
        # An unknown or broken definition costs more than the budget, so it is never asked.
        return ROUTINE_BUDGET_SECONDS + 1
    if split_key(key)[1]:
        return int(inst.seconds_per_item) * max(1, len(inst.risk_items))
    return int(inst.estimated_seconds)


def administrable(key: str, episode: Episode) -> bool:
    """True when the client can answer group ``key`` today: known, with item text, for the client.

    Licensed packs without the practice's text, Personal Goals without any
    active goal, and a risk-item-only group of an instrument without a risk
    item are left out.
    """
    base, risk_only = split_key(key)
    try:
        inst = _instrument(base, episode.practice_id)
    except (LookupError, ValueError):
        # Unknown keys and malformed definitions (DefinitionError) are never asked.
        return False
    if inst.respondent != "client" or not inst.has_text:
        return False
    if risk_only:
        return bool(inst.risk_items)
    if key == "personal_goals":
        return Goal.objects.filter(episode=episode, active=True).exists()
    return True


def _schedule(episode: Episode, plan: MeasurementPlan | None) -> dict[str, list[str]]:
    """The plan the check-in follows today.

    A plan the therapist edited is followed as saved. The default plan written
    at intake (or no plan) follows DESIGN.md's defaults for the agreed phase, so
    in Deepening the primary measure comes every 2nd session and PHQ-9 item 9
    every session (``risk_item_only``).
    """

    primary, secondary = episode.primary_instrument, episode.secondary_instrument
    if (
        plan is not None
        and plan.schedule
        and not is_default_schedule(plan.schedule, primary, secondary)
    ):
        return dict(plan.schedule)
    return phase_default_schedule(primary, secondary, agreed_phase(episode))


def check_ins(episode: Episode) -> Any:
    """The episode's check-in sittings: every sitting except Session Reflections, which are
    their own end-of-session sittings and never count, carry over or number a check-in."""

    return Sitting.objects.filter(episode=episode).exclude(kind=SittingKind.REFLECTION)


def reflection_session(episode: Episode, *, now: dt.datetime) -> Session | None:
    """The session a Session Reflection started now belongs to, when none is given.

    Today's (America/Toronto) latest attended or scheduled session that has
    started by ``now``, or else today's earliest one still to come; None when
    there is no session today.
    """
    start = dt.datetime.combine(
        timezone.localdate(now), dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    today = list(
        episode.sessions.filter(
            status__in=(Session.Status.ATTENDED, Session.Status.SCHEDULED),
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        ).order_by("starts_at")
    )
    started = [s for s in today if s.starts_at <= now]
    if started:
        return started[-1]
    return today[0] if today else None


@dataclass(frozen=True)
class Today:
    """What a check-in asks: the sitting's kind, the groups asked, and those rolled on."""

    kind: str
    asked: list[str]
    rolled: list[str]


def sitting_kind(episode: Episode, *, session: Any, number: int) -> str:
    """The kind of the next sitting of ``episode``: "intake", "review" or "routine".

    The session's own kind wins. Otherwise a review is every ``REVIEW_EVERY``-th
    session and after each phase decision, until a completed intake or review
    sitting on or after the decision's date; a skipped intake or review is still
    owed, so the next sitting takes its place.
    """

    if session is not None and session.kind in LONG_SITTINGS:
        return str(session.kind)
    last = check_ins(episode).order_by("-completed_at").first()
    if last is not None and last.status == SittingStatus.SKIPPED and last.kind in LONG_SITTINGS:
        return str(last.kind)
    if number >= REVIEW_EVERY and number % REVIEW_EVERY == 0:
        return SittingKind.REVIEW
    decision = (
        Decision.objects.filter(episode=episode, kind=Decision.Kind.PHASE_CHANGE)
        .order_by("-decided_on", "-created_at")
        .first()
    )
    if decision is not None:
        done = (
            Sitting.objects.filter(
                episode=episode, status=SittingStatus.COMPLETED, kind__in=LONG_SITTINGS
            )
            .order_by("-completed_at")
            .first()
        )
        if done is None or timezone.localdate(done.completed_at) < decision.decided_on:
            return SittingKind.REVIEW
    return SittingKind.ROUTINE


def _too_soon(episode: Episode, key: str, plan: MeasurementPlan | None, today: dt.date) -> bool:
    """True when instrument ``key`` was given fewer than its minimum days ago (MHC-SF: 28)."""

    try:
        interval = _instrument(key, episode.practice_id).min_interval
    except (LookupError, ValueError):
        return False
    days = interval.days if interval.kind == "days" and interval.days else 0
    days = max(days, int((plan.min_interval_days or {}).get(key, 0)) if plan else 0)
    if days <= 0:
        return False
    last = (
        Administration.objects.filter(episode=episode, instrument_key=key, risk_item_only=False)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    return last is not None and (today - timezone.localdate(last)).days < days


def _review_only(key: str, practice_id: Any) -> bool:
    try:
        return bool(_instrument(key, practice_id).min_interval.kind == "intake_and_reviews")
    except (LookupError, ValueError):
        return False


def _review_screens(
    episode: Episode, due: list[str], extras: list[str]
) -> tuple[list[str], list[str]]:
    """A review's screens: those asked for join it (in the review slot or not); PCL-5,
    AUDIT-C and K10 stay only when positive at intake, still owed, or asked for."""
    requested = screens.pending_requests(episode)
    extras = [*extras, *(k for k in SCREENS if k in requested and k not in (*due, *extras))]
    asked = screens.due_at_review(
        episode,
        [k for k in (*due, *extras) if k in SCREENS],
        auditc_sex=episode.client.auditc_sex,
    )
    keep = [k for k in due if k not in SCREENS or k in asked]
    return keep, [k for k in extras if k not in SCREENS or k in asked]


# The budget of each kind of sitting (DESIGN.md, Burden).
BUDGETS = {
    "routine": ROUTINE_BUDGET_SECONDS,
    "review": REVIEW_BUDGET_SECONDS,
    "intake": LONG_SITTING_BUDGET_SECONDS,
}


def plan_for(token: AccessToken, *, now: dt.datetime | None = None) -> Today:
    """The sitting kind and the groups a check-in token asks today, within the budget,
    the client's own words first.

    The session number is the session's place in the episode, or else the
    number of earlier sittings plus one. A review adds its slot to the routine
    sitting: the routine part is never dropped, and the review's additions join
    while the whole sitting fits 300 s. Instruments carried over from the last
    sitting (skipped, or over budget) then join while they fit the budget
    (180 s routine, 300 s review, 600 s intake); the rest roll on. At run time:
    an instrument given fewer than its minimum days ago (MHC-SF, 28) is not
    asked; intake-and-review-only instruments (K10, PCL-5, AUDIT-C) are asked
    only at intake and reviews, and carried ones wait for the next.
    """
    episode = token.episode or Episode.objects.get(client=token.client, status=Episode.Status.OPEN)
    return due_at(episode, session=token.session, now=now, language=page_language())


def due_at(
    episode: Episode,
    *,
    session: Session | None,
    now: dt.datetime | None = None,
    language: str = "en",
) -> Today:
    """What a check-in of ``episode`` for ``session`` (or, without one, its next sitting)
    asks at ``now``, read in ``language``: :func:`plan_for` without a token. The
    invitations ask it before issuing a link (nothing asked, no invitation). Reads only."""
    today = timezone.localdate(now or timezone.now())
    if session is not None:
        number = episode.sessions.filter(starts_at__lt=session.starts_at).count() + 1
    else:
        number = check_ins(episode).count() + 1
    kind = sitting_kind(episode, session=session, number=number)
    plan = MeasurementPlan.objects.filter(episode=episode).first()
    schedule = _schedule(episode, plan)
    due = due_today(schedule, session_number=number, kind=kind)
    extras: list[str] = []
    if kind == "review":
        routine = due_today(schedule, session_number=number)
        extras = [k for k in due if k not in routine]
        due = [k for k in due if k in routine]
        due, extras = _review_screens(episode, due, extras)
    last = check_ins(episode).order_by("-completed_at").first()
    carried = list(last.carried_over) if last is not None else []
    budget = BUDGETS.get(kind, ROUTINE_BUDGET_SECONDS)
    practice = episode.practice_id
    waiting: list[str] = []
    if kind not in LONG_SITTINGS:
        waiting = [k for k in carried if _review_only(k, practice)]
        due = [k for k in due if not _review_only(k, practice)]
        carried = [k for k in carried if k not in waiting]
    # Instruments the client withdrew consent to are never asked, nor carried on.
    withdrawn = withdrawn_instruments(episode.client)

    def askable(keys: list[str]) -> list[str]:
        return [
            k
            for k in keys
            if administrable(k, episode)
            and not _too_soon(episode, k, plan, today)
            and split_key(k)[0] not in withdrawn
            and not left_out_untranslated(k, episode, language)
        ]

    due, extras, carried = askable(due), askable(extras), askable(carried)
    asked, rolled = fit_budget(
        due, carried, lambda k: seconds_for(k, practice), budget=budget, optional=extras
    )
    return Today(kind=kind, asked=asked, rolled=list(dict.fromkeys([*rolled, *waiting])))


def plan_instruments(episode: Episode) -> set[str]:
    """Every instrument key the episode's plan may ask (the risk-only groups by their
    instrument)."""
    plan = MeasurementPlan.objects.filter(episode=episode).first()
    schedule = _schedule(episode, plan)
    return {split_key(k)[0] for keys in schedule.values() for k in keys}


def instruments_for(token: AccessToken) -> tuple[list[str], list[str]]:
    """(asked today, rolled on) for a check-in token's episode and session: see plan_for."""
    today = plan_for(token)
    return today.asked, today.rolled


@dataclass(frozen=True)
class Group:
    """One page of the check-in: an instrument's questions, ready for the template."""

    key: str
    title: str
    prompt: str
    questions: list[dict[str, Any]]
    # The language of the item words ("en" or "fr"); English on a French page carries
    # the note that no validated French version exists.
    language: str = "en"
    english_only: bool = False


def _goal_texts(episode_id: Any) -> dict[str, str]:
    goals = Goal.objects.filter(episode_id=episode_id, active=True).order_by("position", "version")
    return {f"goal_{g.position}": g.text for g in goals}


def goal_labels(episode_id: Any) -> dict[str, str]:
    """How each active goal reads on a check-in page: in the client's own words only when
    they chose that (``Client.goal_words_on_links``), else "Goal 1", "Goal 2" by position.

    A check-in page is reached by link alone, and an email can be read by someone else
    (DESIGN.md, Burden: own words first).
    """
    texts = _goal_texts(episode_id)
    own_words = (
        Episode.objects.filter(pk=episode_id)
        .values_list("client__goal_words_on_links", flat=True)
        .first()
    )
    if own_words:
        return texts
    return {
        item_id: gettext("Goal %(number)s") % {"number": item_id.rsplit("_", 1)[-1]}
        for item_id in texts
    }


# The title of a group that asks only an instrument's risk item (PHQ-9 item 9 in Deepening).
RISK_ONLY_TITLE = gettext_lazy("One question we ask each time")


def _shown_items(key: str, inst: Any) -> tuple[Any, ...]:
    """The items of group ``key``: all of them, or the risk items alone."""
    if not split_key(key)[1]:
        return tuple(inst.items)
    risky = {r.item_id for r in inst.risk_items}
    return tuple(i for i in inst.items if i.id in risky)


def build_group(
    key: str,
    *,
    episode_id: Any,
    practice_id: Any = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    language: str | None = None,
) -> Group:
    """The questions of group ``key`` with the client's values and errors filled in, in
    ``language`` (default: the page's) where a translation is offered, else in English.

    The prompt is the instrument's stem from its definition (a licensed pack's
    comes from the practice's file).
    """
    wanted = language or page_language()
    inst, shown = in_language(key, practice_id, wanted)
    values = values or {}
    errors = errors or {}
    goal_texts = goal_labels(episode_id) if key == "personal_goals" else {}
    questions = []
    number = 0
    for item in _shown_items(key, inst):
        text = item.text
        if item.kind == "goal":
            text = goal_texts.get(item.id)
            if text is None:
                continue
        number += 1
        name = forms.field_name(key, item.id)
        value = values.get(item.id)
        # 0-10 ratings show numbers in a grid; the end labels become anchors below it.
        scale = len(item.options) >= 7
        options = [
            {
                "value": o.value,
                "label": str(o.value) if scale else o.label,
                "sr": o.label if scale and o.label != str(o.value) else "",
                "id": f"{name}-{o.value}",
                "checked": value is not None and str(value) == str(o.value),
            }
            for o in item.options
        ]
        anchors = (item.options[0].label, item.options[-1].label) if scale else None
        questions.append(
            {
                "name": name,
                "anchor": f"q-{name}",
                "number": number,
                "text": text,
                "kind": "text" if forms.item_is_text(item) else ("scale" if scale else "choice"),
                "options": options,
                "value": value,
                "anchors": anchors,
                "error": errors.get(item.id),
            }
        )
    return Group(
        key=key,
        title=str(RISK_ONLY_TITLE)
        if split_key(key)[1]
        else (inst.client_label.capitalize() if inst.client_label else inst.short_title),
        prompt=inst.stem or "",
        questions=questions,
        language=shown,
        english_only=shown != wanted,
    )


@dataclass(frozen=True)
class _Shown:
    key: str
    items: tuple[Any, ...]


def group_items(key: str, episode_id: Any, practice_id: Any = None) -> Any:
    """The group's key and only the items this client sees: goals without text are
    dropped, and a risk-item-only group has its risk items alone."""
    inst = _instrument(key, practice_id)
    if key == "personal_goals":
        shown = set(_goal_texts(episode_id))
        return _Shown(key=inst.key, items=tuple(i for i in inst.items if i.id in shown))
    return _Shown(key=key, items=_shown_items(key, inst))
