"""Forms of the rights app. Each says what is wrong, field by field."""

from __future__ import annotations

from typing import Any

from django import forms

from plusone.accounts.queries import privacy_practices
from plusone.clinical.models import Client
from plusone.notes.models import SECTION_LABELS, SECTIONS, SessionNote
from plusone.rights.models import (
    SEVERANCE_EXCEPTIONS,
    AccessException,
    CorrectionRefusal,
    HowReceived,
)
from plusone.web.fields import TextField

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = 4000


def _text(label: str, help_text: str = "", rows: int = 3) -> TextField:
    return TextField(
        label=label,
        help_text=help_text,
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": f"{label}: this is required."},
    )


class _ClientName(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} (born {obj.date_of_birth:%Y-%m-%d})"


class _Received(forms.Form):
    received_on = forms.DateField(
        label="Date received",
        widget=DATE,
        error_messages={"invalid": "Enter the date received as YYYY-MM-DD."},
    )
    how_received = forms.ChoiceField(label="How it was received", choices=HowReceived.choices)


class AccessRequestForm(_Received):
    client = _ClientName(queryset=Client.objects.none(), label="Client")
    asked_for = _text("What the client asks for", "In the client's words, as received.")
    field_order = ["client", "received_on", "how_received", "asked_for"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            practice__in=privacy_practices(user)
        ).order_by("family_name", "given_name")


class _NoteChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        client = obj.episode.client
        return f"{client.display_name}: session of {obj.session.starts_at:%Y-%m-%d}"


class CorrectionRequestForm(_Received):
    client = _ClientName(queryset=Client.objects.none(), label="Client")
    note = _NoteChoice(
        queryset=SessionNote.objects.none(),
        required=False,
        label="The signed note it is about (if any)",
    )
    asked = _text("What the client asks to change", "In the client's words, as received.")
    field_order = ["client", "note", "received_on", "how_received", "asked"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        practices = privacy_practices(user)
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            practice__in=practices
        ).order_by("family_name", "given_name")
        self.fields["note"].queryset = (  # type: ignore[attr-defined]
            SessionNote.objects.filter(practice__in=practices)
            .select_related("episode__client", "session")
            .order_by("episode__client__family_name", "session__starts_at")
        )


class ExtendForm(forms.Form):
    reason = _text("Why more time is needed")
    client_told_on = forms.DateField(
        label="Day the client was told",
        widget=DATE,
        error_messages={
            "required": "Say on which day the client was told of the extension.",
            "invalid": "Enter the day the client was told as YYYY-MM-DD.",
        },
    )


class RefuseAccessForm(forms.Form):
    ground = forms.ChoiceField(
        label="Exception",
        choices=[("", "Choose…"), *AccessException.choices],
        error_messages={"required": "Choose the exception that applies."},
    )
    reason = _text("Reasons, as given to the client")


class SeverForm(forms.Form):
    item = forms.ChoiceField(
        label="Item to withhold", error_messages={"required": "Choose the item to withhold."}
    )
    exception = forms.ChoiceField(
        label="Exception",
        choices=[("", "Choose…"), *[(c.value, c.label) for c in SEVERANCE_EXCEPTIONS]],
        error_messages={"required": "Choose the exception that applies."},
    )
    explanation = _text("Why the exception applies to this item")

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "Choose…")] + [  # type: ignore[attr-defined]
            (i.key, i.description) for i in items
        ]

    def item_parts(self) -> tuple[str, str]:
        label, _, item_id = self.cleaned_data["item"].partition(":")
        return label, item_id


class CorrectNoteForm(forms.Form):
    section = forms.ChoiceField(
        label="Section",
        choices=[("", "Choose…"), *[(s, SECTION_LABELS[s]) for s in SECTIONS]],
        error_messages={"required": "Choose the section to correct."},
    )
    new_text = _text("Corrected text", rows=4)
    reason = _text("Reason for the correction")


class RefuseCorrectionForm(forms.Form):
    ground = forms.ChoiceField(
        label="Ground",
        choices=[("", "Choose…"), *CorrectionRefusal.choices],
        error_messages={"required": "Choose the ground for refusing."},
    )
    reason = _text("Reasons, as given to the client")


class StatementForm(forms.Form):
    statement = _text("The client's statement of disagreement", "In the client's words.", rows=5)
    received_on = forms.DateField(
        label="Date received",
        widget=DATE,
        error_messages={
            "required": "Enter the date the statement was received.",
            "invalid": "Enter the date received as YYYY-MM-DD.",
        },
    )


class TherapistRequestForm(_Received):
    """The treating therapist records a request the client made to them."""

    kind = forms.ChoiceField(
        label="The client asks",
        choices=[("access", "For access to their record"), ("correction", "For a correction")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the client asks for access or a correction."},
    )
    note = forms.ModelChoiceField(
        queryset=SessionNote.objects.none(),
        required=False,
        label="For a correction: the signed note it is about (if any)",
    )
    asked = _text("What the client asks for, or asks to change", "In the client's words.")
    field_order = ["kind", "received_on", "how_received", "note", "asked"]

    def __init__(self, *args: Any, client: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.queryset = (  # type: ignore[attr-defined]
            SessionNote.objects.filter(episode__client=client)
            .select_related("session")
            .order_by("session__starts_at")
        )
        field.label_from_instance = lambda n: f"Session of {n.session.starts_at:%Y-%m-%d}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "access" and data.get("note"):
            self.add_error("note", "A note is named only for a correction request.")
        return data
