"""Form fields shared by every app.

``TextField`` is the one text field PlusOne's forms use: Django's CharField
refuses only NUL, so a bell, an escape or a lone surrogate typed or pasted
into a form would otherwise be stored. It applies the input-normalisation
layer's character rules (:mod:`plusone.inputs.normalize`) and stores NFC.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from plusone.inputs import normalize

CONTROL_CHARACTER = (
    "This holds an invisible character (%(name)s) that can't be saved. "
    "Please retype it without pasting."
)


class TextField(forms.CharField):
    """A CharField that refuses control characters (tab, CR and LF allowed) and stores NFC."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value)
        return value

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, str) and value:
            index = normalize.find_control(value)
            if index is not None:
                raise ValidationError(
                    CONTROL_CHARACTER,
                    code="control_character",
                    params={"name": normalize.char_name(value[index])},
                )
