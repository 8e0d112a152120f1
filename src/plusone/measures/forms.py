"""Parsing and validating one group of check-in answers.

A group is one instrument. Choice items must be answered with one of their
options; free-text items are optional and length-limited. Errors are keyed by
item id so the page can show them next to the question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from plusone.inputs import normalize

FREE_TEXT_MAX = 2000
CHOOSE_ONE = _("Choose one answer for this question.")
NOT_AN_OPTION = _("That answer isn't one of the choices. Choose one of the answers shown.")
TOO_LONG = _("Please keep this to 2000 characters or fewer.")
ONE_ANSWER = _("Send one answer to one question of this part.")
CONTROL_CHARACTER = _(
    "This answer holds an invisible control character that can't be saved. Please retype it."
)


def item_is_text(item: Any) -> bool:
    """True for a free-text item (no options to choose from)."""
    kind = getattr(item, "kind", None) or getattr(item, "type", None)
    if kind is not None:
        return str(kind) in {"text", "free_text"}
    return not tuple(getattr(item, "options", ()) or ())


def item_is_optional(item: Any) -> bool:
    """Free text is always optional; a choice item only when its definition says so."""
    return item_is_text(item) or not getattr(item, "required", True)


def item_options(item: Any) -> tuple[Any, ...]:
    return tuple(getattr(item, "options", ()) or ())


def field_name(instrument_key: str, item_id: str) -> str:
    """The form field for an item: unique across the check-in, safe in an HTML id."""
    return f"{instrument_key}__{item_id}"


@dataclass(frozen=True)
class GroupResult:
    """The parsed answers of one group and the errors keyed by item id."""

    answers: dict[str, int | str | None]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_group(instrument: Any, data: Mapping[str, Any]) -> GroupResult:
    """Read one instrument's answers from POST data.

    Choice answers become ints; free text is stripped, with blank meaning None.
    """
    answers: dict[str, int | str | None] = {}
    errors: dict[str, str] = {}
    for item in instrument.items:
        raw = data.get(field_name(instrument.key, item.id))
        raw = raw.strip() if isinstance(raw, str) else raw
        if item_is_text(item):
            if raw and len(raw) > FREE_TEXT_MAX:
                errors[item.id] = TOO_LONG
            elif raw:
                try:
                    raw = normalize.text(raw, field=item.id, max_length=FREE_TEXT_MAX)
                except normalize.InputError:
                    errors[item.id] = CONTROL_CHARACTER
                    raw = None
            answers[item.id] = raw or None
            continue
        if raw in (None, ""):
            answers[item.id] = None
            if not item_is_optional(item):
                errors[item.id] = CHOOSE_ONE
            continue
        allowed = {int(o.value) for o in item_options(item)}
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or value not in allowed:
            errors[item.id] = NOT_AN_OPTION
            answers[item.id] = None
        else:
            answers[item.id] = value
    return GroupResult(answers=answers, errors=errors)


@dataclass(frozen=True)
class OneAnswer:
    """The one answer a tap saves: its item, its value, and why it was refused ("" if not)."""

    item_id: str
    value: int | str | None
    error: str
    is_text: bool = False


def parse_answer(instrument: Any, data: Mapping[str, Any]) -> OneAnswer:
    """Read exactly one of the instrument's answers from POST data, validated as
    :func:`parse_group` validates it; anything else (no answer, two, another part's
    question) is refused."""
    named = [i for i in instrument.items if field_name(instrument.key, i.id) in data]
    if len(named) != 1:
        return OneAnswer("", None, str(ONE_ANSWER))
    item = named[0]
    parsed = parse_group(_OneItem(instrument.key, (item,)), data)
    return OneAnswer(
        item.id, parsed.answers.get(item.id), parsed.errors.get(item.id, ""), item_is_text(item)
    )


@dataclass(frozen=True)
class _OneItem:
    key: str
    items: tuple[Any, ...]
