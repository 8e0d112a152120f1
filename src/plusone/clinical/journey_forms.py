"""Forms of the client's journey (issue 13): a moment that matters, what I want to bring
today, and release timing. Shared by the portal and the therapist's journey."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from plusone.clinical.actions.journey_notes import BRING_MAX_CHARS, MOMENT_MAX_CHARS
from plusone.clinical.models import ReleaseTiming
from plusone.web.fields import TextField


class MomentForm(forms.Form):
    text = TextField(
        max_length=MOMENT_MAX_CHARS,
        label=_("The moment, in your own words"),
        help_text=_("For example: the day I told my sister."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    happened_on = forms.DateField(
        label=_("When it happened"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RemoveMomentForm(forms.Form):
    moment_id = forms.UUIDField(widget=forms.HiddenInput)


class BringForm(forms.Form):
    text = TextField(
        max_length=BRING_MAX_CHARS,
        required=False,
        label=_("What I want to bring today (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReleaseTimingForm(forms.Form):
    release_timing = forms.ChoiceField(
        choices=ReleaseTiming.choices,
        widget=forms.RadioSelect,
        label=_("When do you want to see your results here?"),
    )
