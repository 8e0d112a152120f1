"""The import forms: a file, its encoding, an optional column mapping and "dry run"."""

from __future__ import annotations

from django import forms

from plusone.imports.reading import ENCODINGS, MAX_BYTES, UTF8, ImportRefused, parse_mapping
from plusone.imports.schedule import SOURCES


class ImportForm(forms.Form):
    file = forms.FileField(label="File")
    encoding = forms.ChoiceField(
        choices=list(ENCODINGS.items()),
        initial=UTF8,
        label="Encoding",
        help_text=(
            "UTF-8 with or without a byte-order mark. "
            "Choose Windows-1252 only for a file saved as Excel's plain CSV."
        ),
    )
    mapping = forms.CharField(
        required=False,
        label="Column mapping",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One per line: the file's header, then =, then one of PlusOne's columns named "
            "on this page (e.g. Chart = the client's practice id column)."
        ),
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run: check every row and store nothing",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return bytes(upload.read())

    def clean_mapping(self) -> dict[str, str]:
        try:
            return parse_mapping(self.cleaned_data.get("mapping") or "")
        except ImportRefused as exc:
            raise forms.ValidationError(str(exc)) from None


class ScheduleForm(ImportForm):
    source = forms.ChoiceField(choices=list(SOURCES.items()), label="Exported from")
    field_order = ["source", "file", "encoding", "mapping", "dry_run"]
