"""Reads for the check-in: today's instruments and how each group is shown.

Plain functions (selectors). No writes here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from plusone.clinical.models import Episode, Goal, MeasurementPlan
from plusone.measures import forms
from plusone.measures.plan import (
    LONG_SITTING_BUDGET_SECONDS,
    ROUTINE_BUDGET_SECONDS,
    due_today,
    fit_budget,
)
from plusone.tokens.models import AccessToken

# The printed stems of the forms, which the definition files keep only as comments.
STEMS = {
    "phq9": (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    "gad7": "Over the last 2 weeks, how often have you been bothered by the following problems?",
    "phq4": "Over the last 2 weeks, how often have you been bothered by the following problems?",
    "k10": "During the last 30 days, about how often did you feel ...",
    "pcl5": "In the past month, how much were you bothered by:",
    "personal_goals": "How close are you to each of your goals right now?",
    "felt_change": "Right now, how true is each of these for you?",
}


@functools.cache
def _instrument(key: str) -> Any:
    from plusone.core.instruments import load_instrument

    return load_instrument(key)


def instrument(key: str) -> Any:
    """The instrument definition (cached: definitions are immutable data)."""
    return _instrument(key)


def seconds_for(key: str) -> int:
    try:
        return int(_instrument(key).estimated_seconds)
    except (LookupError, ValueError):
        # An unknown or broken definition costs more than the budget, so it is never asked.
        return ROUTINE_BUDGET_SECONDS + 1


def administrable(key: str, episode: Episode) -> bool:
    """True when the client can answer ``key`` today: known, with item text, for the client.

    Licensed packs without the practice's text, and Personal Goals without any
    active goal, are left out.
    """
    try:
        inst = _instrument(key)
    except (LookupError, ValueError):
        # Unknown keys and malformed definitions (DefinitionError) are never asked.
        return False
    if inst.respondent != "client" or not inst.has_text:
        return False
    if key == "personal_goals":
        return Goal.objects.filter(episode=episode, active=True).exists()
    return True


def _schedule(episode: Episode) -> dict[str, list[str]]:
    from plusone.clinical.plans import default_schedule

    plan = MeasurementPlan.objects.filter(episode=episode).first()
    if plan is not None and plan.schedule:
        return dict(plan.schedule)
    return default_schedule(episode.primary_instrument, episode.secondary_instrument)


def instruments_for(token: AccessToken) -> tuple[list[str], list[str]]:
    """(asked today, rolled on) for a check-in token's episode and session.

    The session number is the session's place in the episode, or else the
    number of earlier sittings plus one. Instruments carried over from the last
    sitting (skipped, or over budget) join while they fit the budget.
    """
    from plusone.measures.models import Sitting

    episode = token.episode or Episode.objects.get(client=token.client, status=Episode.Status.OPEN)
    kind = "routine"
    if token.session is not None:
        number = episode.sessions.filter(starts_at__lt=token.session.starts_at).count() + 1
        kind = token.session.kind
    else:
        number = Sitting.objects.filter(episode=episode).count() + 1
    due = due_today(_schedule(episode), session_number=number, kind=kind)
    last = Sitting.objects.filter(episode=episode).order_by("-completed_at").first()
    carried = list(last.carried_over) if last is not None else []
    budget = LONG_SITTING_BUDGET_SECONDS if kind in ("intake", "review") else ROUTINE_BUDGET_SECONDS
    due = [k for k in due if administrable(k, episode)]
    carried = [k for k in carried if administrable(k, episode)]
    return fit_budget(due, carried, seconds_for, budget=budget)


@dataclass(frozen=True)
class Group:
    """One page of the check-in: an instrument's questions, ready for the template."""

    key: str
    title: str
    prompt: str
    questions: list[dict[str, Any]]


def _goal_texts(episode_id: Any) -> dict[str, str]:
    goals = Goal.objects.filter(episode_id=episode_id, active=True).order_by("position", "version")
    return {f"goal_{g.position}": g.text for g in goals}


def build_group(
    key: str,
    *,
    episode_id: Any,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Group:
    """The questions of instrument ``key`` with the client's values and errors filled in."""
    inst = _instrument(key)
    values = values or {}
    errors = errors or {}
    goal_texts = _goal_texts(episode_id) if key == "personal_goals" else {}
    questions = []
    number = 0
    for item in inst.items:
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
        title=inst.client_label.capitalize() if inst.client_label else inst.short_title,
        prompt=STEMS.get(key, ""),
        questions=questions,
    )


def group_items(key: str, episode_id: Any) -> Any:
    """The instrument with only the items this client sees (goals without text are dropped)."""
    inst = _instrument(key)
    if key != "personal_goals":
        return inst
    shown = set(_goal_texts(episode_id))

    @dataclass(frozen=True)
    class _Shown:
        key: str
        items: tuple[Any, ...]

    return _Shown(key=inst.key, items=tuple(i for i in inst.items if i.id in shown))
