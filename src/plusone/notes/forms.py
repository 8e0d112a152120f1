"""Parsing the session note and addendum forms."""

from __future__ import annotations

from typing import Any

from django import forms

from plusone.notes.models import OPTIONAL_SECTIONS, REQUIRED_SECTIONS, SECTION_LABELS, SECTIONS
from plusone.web.fields import TextField

OPTIONAL_HELP = {
    "meaning": "What this is coming to mean for the client.",
    "memory": "Memories that came up, and how they were held.",
    "self_in_relationship": "How the client is with others, and with you.",
    "symptom_message": "Treating the symptom as a messenger: what might it be saying?",
}


class NoteForm(forms.Form):
    """The eight sections and the version the writer loaded. Required sections may be
    blank while drafting; signing checks them."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECTIONS:
            self.fields[name] = TextField(
                required=False,
                max_length=20000,
                label=SECTION_LABELS[name],
                help_text=OPTIONAL_HELP.get(name, ""),
                widget=forms.Textarea(attrs={"rows": 4 if name in REQUIRED_SECTIONS else 3}),
            )

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in SECTIONS}

    def required_fields(self) -> list[Any]:
        return [self[name] for name in REQUIRED_SECTIONS]

    def optional_fields(self) -> list[Any]:
        return [self[name] for name in OPTIONAL_SECTIONS]


class AddendumForm(forms.Form):
    reason = TextField(max_length=2000, label="Why you are adding to the signed note")
    text = TextField(max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), label="Addendum")
