"""plusone.web.fields.TextField: the one text field of PlusOne's forms refuses invisible
control characters with a message naming them, and stores NFC."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client as WebClient

from plusone.privacy.models import BreakGlass
from plusone.web.fields import TextField


class NoteForm(forms.Form):
    text = TextField(max_length=200)


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("call me\x07 later", "U+0007 BELL"),
        ("\x1b[31mred", "U+001B ESCAPE"),
        ("nul\x00byte", "U+0000 NUL"),
        ("lone \ud800 half", "U+D800"),
        ("delete\x7f", "U+007F DELETE"),
    ],
)
def test_it_refuses_a_control_character_and_names_it(typed: str, named: str) -> None:
    form = NoteForm({"text": typed})
    assert not form.is_valid()
    assert named in form.errors["text"][0]
    assert "Please retype it" in form.errors["text"][0]


def test_it_keeps_tabs_and_line_breaks() -> None:
    form = NoteForm({"text": "first\tline\r\nsecond line"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "first\tline\r\nsecond line"


def test_it_stores_the_composed_form_of_an_accent() -> None:
    form = NoteForm({"text": "Rene\u0301e"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "Ren\u00e9e"


@pytest.mark.django_db
def test_it_refuses_erins_break_glass_reason_with_an_escape_and_opens_nothing(
    personas: Any, login_as: Any
) -> None:
    web = WebClient()
    login_as(web, personas.erin)
    response = web.post(
        "/privacy/break-glass/",
        {"client": str(personas.bob.pk), "reason": "urgent \x1b[2J call from hospital"},
    )
    assert response.status_code == 200
    assert "U+001B ESCAPE" in response.content.decode()
    assert not BreakGlass.objects.exists()
