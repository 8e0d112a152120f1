"""The referral form: who the summary goes to (staff-facing, English)."""

from __future__ import annotations

from django import forms


class ReferralForm(forms.Form):
    recipient = forms.CharField(
        label="Recipient (referrer or family doctor)", max_length=200, strip=True
    )
    organisation = forms.CharField(
        label="Clinic or organisation", max_length=200, required=False, strip=True
    )
