"""The record pages' forms (issue 13): each one free-text field in the client's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plusone.clinical.actions.record import MAX_ANNOTATION_CHARS, MAX_GOAL_CHARS, MAX_GOALS


def _words(label: str, limit: int, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": limit}),
        error_messages={
            "required": _("Write it in your own words first."),
            "max_length": _("Please keep it under %(limit_value)d characters."),
        },
    )


class GoalForm(forms.Form):
    position = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, MAX_GOALS + 1)],
        coerce=int,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("You can keep up to three goals.")},
    )
    text = _words(_("Your goal, in your own words"), MAX_GOAL_CHARS, rows=2)


class NoteForm(forms.Form):
    text = _words(_("Your note, in your own words"), MAX_ANNOTATION_CHARS)


class DisputeForm(forms.Form):
    text = _words(_("What is wrong, and what it should say"), MAX_ANNOTATION_CHARS)


class ConfirmForm(forms.Form):
    text = _words(
        _("Anything you want to add (optional)"), MAX_ANNOTATION_CHARS, required=False, rows=2
    )


class StatementForm(forms.Form):
    text = _words(_("Your statement of disagreement"), MAX_ANNOTATION_CHARS, rows=5)


def apply(form: forms.Form, call: Callable[[str], Any]) -> Any:
    """Run ``call`` with the form's text when the form is valid; a refusal's messages land
    on the form. Returns what ``call`` returned, or None when nothing was saved."""
    if not form.is_valid():
        return None
    try:
        return call(form.cleaned_data.get("text", ""))
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None
