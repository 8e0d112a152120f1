"""Forms of the privacy app. Dates are whole days in practice time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from plusone.accounts.models import Membership, Role
from plusone.clinical.models import Client
from plusone.privacy import queries
from plusone.privacy.models import BreakGlassPurpose
from plusone.web.fields import TextField


class BreakGlassForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), to_field_name="pk")
    reason = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why you need this record now. The privacy officer and the client will see it.",
    )
    purpose = forms.ChoiceField(
        choices=BreakGlassPurpose.choices,
        initial=BreakGlassPurpose.CARE,
        required=False,
        widget=forms.RadioSelect,
        help_text=(
            "Parts the client has withheld stay hidden unless the purpose is a serious risk "
            "of bodily harm or a legal requirement."
        ),
    )

    def clean_purpose(self) -> str:
        # Absent means the least: a purpose that overrides nothing.
        return str(self.cleaned_data.get("purpose") or BreakGlassPurpose.CARE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        admin_in = Membership.objects.filter(user=user, role=Role.ADMIN).values("practice")
        # Only clients of practices where the user is admin can be chosen.
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            practice__in=admin_in
        ).order_by("pk")


class _RangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date is after the end date.")
        return data


class _UserChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.email)


class SearchForm(_RangeForm):
    actor = _UserChoice(queryset=None, required=False, label="User")
    action = TextField(
        required=False,
        max_length=60,
        help_text="The start of an action as the results show it, e.g. view.",
    )
    target_id = TextField(required=False, max_length=64, label="Target id")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = queries.staff_of(user)  # type: ignore[attr-defined]


class OpenedForm(_RangeForm):
    actor = _UserChoice(queryset=None, label="User")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = queries.staff_of(user)  # type: ignore[attr-defined]


class ExportForm(_RangeForm):
    format = forms.ChoiceField(choices=[("json", "JSON"), ("csv", "CSV")], initial="json")
