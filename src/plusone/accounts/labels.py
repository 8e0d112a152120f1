"""The practice's neutral label: the name a client's link email is sent under.

That someone is a client is health information (PHIPA), so the label never names the kind of
care: an email from "Riverside" is fine, one from "Riverside Psychotherapy" discloses.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from plusone.accounts.models import Practice

# Word stems that reveal mental-health care, in English and French (case-insensitive,
# anywhere in the label).
REVEALING = (
    "therap",
    "thérap",
    "psych",
    "mental",
    "counsel",
    "clinic",
    "clinique",
    "trauma",
    "anxi",
    "depress",
    "dépress",
    "addict",
)


def revealing_word(label: str) -> str:
    """The first revealing stem in ``label``, or "" when it is neutral."""
    lowered = label.lower()
    return next((stem for stem in REVEALING if stem in lowered), "")


def check_neutral(label: str) -> None:
    """Raise ValidationError when ``label`` names the kind of care."""
    stem = revealing_word(label)
    if stem:
        raise ValidationError(
            f"The email label may not say what kind of care this is (it contains {stem!r}): "
            "use a neutral name, such as the street or the therapist's name."
        )


def email_label(practice: Practice) -> str:
    """The label the practice set; else its name when neutral; else "" (no label at all)."""
    label = " ".join(practice.email_label.split())
    if label:
        return label
    name = " ".join(practice.name.split())
    return "" if revealing_word(name) else name
