"""A risk flag's answer in words: the instrument, the item, its text and the answer's label,
read from the instrument with no query; and what each graded response asks of the
clinician (DESIGN.md, Risk). Used by every page that shows a flag: the caseload, the card,
the journey and the flags a cover holds."""

from __future__ import annotations

from typing import Any

from plusone.clinical.licensed import instrument_for
from plusone.clinical.models import Flag
from plusone.clinical.safety import response_kind

# What the client was shown at each response, and what is asked of the therapist.
GUIDANCE = {
    "safety_plan": (
        "The client was shown their own safety plan and the crisis resources. "
        "Review the safety plan with them, then write what you did in the action note."
    ),
    "crisis": (
        # Non-breaking hyphens: "9-8-8" never splits across lines.
        "The client was shown the crisis text: call or text 9\u20118\u20118, call 911, or go "
        "to the nearest emergency department. Reach the client by the time they were told, as "
        "your practice's risk procedure sets out, then write what you did in the action note."
    ),
}


# A flag opened by the safety screen of an observer's written answer (plusone.observers).
OBSERVER_SOURCE = "observer"
OBSERVER_BRIEF = "An observer's written answer touches on safety"
OBSERVER_GUIDANCE = (
    "An observer's written answer holds words about safety (a keyword screen, which also "
    "catches quotes and negations). The client has not seen it and will not. Read it on the "
    "client's observers page, then write what you did in the action note."
)


def answer_words(practice_id: Any, flag: Any) -> tuple[str, str, str, str]:
    """(instrument, "item 9", the item's text, the answer's label) of a risk answer."""
    try:
        inst = instrument_for(practice_id, flag.instrument_key)
    except (KeyError, ValueError):
        # A flag from before the answer was stored, or a licensed file that cannot be read.
        return "", "", "", ""
    ids = [i.id for i in inst.items]
    if flag.item_id not in ids:
        return inst.short_title, "", "", ""
    item = inst.items[ids.index(flag.item_id)]
    label = next((o.label for o in item.options if o.value == flag.answer), "")
    return inst.short_title, f"item {ids.index(flag.item_id) + 1}", item.text or "", label


def brief(practice_id: Any, flag: Flag) -> str:
    """One line for the caseload, with no query: "PHQ-9 item 9: More than half the days"."""
    if flag.source_kind == OBSERVER_SOURCE:
        return OBSERVER_BRIEF
    instrument, item, _text, answer = answer_words(practice_id, flag)
    where = " ".join(part for part in (instrument, item) if part) or "Risk answer"
    return f"{where}: {answer}" if answer else where


def guidance_for(flag: Flag) -> str:
    """What the client was shown at this flag's grade, and what is asked of the clinician."""
    if flag.source_kind == OBSERVER_SOURCE:
        return OBSERVER_GUIDANCE
    return GUIDANCE.get(response_kind(flag.grade), "")
