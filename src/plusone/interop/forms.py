"""Forms of the exports. Every refusal names what to fix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from plusone.custodian.models import LegalBasis
from plusone.interop.actions import Format, Recipient
from plusone.web.fields import TextField

FORMAT_LABELS = [(Format.FHIR.value, "FHIR R4B bundle (JSON)"), (Format.CSV.value, "Scores CSV")]


class RecipientForm(forms.Form):
    """An identifiable export is a disclosure: who receives it, and why that is lawful."""

    recipient_name = TextField(max_length=200, label="Recipient's name")
    recipient_organisation = TextField(
        max_length=200, required=False, label="Recipient's organisation"
    )
    # No default: the person names the basis they rely on.
    legal_basis = forms.ChoiceField(
        choices=[("", "Choose the legal basis"), *LegalBasis.choices], label="Legal basis"
    )
    legal_basis_other = TextField(
        max_length=300, required=False, label="The law that requires it (when 'Other')"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("legal_basis") == LegalBasis.OTHER and not data.get("legal_basis_other"):
            raise ValidationError("Name the law that requires the disclosure.")
        return data

    def recipient(self) -> Recipient:
        d = self.cleaned_data
        return Recipient(
            name=d["recipient_name"],
            organisation=d["recipient_organisation"],
            legal_basis=d["legal_basis"],
            legal_basis_other=d["legal_basis_other"],
        )


class RecordExportForm(RecipientForm):
    format = forms.ChoiceField(
        choices=FORMAT_LABELS, label="Format", widget=forms.RadioSelect, initial=Format.FHIR.value
    )

    field_order = ["format", "recipient_name", "recipient_organisation", "legal_basis"]

    def fmt(self) -> Format:
        return Format(self.cleaned_data["format"])
