"""Forms of the custodian app. Every refusal names what to fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from plusone.clinical.models import Client
from plusone.custodian.models import (
    Disclosure,
    GoverningCollege,
    IncidentCategory,
    LegalBasis,
    NotificationMethod,
    ReportingTrigger,
)
from plusone.web.fields import TextField

_DATE = forms.DateInput(attrs={"type": "date"})


class _ClientChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _DisclosureChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.disclosed_on} to {obj.recipient_name}"


class DisclosureForm(forms.Form):
    recipient_name = TextField(max_length=200, label="Recipient's name")
    recipient_organisation = TextField(
        max_length=200, required=False, label="Recipient's organisation"
    )
    legal_basis = forms.ChoiceField(choices=LegalBasis.choices, label="Legal basis")
    legal_basis_other = TextField(
        max_length=300,
        required=False,
        label="The law that required it (for \u201cother\u201d)",
    )
    content = TextField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        label="What was disclosed",
        help_text="Describe the information disclosed. Stored encrypted.",
    )
    disclosed_on = forms.DateField(widget=_DATE, label="Date disclosed")
    corrects = _DisclosureChoice(
        queryset=Disclosure.objects.none(),
        required=False,
        label="Corrects an earlier entry",
        help_text="Entries are never edited: a correction is a new entry naming the old one.",
    )

    def __init__(self, *args: Any, client: Client | None, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        if client is not None:
            self.fields["corrects"].queryset = Disclosure.objects.filter(client=client)  # type: ignore[attr-defined]

    def clean_disclosed_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["disclosed_on"]
        if day > self.today:
            raise ValidationError("The date disclosed cannot be in the future.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("legal_basis") == LegalBasis.OTHER
            and not (data.get("legal_basis_other") or "").strip()
        ):
            self.add_error("legal_basis_other", "Name the law that required the disclosure.")
        return data


class OfficerDisclosureForm(DisclosureForm):
    """The privacy officer's form: the client is chosen from the practice."""

    client = _ClientChoice(queryset=Client.objects.none(), label="Client")
    field_order = ["client"]

    def __init__(self, *args: Any, clients: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, client=None, today=today, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["corrects"].queryset = Disclosure.objects.filter(client__in=clients)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen, corrects = data.get("client"), data.get("corrects")
        if chosen is not None and corrects is not None and corrects.client_id != chosen.pk:
            self.add_error("corrects", "That entry is about a different client.")
        return data


class DisclosureSearchForm(forms.Form):
    start = forms.DateField(required=False, widget=_DATE, label="From")
    end = forms.DateField(required=False, widget=_DATE, label="To")
    legal_basis = forms.ChoiceField(
        choices=[("", "Any basis"), *LegalBasis.choices], required=False, label="Legal basis"
    )
    client = _ClientChoice(queryset=Client.objects.none(), required=False, label="Client")

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("The start date is after the end date.")
        return data


class IncidentForm(forms.Form):
    category = forms.ChoiceField(choices=IncidentCategory.choices, label="What happened")
    discovered_on = forms.DateField(widget=_DATE, label="Date discovered")
    description = TextField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, help_text="Stored encrypted."
    )
    clients_affected = forms.IntegerField(
        min_value=0, max_value=10_000_000, label="Number of individuals affected"
    )
    clients = forms.ModelMultipleChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Affected clients of this practice (where known)",
    )
    trigger = forms.ChoiceField(
        choices=ReportingTrigger.choices,
        label="Reporting trigger (O. Reg. 329/04 s.6.3(1))",
    )
    ipc_notified_on = forms.DateField(
        widget=_DATE, required=False, label="Date the IPC was notified"
    )
    clients_notified_on = forms.DateField(
        widget=_DATE, required=False, label="Date the individuals were notified"
    )
    notification_method = forms.ChoiceField(
        choices=NotificationMethod.choices, required=False, label="How they were notified"
    )
    containment = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
        label="Containment",
        help_text="What was done to contain it and prevent a repeat. Stored encrypted.",
    )

    def __init__(self, *args: Any, clients: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["clients"].queryset = clients  # type: ignore[attr-defined]
        self.fields["clients"].label_from_instance = lambda c: c.display_name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("discovered_on", "ipc_notified_on", "clients_notified_on"):
            day = data.get(name)
            if day and day > self.today:
                self.add_error(name, "This date cannot be in the future.")
        found = data.get("discovered_on")
        for name in ("ipc_notified_on", "clients_notified_on"):
            day = data.get(name)
            if found and day and day < found:
                self.add_error(name, "This date is before the breach was discovered.")
        notified, method = data.get("clients_notified_on"), data.get("notification_method")
        if notified and not method:
            self.add_error("notification_method", "Say how the individuals were notified.")
        if method and not notified:
            self.add_error("clients_notified_on", "Give the date the individuals were notified.")
        trigger = data.get("trigger")
        if trigger == ReportingTrigger.NONE and data.get("ipc_notified_on"):
            self.add_error("trigger", "The IPC was notified: choose the trigger that applied.")
        chosen = data.get("clients") or []
        affected = data.get("clients_affected")
        if affected is not None and len(chosen) > affected:
            self.add_error(
                "clients_affected",
                f"You linked {len(chosen)} clients; the number affected cannot be smaller.",
            )
        return data


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2004, max_value=2100, label="Calendar year")


class CollegeForm(forms.Form):
    college = forms.ChoiceField(choices=GoverningCollege.choices, label="Governing College")


class DueForm(forms.Form):
    days = forms.IntegerField(min_value=0, max_value=3650, initial=90, label="Due within (days)")


class HoldForm(forms.Form):
    reason = TextField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Reason for the hold",
        help_text="e.g. litigation, an investigation, an access request. Stored encrypted.",
    )


class ReleaseForm(forms.Form):
    release_reason = TextField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Why the hold no longer applies",
    )


class DestroyForm(forms.Form):
    confirm_name = TextField(
        max_length=250,
        label="Type the client's name to confirm",
        help_text="Destruction cannot be undone.",
    )

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm_name(self) -> str:
        typed: str = self.cleaned_data["confirm_name"].strip()
        if typed != self.expected:
            raise ValidationError("That is not the client's name as shown: type it exactly.")
        return typed
