"""The observer's form and the client's invitation form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plusone.core.instruments import Instrument
from plusone.observers.models import Relationship

TEXT_MAX = 2000
LABEL_MAX = 80


class ObserverForm(forms.Form):
    """Observed Change (one 0-10 choice per item, one may be skipped), one free-text
    answer, and the 18+ attestation with consent."""

    text = forms.CharField(
        label=_("Is there anything else you have noticed that you would like to say?"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )
    adult = forms.BooleanField(
        label=_("I am 18 or older, and I agree that my answers join their record."),
        required=True,
        error_messages={"required": _("You need to be 18 or older to answer.")},
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.item_fields = []
        for item in instrument.items:
            name = f"item_{item.id}"
            self.fields[name] = forms.TypedChoiceField(
                label=item.text,
                choices=[(o.value, o.label) for o in item.options],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
            self.item_fields.append(name)
        self.order_fields([*self.item_fields, "text", "adult"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        skipped = sum(1 for name in self.item_fields if data.get(name) in (None, ""))
        if skipped > self.instrument.scoring.max_missing:
            raise forms.ValidationError(_("Please answer at least four of the five questions."))
        return data

    def answers(self) -> dict[str, int | None]:
        return {
            name.removeprefix("item_"): (
                None if self.cleaned_data.get(name) in (None, "") else self.cleaned_data[name]
            )
            for name in self.item_fields
        }


class InviteForm(forms.Form):
    label = forms.CharField(
        label=_("What you call them"),
        max_length=LABEL_MAX,
        help_text=_("Only you and your therapist see this."),
    )
    email = forms.EmailField(label=_("Their email address"), max_length=254)
    relationship = forms.ChoiceField(label=_("Who they are to you"), choices=Relationship.choices)
    discussed = forms.BooleanField(
        label=_("I talked about inviting them with my therapist, and they are 18 or older."),
        required=True,
        error_messages={"required": _("Talk about it with your therapist first.")},
    )

    def clean_label(self) -> str:
        value = " ".join(self.cleaned_data["label"].split())
        if not value:
            raise forms.ValidationError(_("Write what you call them."))
        return value
