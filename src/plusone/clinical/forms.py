"""Parsing and validating the therapist's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from plusone.clinical.actions import IntakeData, refuse_minor

PRIMARY_CHOICES = [("phq9", "PHQ-9 (low mood)"), ("gad7", "GAD-7 (worry)"), ("core10", "CORE-10")]
SECONDARY_CHOICES = [("", "None"), *PRIMARY_CHOICES]
YES_NO = [("yes", "Yes"), ("no", "No")]


class IntakeForm(forms.Form):
    given_name = forms.CharField(max_length=100, label="Given name")
    family_name = forms.CharField(max_length=100, label="Family name")
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="PlusOne v1 serves adults (18 and over).",
    )
    email = forms.EmailField(required=False, label="Email (for check-in links)")
    primary = forms.ChoiceField(choices=PRIMARY_CHOICES, label="Primary measure", initial="phq9")
    secondary = forms.ChoiceField(
        choices=SECONDARY_CHOICES, required=False, label="Secondary measure", initial="gad7"
    )
    prior_therapy = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Has the client had therapy before?"
    )
    s2_intention = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the client wants to be different, in their words",
        max_length=2000,
    )
    goal_1 = forms.CharField(required=False, max_length=300, label="Goal 1, in their words")
    goal_2 = forms.CharField(required=False, max_length=300, label="Goal 2, in their words")
    goal_3 = forms.CharField(required=False, max_length=300, label="Goal 3, in their words")
    safety_plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="The client's safety plan (written together)",
        max_length=5000,
    )
    consent_email = forms.BooleanField(required=False, label="Consents to check-ins by email link")
    consent_in_session = forms.BooleanField(
        required=False, label="Consents to check-ins in session"
    )

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        refuse_minor(born, timezone.localdate())
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("secondary") and data.get("secondary") == data.get("primary"):
            self.add_error("secondary", "Choose a different measure from the primary, or none.")
        if data.get("consent_email") and not data.get("email"):
            self.add_error("email", "An email address is needed for check-ins by email.")
        if not any(data.get(f"goal_{i}", "").strip() for i in (1, 2, 3)):
            raise ValidationError("Write at least one goal in the client's words.")
        return data

    def intake_data(self) -> IntakeData:
        d = self.cleaned_data
        channels = [
            c
            for c, on in (("email", d["consent_email"]), ("in_session", d["consent_in_session"]))
            if on
        ]
        return IntakeData(
            given_name=d["given_name"].strip(),
            family_name=d["family_name"].strip(),
            date_of_birth=d["date_of_birth"],
            email=d["email"],
            primary=d["primary"],
            secondary=d["secondary"],
            prior_therapy=d["prior_therapy"] == "yes",
            s2_intention=d["s2_intention"].strip(),
            goals=[d["goal_1"], d["goal_2"], d["goal_3"]],
            safety_plan=d["safety_plan"].strip(),
            consent_channels=channels,
        )


class AcknowledgeFlagForm(forms.Form):
    action_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Action note: what you did or will do",
        max_length=4000,
    )
